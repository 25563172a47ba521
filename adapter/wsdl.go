package adapter

import (
	"net/http"
	"strings"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/soap"
)

const (
	nsWSDL     = "http://schemas.xmlsoap.org/wsdl/"
	nsWSDLSOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
	nsXSD      = "http://www.w3.org/2001/XMLSchema"
)

// headerParts are the X-Road header fields every operation declares.
var headerParts = []string{"client", "service", "id", "userId", "issue", "protocolVersion"}

// WSDL renders one self-contained WSDL 1.1 document (document/literal
// wrapped, X-Road 4.0 style with xrd:version and xrd:title per operation)
// for the catalogue's services in namespace ns, with soap:address location.
// The X-Road header schemas are inlined, so nothing is fetched from a remote
// host: callers often have no internet access. Meta services live in the
// X-Road namespace: as in X-Road they are no operations of this WSDL, but
// the inlined X-Road schema declares their elements, so that their
// messages can be validated against it too. Every element comes from its
// service's description (reply.go), the same one that writes the XML.
func WSDL(c *Catalog, ns, location string) ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	defs := doc.CreateElement("wsdl:definitions")
	for _, a := range [][2]string{
		{"xmlns:wsdl", nsWSDL}, {"xmlns:soap", nsWSDLSOAP}, {"xmlns:xs", nsXSD},
		{"xmlns:xrd", soap.NSXRoad}, {"xmlns:id", soap.NSIdentifiers}, {"xmlns:tns", ns},
		{"name", "populationRegistry"}, {"targetNamespace", ns},
	} {
		defs.CreateAttr(a[0], a[1])
	}
	var services, meta []*Service
	for _, s := range c.Services() {
		switch s.Namespace {
		case ns:
			services = append(services, s)
		case soap.NSXRoad:
			meta = append(meta, s)
		}
	}

	types := defs.CreateElement("wsdl:types")
	schema := types.CreateElement("xs:schema")
	schema.CreateAttr("targetNamespace", ns)
	schema.CreateAttr("elementFormDefault", "qualified")
	for _, s := range services {
		schemaElements(schema, s)
	}
	xroadSchemas(types, meta)

	hdr := defs.CreateElement("wsdl:message")
	hdr.CreateAttr("name", "requestheader")
	for _, p := range headerParts {
		part := hdr.CreateElement("wsdl:part")
		part.CreateAttr("name", p)
		part.CreateAttr("element", "xrd:"+p)
	}
	for _, s := range services {
		for _, name := range []string{s.Code, s.Code + "Response"} {
			m := defs.CreateElement("wsdl:message")
			m.CreateAttr("name", name)
			part := m.CreateElement("wsdl:part")
			part.CreateAttr("name", "parameters")
			part.CreateAttr("element", "tns:"+name)
		}
	}

	pt := defs.CreateElement("wsdl:portType")
	pt.CreateAttr("name", "populationRegistryPortType")
	for _, s := range services {
		op := pt.CreateElement("wsdl:operation")
		op.CreateAttr("name", s.Code)
		op.CreateElement("wsdl:documentation").SetText(s.Title)
		op.CreateElement("wsdl:input").CreateAttr("message", "tns:"+s.Code)
		op.CreateElement("wsdl:output").CreateAttr("message", "tns:"+s.Code+"Response")
	}

	b := defs.CreateElement("wsdl:binding")
	b.CreateAttr("name", "populationRegistryBinding")
	b.CreateAttr("type", "tns:populationRegistryPortType")
	sb := b.CreateElement("soap:binding")
	sb.CreateAttr("style", "document")
	sb.CreateAttr("transport", "http://schemas.xmlsoap.org/soap/http")
	for _, s := range services {
		op := b.CreateElement("wsdl:operation")
		op.CreateAttr("name", s.Code)
		so := op.CreateElement("soap:operation")
		so.CreateAttr("soapAction", "")
		so.CreateAttr("style", "document")
		op.CreateElement("xrd:version").SetText(s.Version)
		title := op.CreateElement("xrd:title")
		title.CreateAttr("xml:lang", "en")
		title.SetText(s.Title)
		for _, t := range []struct{ lang, text string }{{"ky", s.TitleKy}, {"ru", s.TitleRu}} {
			if t.text != "" {
				title := op.CreateElement("xrd:title")
				title.CreateAttr("xml:lang", t.lang)
				title.SetText(t.text)
			}
		}
		for _, dir := range []string{"wsdl:input", "wsdl:output"} {
			io := op.CreateElement(dir)
			body := io.CreateElement("soap:body")
			body.CreateAttr("parts", "parameters")
			body.CreateAttr("use", "literal")
			for _, p := range headerParts {
				h := io.CreateElement("soap:header")
				h.CreateAttr("message", "tns:requestheader")
				h.CreateAttr("part", p)
				h.CreateAttr("use", "literal")
			}
		}
	}

	svc := defs.CreateElement("wsdl:service")
	svc.CreateAttr("name", "populationRegistryService")
	port := svc.CreateElement("wsdl:port")
	port.CreateAttr("name", "populationRegistryPort")
	port.CreateAttr("binding", "tns:populationRegistryBinding")
	port.CreateElement("soap:address").CreateAttr("location", location)

	doc.Indent(2)
	return doc.WriteToBytes()
}

// schemaElements declares a service's request and response elements.
func schemaElements(schema *etree.Element, s *Service) {
	schemaElement(schema, s.Code, s.request)
	schemaElement(schema, s.Code+"Response", s.response)
}

// schemaElement declares a global element with an anonymous sequence type.
func schemaElement(parent *etree.Element, name string, fields []field) {
	el := parent.CreateElement("xs:element")
	el.CreateAttr("name", name)
	seq := el.CreateElement("xs:complexType").CreateElement("xs:sequence")
	for _, f := range fields {
		schemaField(seq, f)
	}
}

func schemaField(seq *etree.Element, f field) {
	el := seq.CreateElement("xs:element")
	el.CreateAttr("name", f.name)
	if f.optional {
		el.CreateAttr("minOccurs", "0")
	}
	if f.repeated {
		el.CreateAttr("maxOccurs", "unbounded")
	}
	if f.doc != "" {
		el.CreateElement("xs:annotation").CreateElement("xs:documentation").SetText(f.doc)
	}
	if f.xsType != "" {
		el.CreateAttr("type", f.xsType)
		return
	}
	inner := el.CreateElement("xs:complexType").CreateElement("xs:sequence")
	for _, c := range f.children {
		schemaField(inner, c)
	}
}

// xroadSchemas inlines the parts of X-Road's xroad.xsd and identifiers.xsd
// that the headers use (X-Road message protocol 4.0, annex), and the
// elements of the meta services, which live in the X-Road namespace.
func xroadSchemas(types *etree.Element, meta []*Service) {
	ids := types.CreateElement("xs:schema")
	ids.CreateAttr("targetNamespace", soap.NSIdentifiers)
	ids.CreateAttr("elementFormDefault", "qualified")
	for _, n := range []string{"xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode", "serviceVersion"} {
		e := ids.CreateElement("xs:element")
		e.CreateAttr("name", n)
		e.CreateAttr("type", "xs:string")
	}
	ot := ids.CreateElement("xs:attribute")
	ot.CreateAttr("name", "objectType")
	ot.CreateAttr("type", "xs:string")
	for _, t := range []struct {
		name   string
		fields []string
	}{
		{"XRoadClientIdentifierType", []string{"xRoadInstance", "memberClass", "memberCode", "subsystemCode?"}},
		{"XRoadServiceIdentifierType", []string{"xRoadInstance", "memberClass", "memberCode", "subsystemCode?", "serviceCode", "serviceVersion?"}},
	} {
		ct := ids.CreateElement("xs:complexType")
		ct.CreateAttr("name", t.name)
		seq := ct.CreateElement("xs:sequence")
		for _, f := range t.fields {
			e := seq.CreateElement("xs:element")
			e.CreateAttr("ref", "id:"+strings.TrimSuffix(f, "?"))
			if strings.HasSuffix(f, "?") {
				e.CreateAttr("minOccurs", "0")
			}
		}
		a := ct.CreateElement("xs:attribute")
		a.CreateAttr("ref", "id:objectType")
		a.CreateAttr("use", "required")
	}

	xr := types.CreateElement("xs:schema")
	xr.CreateAttr("targetNamespace", soap.NSXRoad)
	xr.CreateAttr("elementFormDefault", "qualified")
	xr.CreateElement("xs:import").CreateAttr("namespace", soap.NSIdentifiers)
	for _, e := range [][2]string{
		{"client", "id:XRoadClientIdentifierType"}, {"service", "id:XRoadServiceIdentifierType"},
		{"id", "xs:string"}, {"userId", "xs:string"}, {"issue", "xs:string"}, {"protocolVersion", "xs:string"},
		{"version", "xs:string"}, {"title", "xs:string"},
	} {
		el := xr.CreateElement("xs:element")
		el.CreateAttr("name", e[0])
		el.CreateAttr("type", e[1])
	}
	rh := xr.CreateElement("xs:element")
	rh.CreateAttr("name", "requestHash")
	ext := rh.CreateElement("xs:complexType").CreateElement("xs:simpleContent").CreateElement("xs:extension")
	ext.CreateAttr("base", "xs:string")
	alg := ext.CreateElement("xs:attribute")
	alg.CreateAttr("name", "algorithmId")
	alg.CreateAttr("type", "xs:string")
	for _, s := range meta {
		schemaElements(xr, s)
	}
}

func (h *Handler) serveWSDL(w http.ResponseWriter, r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out, err := WSDL(h.opt.Catalog, Namespace, scheme+"://"+r.Host+"/")
	if err != nil {
		h.opt.Logger.Error("rendering the WSDL failed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(out)
}
