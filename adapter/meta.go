package adapter

import (
	"context"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/soap"
)

// Meta service codes, answered in the X-Road namespace as X-Road does
// (X-Road message protocol 4.0, §4 and §5, with the schema of its
// listMethods, allowedMethods and getWsdl elements).
const (
	metaListMethods    = "listMethods"
	metaAllowedMethods = "allowedMethods"
	metaGetWSDL        = "getWsdl"
)

func isMeta(code string) bool {
	return code == metaListMethods || code == metaAllowedMethods || code == metaGetWSDL
}

// methodList is listMethodsResponse and allowedMethodsResponse: one
// service identifier per service, none for a meta service.
var methodList = plainOf(serviceIDs("service", func(ids []soap.ServiceID) []soap.ServiceID { return ids }).Optional())

// wsdlOf is getWsdlResponse. X-Road sends the WSDL as a MIME attachment;
// Darbaza speaks plain SOAP only, so it answers with the WSDL base64-encoded
// in xrd:wsdl.
type wsdlOf struct {
	code, version string
	wsdl          []byte
}

var wsdlReply = plainOf(
	text("serviceCode", func(w wsdlOf) string { return w.code }),
	text("serviceVersion", func(w wsdlOf) string { return w.version }).Optional(),
	base64Binary("wsdl", func(w wsdlOf) []byte { return w.wsdl }).Doc("the WSDL, base64-encoded, instead of a MIME attachment"),
)

// metaServices returns listMethods, allowedMethods and getWsdl over c. The
// provider they name is the one the request addressed, which routing has
// matched to this adapter's; who may call what is the caller's rights.
func (c *Catalog) metaServices() []*Service {
	list := func(call *Call, allowed func(code string) bool) []soap.ServiceID {
		provider := call.Env.Headers.Service.Provider
		var ids []soap.ServiceID
		for _, s := range c.services {
			if !isMeta(s.Code) && allowed(s.Code) {
				ids = append(ids, soap.ServiceID{Provider: provider, ServiceCode: s.Code, ServiceVersion: s.Version})
			}
		}
		return ids
	}
	return []*Service{
		serve(op[[]soap.ServiceID]{
			code: metaListMethods, namespace: soap.NSXRoad, title: "Services of this provider",
			reply: methodList,
			handle: func(_ context.Context, call *Call) ([]soap.ServiceID, error) {
				return list(call, func(string) bool { return true }), nil
			},
		}),
		serve(op[[]soap.ServiceID]{
			code: metaAllowedMethods, namespace: soap.NSXRoad, title: "Services the caller may use",
			reply: methodList,
			handle: func(_ context.Context, call *Call) ([]soap.ServiceID, error) {
				return list(call, call.allowed), nil
			},
		}),
		serve(op[wsdlOf]{
			code: metaGetWSDL, namespace: soap.NSXRoad, title: "WSDL of a service",
			args:  []field{arg("serviceCode"), optionalArg("serviceVersion", "xs:string", "")},
			reply: wsdlReply,
			handle: func(_ context.Context, call *Call) (wsdlOf, error) {
				// Read leniently: a missing serviceCode names no service,
				// which is UnknownService like any other unknown code.
				code, err := call.OptionalText("serviceCode")
				if err != nil {
					return wsdlOf{}, err
				}
				version, err := call.OptionalText("serviceVersion")
				if err != nil {
					return wsdlOf{}, err
				}
				s := c.Lookup(code, version)
				if s == nil || isMeta(s.Code) {
					return wsdlOf{}, errUnknownService(code + "/" + version)
				}
				wsdl, err := WSDL(c, s.Namespace, "")
				return wsdlOf{s.Code, s.Version, wsdl}, err
			},
		}),
	}
}

// serviceIDs is a repeated element of X-Road's XRoadServiceIdentifierType
// (X-Road message protocol 4.0, annex: identifiers.xsd), one per
// identifier get returns.
func serviceIDs[T any](name string, get func(T) []soap.ServiceID) node[T] {
	f := field{name: name, xsType: "id:XRoadServiceIdentifierType", repeated: true}
	return node[T]{f: f, emit: func(f field, parent *etree.Element, v T) error {
		ids := get(v)
		if len(ids) == 0 && !f.optional {
			return &missingError{f.name}
		}
		for _, id := range ids {
			el := child(parent, f.name)
			el.CreateAttr("id:objectType", soap.ObjectService)
			el.CreateElement("id:xRoadInstance").SetText(id.Provider.Instance)
			el.CreateElement("id:memberClass").SetText(id.Provider.MemberClass)
			el.CreateElement("id:memberCode").SetText(id.Provider.MemberCode)
			el.CreateElement("id:subsystemCode").SetText(id.Provider.SubsystemCode)
			el.CreateElement("id:serviceCode").SetText(id.ServiceCode)
			if id.ServiceVersion != "" {
				el.CreateElement("id:serviceVersion").SetText(id.ServiceVersion)
			}
		}
		return nil
	}}
}
