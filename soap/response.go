package soap

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"

	"github.com/beevik/etree"
)

// AlgSHA512 is the XML-DSig digest URI that names requestHash's algorithm.
const AlgSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

// Message is an outgoing envelope. Build it with NewResponse or NewFault,
// sign it if a signer is configured, then send Bytes.
type Message struct {
	Doc  *etree.Document
	Body *etree.Element
	// Covered lists what a response signature must cover besides its
	// Timestamp: the Body, every echoed X-Road header and requestHash.
	Covered []*etree.Element
}

// NewResponse answers req with payload (an element in the service's target
// namespace, named after the request element plus "Response"). The header
// echoes req's X-Road headers in their order, from the decoded values, and
// adds requestHash: SHA-512 over the exact request bytes (X-Road message
// protocol 4.0 §2.2).
func NewResponse(req *Envelope, payload *etree.Element) *Message {
	m := newMessage()
	m.echo(req)
	m.Body.AddChild(payload)
	return m
}

// echo adds the header of a response to req. Its elements, text nodes
// and their slices come from a few arrays (nodes), as the fast parser's do.
func (m *Message) echo(req *Envelope) {
	root := m.Doc.Root()
	root.CreateAttr("xmlns:xrd", NSXRoad)
	root.CreateAttr("xmlns:id", NSIdentifiers)
	b := nodes{size: echoNodes}
	header := b.element("SOAP-ENV:Header")
	header.Child = b.kidSlice(len(req.XRoadHeaders) + 1)
	root.InsertChildAt(0, header)
	h := req.Headers
	for _, el := range req.XRoadHeaders {
		var echo *etree.Element
		switch el.Tag {
		case "client":
			echo = b.identifier("xrd", "client", h.Client.ObjectType(), h.Client, "", "")
		case "service":
			echo = b.identifier("xrd", "service", ObjectService, h.Service.Provider, h.Service.ServiceCode, h.Service.ServiceVersion)
		case "representedParty":
			echo = b.element("repr:representedParty")
			echo.Child = b.kidSlice(2)
			echo.CreateAttr("xmlns:repr", NSRepresentation)
			if h.RepresentedParty.Class != "" {
				b.textElement(echo, "repr", "partyClass", h.RepresentedParty.Class)
			}
			b.textElement(echo, "repr", "partyCode", h.RepresentedParty.Code)
		default:
			echo = b.element("xrd:" + el.Tag)
			b.setText(echo, h.text(el.Tag))
		}
		header.AddChild(echo)
		m.Covered = append(m.Covered, echo)
	}
	sum := sha512.Sum512(req.Raw)
	rh := b.element("xrd:requestHash")
	header.AddChild(rh)
	rh.CreateAttr("algorithmId", AlgSHA512)
	b.setText(rh, base64.StdEncoding.EncodeToString(sum[:]))
	m.Covered = append(m.Covered, rh)
}

// echoNodes is enough nodes of each kind for the header of a response
// with every X-Road header field.
const echoNodes = 24

// identifier builds an X-Road identifier element, as
// identifierElement(space+":"+tag, ...) did with CreateElement.
func (b *nodes) identifier(space, tag, objectType string, id ClientID, serviceCode, version string) *etree.Element {
	el := b.element(space + ":" + tag)
	el.Child = b.kidSlice(6)
	el.CreateAttr("id:objectType", objectType)
	b.textElement(el, "id", "xRoadInstance", id.Instance)
	b.textElement(el, "id", "memberClass", id.MemberClass)
	b.textElement(el, "id", "memberCode", id.MemberCode)
	if id.SubsystemCode != "" {
		b.textElement(el, "id", "subsystemCode", id.SubsystemCode)
	}
	if serviceCode != "" {
		b.textElement(el, "id", "serviceCode", serviceCode)
	}
	if version != "" {
		b.textElement(el, "id", "serviceVersion", version)
	}
	return el
}

// textElement adds space:tag holding text to parent, as
// parent.CreateElement(space+":"+tag).SetText(text) does.
func (b *nodes) textElement(parent *etree.Element, space, tag, text string) {
	el := b.element(space + ":" + tag)
	parent.AddChild(el)
	b.setText(el, text)
}

// setText gives el, which has no children, one text node as SetText does
// (which, unlike the parser, does not mark whitespace).
func (b *nodes) setText(el *etree.Element, text string) {
	t := b.plainText(text)
	el.Child = b.kidSlice(1)
	el.AddChild(t)
}

// text is the value of a text-only X-Road header field.
func (h *Headers) text(field string) string {
	switch field {
	case "id":
		return h.ID
	case "userId":
		return h.UserID
	case "issue":
		return h.Issue
	case "protocolVersion":
		return h.ProtocolVersion
	}
	return ""
}

// NewFault builds a SOAP 1.1 fault. detail, the access-log record id, goes
// into detail/faultDetail as X-Road does, so a caller can quote it. When req
// is not nil (its headers were decoded), the fault echoes them and adds
// requestHash like an answer, so a signed fault is evidence of what was
// refused.
func NewFault(req *Envelope, code, reason, detail string) *Message {
	m := newMessage()
	if req != nil {
		m.echo(req)
	}
	f := m.Body.CreateElement("SOAP-ENV:Fault")
	f.CreateElement("faultcode").SetText(code)
	f.CreateElement("faultstring").SetText(reason)
	f.CreateElement("detail").CreateElement("faultDetail").SetText(detail)
	return m
}

func newMessage() *Message {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	// Escape CR and the like as character references, so that the
	// canonical form a receiver computes after parsing equals ours.
	doc.WriteSettings = messageSettings
	root := doc.CreateElement("SOAP-ENV:Envelope")
	root.CreateAttr("xmlns:SOAP-ENV", NSEnvelope)
	body := root.CreateElement("SOAP-ENV:Body")
	return &Message{Doc: doc, Body: body, Covered: []*etree.Element{body}}
}

// Bytes serializes the message, byte for byte as etree's WriteToBytes does.
func (m *Message) Bytes() ([]byte, error) {
	// A signed answer is 3-6 KiB: start there rather than grow from 64 bytes.
	out, ok := appendMessage(make([]byte, 0, 8<<10), m.Doc)
	if ok {
		return out, nil
	}
	buf := bytes.NewBuffer(out)
	if _, err := m.Doc.WriteTo(buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
