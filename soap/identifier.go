package soap

import (
	"errors"
	"fmt"
	"strings"
)

// Object types of X-Road identifiers (X-Road message protocol 4.0 §1.3, §2.1).
const (
	ObjectMember    = "MEMBER"
	ObjectSubsystem = "SUBSYSTEM"
	ObjectService   = "SERVICE"
)

// ErrBadIdentifier is wrapped by ParseClientID and by every *Error of Decode
// for a malformed xrd:client or xrd:service.
var ErrBadIdentifier = errors.New("bad X-Road identifier")

// ClientID identifies a member or one of its subsystems.
type ClientID struct {
	Instance, MemberClass, MemberCode string
	SubsystemCode                     string // empty for a MEMBER
}

// ObjectType is SUBSYSTEM when a subsystem is named, else MEMBER.
func (c ClientID) ObjectType() string {
	if c.SubsystemCode != "" {
		return ObjectSubsystem
	}
	return ObjectMember
}

// String is the slash form used in config, logs and the access log:
// INSTANCE/CLASS/CODE or INSTANCE/CLASS/CODE/SUBSYSTEM.
func (c ClientID) String() string {
	s := c.Instance + "/" + c.MemberClass + "/" + c.MemberCode
	if c.SubsystemCode != "" {
		s += "/" + c.SubsystemCode
	}
	return s
}

// ParseClientID reads the slash form of String.
func ParseClientID(s string) (ClientID, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 && len(parts) != 4 {
		return ClientID{}, fmt.Errorf("%w: %q: want INSTANCE/CLASS/CODE[/SUBSYSTEM]", ErrBadIdentifier, s)
	}
	for _, p := range parts {
		if strings.TrimSpace(p) == "" || p != strings.TrimSpace(p) {
			return ClientID{}, fmt.Errorf("%w: %q has an empty or padded part", ErrBadIdentifier, s)
		}
	}
	c := ClientID{Instance: parts[0], MemberClass: parts[1], MemberCode: parts[2]}
	if len(parts) == 4 {
		c.SubsystemCode = parts[3]
	}
	return c, nil
}

// ServiceID identifies a service of a provider.
type ServiceID struct {
	Provider       ClientID
	ServiceCode    string
	ServiceVersion string // may be empty
}

// String is PROVIDER/serviceCode[/version].
func (s ServiceID) String() string {
	v := s.Provider.String() + "/" + s.ServiceCode
	if s.ServiceVersion != "" {
		v += "/" + s.ServiceVersion
	}
	return v
}
