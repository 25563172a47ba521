// Package soap decodes and encodes SOAP 1.1 envelopes carrying X-Road
// message protocol 4.0 headers. It is pure: no network, no store, no crypto
// beyond the request hash. Every refusal is an *Error whose Code is the
// X-Road fault code the caller will see.
package soap

import (
	"errors"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// Namespaces, matched by URI and never by prefix.
const (
	NSEnvelope       = "http://schemas.xmlsoap.org/soap/envelope/"
	NSXRoad          = "http://x-road.eu/xsd/xroad.xsd"
	NSIdentifiers    = "http://x-road.eu/xsd/identifiers"
	NSRepresentation = "http://x-road.eu/xsd/representation.xsd"
	NSWSSE           = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	NSWSU            = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
)

// Sentinels wrapped by Decode's *Error values.
var (
	ErrNotEnvelope    = errors.New("not a SOAP 1.1 envelope")
	ErrBadBody        = errors.New("bad SOAP body")
	ErrMissingHeader  = errors.New("missing X-Road header field")
	ErrDuplicate      = errors.New("duplicate X-Road header field")
	ErrUnknownHeader  = errors.New("unknown header field")
	ErrMustUnderstand = errors.New("header marked mustUnderstand is not understood")
	ErrProtocol       = errors.New("unsupported X-Road protocol version")
	ErrInconsistent   = errors.New("body element does not match the service code")
)

// Party is the represented party of the third-party representation extension.
type Party struct {
	Class string // may be empty
	Code  string
}

// Headers are the X-Road header fields of one request.
type Headers struct {
	Client           ClientID
	Service          ServiceID
	ID               string
	UserID           string
	Issue            string
	ProtocolVersion  string
	RepresentedParty *Party
}

// Envelope is a decoded request. Its elements point into Doc, so a signature
// check on Doc speaks about exactly the elements the handlers read.
type Envelope struct {
	Raw     []byte // the exact request bytes
	Doc     *etree.Document
	Body    *etree.Element // the Envelope's own Body
	Payload *etree.Element // the single element inside Body
	// XRoadHeaders are the X-Road header elements (xroad and representation
	// namespaces) in the order they came; responses echo them in this order.
	XRoadHeaders []*etree.Element
	// Secured reports whether a wsse:Security header is present.
	Secured bool
	Headers Headers
}

// Decode parses raw as a SOAP 1.1 request with X-Road 4.0 headers and
// checks it as an X-Road security server would (X-Road message protocol 4.0
// §2.2, §2.3; docs/protocol.md, "The envelope"): one Header with client,
// service, id and protocolVersion exactly once; userId, issue and
// representedParty at most once; no other X-Road field; protocolVersion 4.x;
// a Body with exactly one element whose name starts with the service code.
// Foreign headers are ignored unless they demand mustUnderstand.
func Decode(raw []byte, lim Limits) (*Envelope, error) {
	doc, err := ParseXML(raw, lim)
	if err != nil {
		return nil, err
	}
	root := doc.Root()
	if root.Tag != "Envelope" || root.NamespaceURI() != NSEnvelope {
		return nil, fault(CodeInvalidSoap, ErrNotEnvelope, "root element is {%s}%s", root.NamespaceURI(), root.Tag)
	}
	env := &Envelope{Raw: raw, Doc: doc}
	var header *etree.Element
	for el := range root.ChildElementsSeq() {
		switch {
		case el.NamespaceURI() != NSEnvelope:
			return nil, fault(CodeInvalidSoap, ErrNotEnvelope, "unexpected element {%s}%s in Envelope", el.NamespaceURI(), el.Tag)
		case el.Tag == "Header" && header == nil && env.Body == nil:
			header = el
		case el.Tag == "Body" && env.Body == nil:
			env.Body = el
		default:
			return nil, fault(CodeInvalidSoap, ErrNotEnvelope, "unexpected or repeated %s in Envelope", el.Tag)
		}
	}
	if env.Body == nil {
		return nil, fault(CodeInvalidSoap, ErrNotEnvelope, "no Body")
	}
	if header == nil {
		return nil, fault(CodeMissingHeaderField, ErrMissingHeader, "no SOAP Header, so no X-Road client")
	}
	if err := env.decodeHeader(header); err != nil {
		return nil, err
	}
	if err := env.decodeBody(); err != nil {
		return nil, err
	}
	return env, nil
}

func (env *Envelope) decodeHeader(header *etree.Element) error {
	seen := map[string]bool{}
	h := &env.Headers
	for el := range header.ChildElementsSeq() {
		ns := el.NamespaceURI()
		switch {
		case ns == NSXRoad || (ns == NSRepresentation && el.Tag == "representedParty"):
			if seen[el.Tag] {
				return fault(CodeDuplicateHeaderField, ErrDuplicate, "%s", el.Tag)
			}
			seen[el.Tag] = true
			if err := decodeField(h, el); err != nil {
				return err
			}
			env.XRoadHeaders = append(env.XRoadHeaders, el)
		case ns == NSWSSE && el.Tag == "Security":
			env.Secured = true // counted and checked by the signature policy
		case mustUnderstand(el):
			return fault(CodeMustUnderstand, ErrMustUnderstand, "{%s}%s", ns, el.Tag)
		}
	}
	for _, f := range []string{"client", "service", "id", "protocolVersion"} {
		if !seen[f] {
			return fault(CodeMissingHeaderField, ErrMissingHeader, "%s", f)
		}
	}
	if !strings.HasPrefix(h.ProtocolVersion, "4.") {
		return fault(CodeInvalidProtocolVersion, ErrProtocol, "%q, want 4.x", h.ProtocolVersion)
	}
	return nil
}

func decodeField(h *Headers, el *etree.Element) error {
	var err error
	switch el.Tag {
	case "client":
		h.Client, err = decodeClient(el)
	case "service":
		h.Service, err = decodeService(el)
	case "representedParty":
		h.RepresentedParty, err = decodeParty(el)
	case "id":
		h.ID, err = simpleText(el)
		if err == nil && h.ID == "" {
			err = fault(CodeMissingHeaderField, ErrMissingHeader, "id is empty")
		}
	case "userId":
		h.UserID, err = simpleText(el)
	case "issue":
		h.Issue, err = simpleText(el)
	case "protocolVersion":
		h.ProtocolVersion, err = simpleText(el)
	default:
		err = fault(CodeUnknownHeaderField, ErrUnknownHeader, "{%s}%s", el.NamespaceURI(), el.Tag)
	}
	return err
}

// simpleText returns the text of an element that must hold text only.
func simpleText(el *etree.Element) (string, error) {
	if hasChildElement(el) {
		return "", fault(CodeInvalidSoap, ErrNotEnvelope, "%s must hold text only", el.Tag)
	}
	return strings.TrimSpace(textOf(el)), nil
}

// textOf concatenates every character-data child of el (etree's Text stops
// at the first comment or processing instruction).
func textOf(el *etree.Element) string {
	if len(el.Child) == 1 { // the common case, without a copy
		if cd, ok := el.Child[0].(*etree.CharData); ok {
			return cd.Data
		}
	}
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// hasChildElement reports whether el has a child element.
func hasChildElement(el *etree.Element) bool {
	for _, t := range el.Child {
		if _, ok := t.(*etree.Element); ok {
			return true
		}
	}
	return false
}

// identifierFields reads the children of an X-Road identifier element: each
// allowed local name in the identifiers namespace at most once, nothing else.
func identifierFields(el *etree.Element, code string, allowed ...string) (map[string]string, error) {
	fields := map[string]string{}
	for c := range el.ChildElementsSeq() {
		known := c.NamespaceURI() == NSIdentifiers && slices.Contains(allowed, c.Tag)
		if !known {
			return nil, fault(code, ErrBadIdentifier, "unexpected {%s}%s in %s", c.NamespaceURI(), c.Tag, el.Tag)
		}
		if _, dup := fields[c.Tag]; dup {
			return nil, fault(code, ErrBadIdentifier, "%s repeated in %s", c.Tag, el.Tag)
		}
		v, err := simpleText(c)
		if err != nil {
			return nil, err
		}
		if v == "" {
			return nil, fault(code, ErrBadIdentifier, "%s/%s is empty", el.Tag, c.Tag)
		}
		fields[c.Tag] = v
	}
	for _, req := range []string{"xRoadInstance", "memberClass", "memberCode"} {
		if fields[req] == "" {
			return nil, fault(code, ErrBadIdentifier, "%s has no %s", el.Tag, req)
		}
	}
	return fields, nil
}

func objectType(el *etree.Element) string {
	for _, a := range el.Attr {
		if a.Key == "objectType" && a.NamespaceURI() == NSIdentifiers {
			return a.Value
		}
	}
	return ""
}

func decodeClient(el *etree.Element) (ClientID, error) {
	f, err := identifierFields(el, CodeInvalidClientID, "xRoadInstance", "memberClass", "memberCode", "subsystemCode")
	if err != nil {
		return ClientID{}, err
	}
	c := ClientID{Instance: f["xRoadInstance"], MemberClass: f["memberClass"], MemberCode: f["memberCode"], SubsystemCode: f["subsystemCode"]}
	if ot := objectType(el); ot != c.ObjectType() {
		return ClientID{}, fault(CodeInvalidClientID, ErrBadIdentifier, "client objectType %q does not match its fields (%s)", ot, c.ObjectType())
	}
	return c, nil
}

func decodeService(el *etree.Element) (ServiceID, error) {
	f, err := identifierFields(el, CodeInvalidServiceID, "xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode", "serviceVersion")
	if err != nil {
		return ServiceID{}, err
	}
	if ot := objectType(el); ot != ObjectService {
		return ServiceID{}, fault(CodeInvalidServiceID, ErrBadIdentifier, "service objectType %q, want SERVICE", ot)
	}
	if f["serviceCode"] == "" {
		return ServiceID{}, fault(CodeInvalidServiceID, ErrBadIdentifier, "service has no serviceCode")
	}
	return ServiceID{
		Provider:       ClientID{Instance: f["xRoadInstance"], MemberClass: f["memberClass"], MemberCode: f["memberCode"], SubsystemCode: f["subsystemCode"]},
		ServiceCode:    f["serviceCode"],
		ServiceVersion: f["serviceVersion"],
	}, nil
}

func decodeParty(el *etree.Element) (*Party, error) {
	p := &Party{}
	for c := range el.ChildElementsSeq() {
		if c.NamespaceURI() != NSRepresentation || (c.Tag != "partyClass" && c.Tag != "partyCode") {
			return nil, fault(CodeInvalidSoap, ErrUnknownHeader, "unexpected {%s}%s in representedParty", c.NamespaceURI(), c.Tag)
		}
		v, err := simpleText(c)
		if err != nil {
			return nil, err
		}
		if c.Tag == "partyClass" {
			p.Class = v
		} else {
			p.Code = v
		}
	}
	if p.Code == "" {
		return nil, fault(CodeMissingHeaderField, ErrMissingHeader, "representedParty/partyCode")
	}
	return p, nil
}

func (env *Envelope) decodeBody() error {
	var payload *etree.Element
	n := 0
	for c := range env.Body.ChildElementsSeq() {
		payload = c
		n++
	}
	if n != 1 {
		return fault(CodeInvalidBody, ErrBadBody, "Body holds %d elements, want exactly 1", n)
	}
	if strings.TrimSpace(textOf(env.Body)) != "" {
		return fault(CodeInvalidBody, ErrBadBody, "text beside the Body element")
	}
	env.Payload = payload
	if code := env.Headers.Service.ServiceCode; !strings.HasPrefix(env.Payload.Tag, code) {
		return fault(CodeInconsistentHeaders, ErrInconsistent, "body element %q, service code %q", env.Payload.Tag, code)
	}
	return nil
}

func mustUnderstand(el *etree.Element) bool {
	for _, a := range el.Attr {
		if a.Key == "mustUnderstand" && a.NamespaceURI() == NSEnvelope {
			return a.Value == "1" || a.Value == "true"
		}
	}
	return false
}
