package adapter

import (
	"context"
	"strings"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/soap"
)

// Service is one operation Darbaza offers. Its request element is named
// Code (X-Road allows a longer name that starts with it) and its response
// element that name plus "Response", both in Namespace (design.md §2).
type Service struct {
	Code      string
	Version   string // serviceVersion; a request naming no version matches too
	Title     string // xrd:title in the WSDL
	Namespace string
	Request   []Field // the request element's children, for the WSDL
	Response  []Field // the response element's children, for the WSDL
	Handle    func(ctx context.Context, call *Call) (Result, error)
}

// Field describes one element of a message for the WSDL's schema.
type Field struct {
	Name     string
	Type     string // xs type name ("string", "date", "dateTime", "boolean", "int"); "" for complex
	Optional bool
	Repeated bool
	Doc      string
	Fields   []Field // children of a complex element
}

// Call is one authorized request to a service.
type Call struct {
	Env    *soap.Envelope
	Client string // the caller, INSTANCE/CLASS/CODE[/SUBSYSTEM]
}

// Text returns the text of the payload child named name in the payload's
// namespace (or in no namespace), and whether it is present.
func (c *Call) Text(name string) (string, bool) {
	ns := c.Env.Payload.NamespaceURI()
	for _, el := range c.Env.Payload.ChildElements() {
		if el.Tag == name && (el.NamespaceURI() == ns || el.NamespaceURI() == "") {
			return strings.TrimSpace(el.Text()), true
		}
	}
	return "", false
}

// Result is a service's answer. Outcome is "ok" or a business code; either
// way it is an answer, not a fault.
type Result struct {
	Payload  *etree.Element
	Outcome  string
	Subjects []string // PINs of the persons whose data the call touched
}

// Catalog is the set of services, in the order they are listed.
type Catalog struct {
	services []*Service
}

// NewCatalog returns a catalog of services.
func NewCatalog(services ...*Service) *Catalog {
	return &Catalog{services: services}
}

// Add appends services.
func (c *Catalog) Add(services ...*Service) { c.services = append(c.services, services...) }

// Lookup finds the service with code; version must match unless empty.
func (c *Catalog) Lookup(code, version string) *Service {
	for _, s := range c.services {
		if s.Code == code && (version == "" || version == s.Version) {
			return s
		}
	}
	return nil
}

// Services lists the services.
func (c *Catalog) Services() []*Service { return c.services }

// Known reports whether code names a service.
func (c *Catalog) Known(code string) bool { return c.Lookup(code, "") != nil }

// newPayload starts the response element for call: the request element's
// name plus "Response", in its namespace (which routing matched to the
// service's).
func newPayload(call *Call) *etree.Element {
	el := etree.NewElement(call.Env.Payload.Tag + "Response")
	el.CreateAttr("xmlns", call.Env.Payload.NamespaceURI())
	return el
}

// add appends a child with text, skipping empty optional values.
func add(parent *etree.Element, name, text string) *etree.Element {
	el := parent.CreateElement(name)
	el.SetText(text)
	return el
}

func addOptional(parent *etree.Element, name, text string) {
	if text != "" {
		add(parent, name, text)
	}
}
