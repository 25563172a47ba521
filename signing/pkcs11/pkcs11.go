// Package pkcs11 loads signing keys held in a hardware security module
// through PKCS #11 (github.com/ThalesGroup/crypto11), so that the adapter's
// key and the access log's checkpoint key can be used without ever being
// in a file, let alone in the data folder.
//
// A key is named by a PKCS #11 URI (RFC 7512), of which this package
// reads:
//
//	pkcs11:token=<token label>;object=<key label>[;id=<%-encoded CKA_ID>]
//	      ?module-path=<the PKCS #11 library>&pin-source=<file holding the user PIN>
//
// (pin-value=<PIN> is accepted too, for tests; a PIN in a config file is
// better kept in a file readable by the server's user alone.)
package pkcs11

import (
	"crypto"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/ThalesGroup/crypto11"
)

// Scheme is the prefix of a PKCS #11 URI.
const Scheme = "pkcs11:"

// IsURI reports whether ref names a PKCS #11 key rather than a file.
func IsURI(ref string) bool { return strings.HasPrefix(ref, Scheme) }

// ErrURI reports a PKCS #11 URI this package cannot use.
var ErrURI = errors.New("pkcs11: bad URI")

// URI is a parsed key reference.
type URI struct {
	Token, Object string
	ID            []byte
	ModulePath    string
	PIN           string
}

// ParseURI reads a PKCS #11 URI as the package doc describes, reading the
// PIN from pin-source if given.
func ParseURI(ref string) (URI, error) {
	rest, ok := strings.CutPrefix(ref, Scheme)
	if !ok {
		return URI{}, fmt.Errorf("%w: %q does not start with %s", ErrURI, ref, Scheme)
	}
	path, query, _ := strings.Cut(rest, "?")
	var u URI
	for _, attr := range strings.Split(path, ";") {
		if attr == "" {
			continue
		}
		k, v, ok := strings.Cut(attr, "=")
		if !ok {
			return URI{}, fmt.Errorf("%w: attribute %q", ErrURI, attr)
		}
		v, err := url.PathUnescape(v)
		if err != nil {
			return URI{}, fmt.Errorf("%w: %s: %w", ErrURI, k, err)
		}
		switch k {
		case "token":
			u.Token = v
		case "object":
			u.Object = v
		case "id":
			u.ID = []byte(v)
		default:
			return URI{}, fmt.Errorf("%w: unknown attribute %q", ErrURI, k)
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return URI{}, fmt.Errorf("%w: query: %w", ErrURI, err)
	}
	for k := range q {
		switch k {
		case "module-path", "pin-source", "pin-value":
		default:
			return URI{}, fmt.Errorf("%w: unknown query attribute %q", ErrURI, k)
		}
	}
	u.ModulePath, u.PIN = q.Get("module-path"), q.Get("pin-value")
	if src := q.Get("pin-source"); src != "" {
		b, err := os.ReadFile(strings.TrimPrefix(src, "file:"))
		if err != nil {
			return URI{}, fmt.Errorf("pkcs11: pin-source: %w", err)
		}
		u.PIN = strings.TrimSpace(string(b))
	}
	switch {
	case u.ModulePath == "":
		return URI{}, fmt.Errorf("%w: module-path is required", ErrURI)
	case u.Token == "":
		return URI{}, fmt.Errorf("%w: token is required", ErrURI)
	case u.Object == "" && u.ID == nil:
		return URI{}, fmt.Errorf("%w: object or id is required", ErrURI)
	}
	return u, nil
}

// Key is a signing key in an HSM. Close releases the module's session.
type Key struct {
	crypto.Signer
	ctx *crypto11.Context
}

// Close closes the PKCS #11 context.
func (k *Key) Close() error { return k.ctx.Close() }

// Open logs in to the token ref names and finds its key pair.
func Open(ref string) (*Key, error) {
	u, err := ParseURI(ref)
	if err != nil {
		return nil, err
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: u.ModulePath, TokenLabel: u.Token, Pin: u.PIN})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: open token %q with %s: %w", u.Token, u.ModulePath, err)
	}
	var label []byte
	if u.Object != "" {
		label = []byte(u.Object)
	}
	s, err := ctx.FindKeyPair(u.ID, label)
	if err == nil && s == nil {
		err = errors.New("no such key pair")
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("pkcs11: key %q in token %q: %w", u.Object, u.Token, err), ctx.Close())
	}
	return &Key{Signer: s, ctx: ctx}, nil
}
