package adapter

import (
	"context"
	"errors"
	"fmt"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/soap"
)

// Service is one operation Darbaza offers. Its request element is named
// Code (X-Road allows a longer name that starts with it) and its response
// element that name plus "Response", both in Namespace. Services are made
// by serve, which derives the response's schema and its encoding from one
// reply, so the WSDL and the XML cannot drift.
type Service struct {
	Code    string
	Version string // serviceVersion; a request naming no version matches too
	Title   string // xrd:title in the WSDL, in English
	// TitleKy and TitleRu are the xrd:title in Kyrgyz and in Russian, when
	// the service has them; the WSDL lists each it has.
	TitleKy, TitleRu string
	Namespace        string

	request  []field // the request element's children
	response []field // the response element's children
	handle   func(ctx context.Context, call *Call) (Result, error)
}

// Result is a service's answer: the response element, and its outcome, OK
// or a business refusal code. Either way it is an answer, not a fault.
type Result struct {
	Payload *etree.Element
	Outcome string
}

// op is what a service file declares: the operation's identity, its
// arguments, its reply, and the function that computes the reply's value.
// handle returns the value of an OK answer, or a refusal (refuse) for a
// business answer, or any other error for a fault (fault.go).
type op[T any] struct {
	code, version, title, namespace string
	titleKy, titleRu                string // optional: titles in Kyrgyz and Russian
	args                            []field
	reply                           reply[T]
	handle                          func(ctx context.Context, call *Call) (T, error)
}

// serve makes the Service of o.
func serve[T any](o op[T]) *Service {
	return &Service{
		Code: o.code, Version: o.version, Title: o.title, Namespace: o.namespace,
		TitleKy: o.titleKy, TitleRu: o.titleRu,
		request:  o.args,
		response: o.reply.fields(),
		handle: func(ctx context.Context, call *Call) (Result, error) {
			call.render = func(v any, refusal error) (Result, error) {
				t, ok := v.(T)
				if !ok {
					return Result{}, fmt.Errorf("%s sealed a %T, its reply describes a %T", o.code, v, *new(T))
				}
				return o.render(call, t, refusal)
			}
			v, err := o.handle(ctx, call)
			if call.sealed != nil {
				if err != nil {
					return Result{}, fmt.Errorf("%w: %w", errNotCommitted, err)
				}
				return *call.sealed, nil
			}
			return o.render(call, v, err)
		},
	}
}

// render makes the answer of v, or of the business refusal in err; any
// other error is returned for a fault.
func (o op[T]) render(call *Call, v T, err error) (Result, error) {
	vd := verdict{code: OutcomeOK}
	var r *refusal
	if errors.As(err, &r) && o.reply.answer {
		vd, err = verdict{code: r.code, grounds: r.grounds}, nil
	}
	if err != nil {
		return Result{}, err
	}
	p := newPayload(call)
	if err := o.reply.writeVerdict(p, vd, v); err != nil {
		return Result{}, err
	}
	return Result{Payload: p, Outcome: vd.code}, nil
}

// arg declares a request element of type xs:string.
func arg(name string) field { return field{name: name, xsType: "xs:string"} }

// Doc returns f with its xs:documentation.
func (f field) Doc(s string) field { f.doc = s; return f }

// typedArg declares a required request element of type xsType.
func typedArg(name, xsType, doc string) field { return field{name: name, xsType: xsType, doc: doc} }

// repeatedArg declares an optional, repeated request element of type
// xs:string.
func repeatedArg(name, doc string) field {
	return field{name: name, xsType: "xs:string", optional: true, repeated: true, doc: doc}
}

// optionalArg declares an optional request element of type xsType.
func optionalArg(name, xsType, doc string) field {
	return field{name: name, xsType: xsType, optional: true, doc: doc}
}

// newPayload starts the response element for call: the request element's
// name plus "Response", in its namespace (which routing matched to the
// service's): with the request's prefix for the X-Road namespace, as X-Road
// answers meta services, else as the default namespace.
func newPayload(call *Call) *etree.Element {
	req := call.Env.Payload
	if req.NamespaceURI() == soap.NSXRoad {
		p := etree.NewElement("xrd:" + req.Tag + "Response")
		p.CreateAttr("xmlns:xrd", soap.NSXRoad)
		p.CreateAttr("xmlns:id", soap.NSIdentifiers)
		return p
	}
	p := etree.NewElement(req.Tag + "Response")
	p.CreateAttr("xmlns", req.NamespaceURI())
	return p
}

// Catalog is the set of services, in the order they are listed, followed
// by the meta services that list them.
type Catalog struct {
	services []*Service
}

// NewCatalog returns the catalogue of services and the X-Road meta services
// (listMethods, allowedMethods, getWsdl) over them.
func NewCatalog(services ...*Service) *Catalog {
	c := &Catalog{}
	c.services = append(append(c.services, services...), c.metaServices()...)
	return c
}

// Lookup finds the service with code; version must match unless empty.
func (c *Catalog) Lookup(code, version string) *Service {
	for _, s := range c.services {
		if s.Code == code && (version == "" || version == s.Version) {
			return s
		}
	}
	return nil
}

// Services lists the services, meta services last.
func (c *Catalog) Services() []*Service { return c.services }

// Known reports whether code names a service.
func (c *Catalog) Known(code string) bool { return c.Lookup(code, "") != nil }
