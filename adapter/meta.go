package adapter

import (
	"context"
	"encoding/base64"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/soap"
)

// Meta service codes, answered in the xroad namespace as X-Road does.
const (
	metaListMethods    = "listMethods"
	metaAllowedMethods = "allowedMethods"
	metaGetWSDL        = "getWsdl"
)

func isMeta(code string) bool {
	return code == metaListMethods || code == metaAllowedMethods || code == metaGetWSDL
}

// MetaServices returns listMethods, allowedMethods and getWsdl for the
// services of c offered as provider; members says who may call what.
// getWsdl answers with the WSDL base64-encoded in xrd:wsdl instead of a MIME
// attachment, since Darbaza speaks plain SOAP only.
func MetaServices(c *Catalog, provider soap.ClientID, members *Members) []*Service {
	list := func(allowed func(code string) bool) func(ctx context.Context, call *Call) (Result, error) {
		return func(_ context.Context, call *Call) (Result, error) {
			p := metaPayload(call)
			for _, s := range c.Services() {
				if isMeta(s.Code) || !allowed(s.Code) {
					continue
				}
				p.AddChild(serviceElement(provider, s))
			}
			return Result{Payload: p, Outcome: OutcomeOK}, nil
		}
	}
	return []*Service{
		{Code: metaListMethods, Namespace: soap.NSXRoad, Title: "Services of this provider",
			Handle: list(func(string) bool { return true })},
		{Code: metaAllowedMethods, Namespace: soap.NSXRoad, Title: "Services the caller may use",
			Handle: func(ctx context.Context, call *Call) (Result, error) {
				return list(func(code string) bool { return members.Allowed(call.Client, code) })(ctx, call)
			}},
		{Code: metaGetWSDL, Namespace: soap.NSXRoad, Title: "WSDL of a service",
			Handle: func(_ context.Context, call *Call) (Result, error) {
				code, _ := call.Text("serviceCode")
				version, _ := call.Text("serviceVersion")
				s := c.Lookup(code, version)
				if s == nil || isMeta(s.Code) {
					return Result{}, errUnknownService(code + "/" + version)
				}
				wsdl, err := WSDL(c, s.Namespace, "")
				if err != nil {
					return Result{}, err
				}
				p := metaPayload(call)
				p.CreateElement("xrd:serviceCode").SetText(s.Code)
				p.CreateElement("xrd:serviceVersion").SetText(s.Version)
				p.CreateElement("xrd:wsdl").SetText(base64.StdEncoding.EncodeToString(wsdl))
				return Result{Payload: p, Outcome: OutcomeOK}, nil
			}},
	}
}

func metaPayload(call *Call) *etree.Element {
	p := etree.NewElement("xrd:" + call.Env.Payload.Tag + "Response")
	p.CreateAttr("xmlns:xrd", soap.NSXRoad)
	p.CreateAttr("xmlns:id", soap.NSIdentifiers)
	return p
}

func serviceElement(provider soap.ClientID, s *Service) *etree.Element {
	el := etree.NewElement("xrd:service")
	el.CreateAttr("id:objectType", soap.ObjectService)
	el.CreateElement("id:xRoadInstance").SetText(provider.Instance)
	el.CreateElement("id:memberClass").SetText(provider.MemberClass)
	el.CreateElement("id:memberCode").SetText(provider.MemberCode)
	el.CreateElement("id:subsystemCode").SetText(provider.SubsystemCode)
	el.CreateElement("id:serviceCode").SetText(s.Code)
	if s.Version != "" {
		el.CreateElement("id:serviceVersion").SetText(s.Version)
	}
	return el
}
