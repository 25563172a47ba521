package soap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const conformance = "../testdata/conformance/xroad-samples/"

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestXRoadSamplesDecode(t *testing.T) {
	tests := []struct {
		file    string
		client  string
		service string
		userID  string
		issue   string
		party   *Party
	}{
		{"xroad-proxy-test__simple.query", "EE/BUSINESS/consumer", "EE/BUSINESS/producer/testQuery", "EE37702211234", "", nil},
		{"xroad-proxy-test__getstate.query", "EE/BUSINESS/consumer", "EE/BUSINESS/producer/getState", "EE:PIN:abc4567", "", nil},
		{"xroad-proxy-test__listMethods.query", "EE/BUSINESS/consumer", "EE/BUSINESS/producer/listMethods", "EE:PIN:abc4567", "", nil},
		{"xroad-proxy-test__simple-representedparty.query", "EE/BUSINESS/consumer", "EE/BUSINESS/producer/testQuery", "EE37702211234", "issue-1", &Party{Class: "COM", Code: "MEMBER3"}},
		{"xroad-test-service__request-1.xml", "NIIS-TEST/GOV/123456-7/TestClient", "NIIS-TEST/GOV/0245437-2/TestService/testService/v1", "test", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			env, err := Decode(readFile(t, conformance+tt.file), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			h := env.Headers
			if h.Client.String() != tt.client || h.Service.String() != tt.service {
				t.Errorf("client %s service %s, want %s %s", h.Client, h.Service, tt.client, tt.service)
			}
			if h.UserID != tt.userID || h.Issue != tt.issue || h.ProtocolVersion != "4.0" {
				t.Errorf("userId %q issue %q protocolVersion %q", h.UserID, h.Issue, h.ProtocolVersion)
			}
			if (tt.party == nil) != (h.RepresentedParty == nil) || tt.party != nil && *tt.party != *h.RepresentedParty {
				t.Errorf("representedParty %+v, want %+v", h.RepresentedParty, tt.party)
			}
			if env.Payload == nil || !strings.HasPrefix(env.Payload.Tag, h.Service.ServiceCode) {
				t.Errorf("payload %v", env.Payload)
			}
		})
	}
}

func TestInconsistentHeadersSampleIsRefused(t *testing.T) {
	_, err := Decode(readFile(t, conformance+"xroad-proxy-test__inconsistent-headers.query"), Limits{})
	assertCode(t, err, CodeInconsistentHeaders, ErrInconsistent)
}

// envelope builds a request from a header and a body fragment.
func envelope(header, body string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">` +
		header + body + `</s:Envelope>`)
}

const (
	client  = `<xrd:client id:objectType="SUBSYSTEM"><id:xRoadInstance>KG</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>70000002</id:memberCode><id:subsystemCode>portal</id:subsystemCode></xrd:client>`
	service = `<xrd:service id:objectType="SERVICE"><id:xRoadInstance>KG</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>70000001</id:memberCode><id:subsystemCode>population-registry</id:subsystemCode><id:serviceCode>getPerson</id:serviceCode><id:serviceVersion>v1</id:serviceVersion></xrd:service>`
	msgID   = `<xrd:id>4894e35d-bf0f-44a6-867a-8e51f1daa7e0</xrd:id>`
	version = `<xrd:protocolVersion>4.0</xrd:protocolVersion>`
	body    = `<s:Body><p:getPerson xmlns:p="http://population.tunduk.kg/v1"><p:pin>21503199000123</p:pin></p:getPerson></s:Body>`
)

func hdr(fields ...string) string { return "<s:Header>" + strings.Join(fields, "") + "</s:Header>" }

func TestDecodeRefusals(t *testing.T) {
	tests := []struct {
		name     string
		raw      []byte
		code     string
		sentinel error
	}{
		{"a valid request is accepted", envelope(hdr(client, service, msgID, version), body), "", nil},
		{"malformed XML is InvalidXml", []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>`), CodeInvalidXML, ErrMalformed},
		{"a DOCTYPE is refused before parsing", []byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]>` + string(envelope(hdr(client, service, msgID, version), body))), CodeDoctype, ErrDoctype},
		{"a SOAP 1.2 envelope is not SOAP 1.1", []byte(`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`), CodeInvalidSoap, ErrNotEnvelope},
		{"a second Body is refused", envelope(hdr(client, service, msgID, version), body+body), CodeInvalidSoap, ErrNotEnvelope},
		{"no Header means no client", envelope("", body), CodeMissingHeaderField, ErrMissingHeader},
		{"missing client", envelope(hdr(service, msgID, version), body), CodeMissingHeaderField, ErrMissingHeader},
		{"missing service", envelope(hdr(client, msgID, version), body), CodeMissingHeaderField, ErrMissingHeader},
		{"missing id", envelope(hdr(client, service, version), body), CodeMissingHeaderField, ErrMissingHeader},
		{"empty id", envelope(hdr(client, service, `<xrd:id> </xrd:id>`, version), body), CodeMissingHeaderField, ErrMissingHeader},
		{"missing protocolVersion", envelope(hdr(client, service, msgID), body), CodeMissingHeaderField, ErrMissingHeader},
		{"duplicate id", envelope(hdr(client, service, msgID, msgID, version), body), CodeDuplicateHeaderField, ErrDuplicate},
		{"duplicate client", envelope(hdr(client, client, service, msgID, version), body), CodeDuplicateHeaderField, ErrDuplicate},
		{"unknown X-Road header", envelope(hdr(client, service, msgID, version, `<xrd:priority>1</xrd:priority>`), body), CodeUnknownHeaderField, ErrUnknownHeader},
		{"foreign mustUnderstand header", envelope(hdr(client, service, msgID, version, `<f:x xmlns:f="urn:f" s:mustUnderstand="1"/>`), body), CodeMustUnderstand, ErrMustUnderstand},
		{"protocol version 3", envelope(hdr(client, service, msgID, `<xrd:protocolVersion>3.1</xrd:protocolVersion>`), body), CodeInvalidProtocolVersion, ErrProtocol},
		{"client objectType contradicts fields", envelope(hdr(strings.Replace(client, "SUBSYSTEM", "MEMBER", 1), service, msgID, version), body), CodeInvalidClientID, ErrBadIdentifier},
		{"client without memberCode", envelope(hdr(strings.Replace(client, "<id:memberCode>70000002</id:memberCode>", "", 1), service, msgID, version), body), CodeInvalidClientID, ErrBadIdentifier},
		{"service without serviceCode", envelope(hdr(client, strings.Replace(service, "<id:serviceCode>getPerson</id:serviceCode>", "", 1), msgID, version), body), CodeInvalidServiceID, ErrBadIdentifier},
		{"empty Body", envelope(hdr(client, service, msgID, version), `<s:Body></s:Body>`), CodeInvalidBody, ErrBadBody},
		{"two Body elements", envelope(hdr(client, service, msgID, version), `<s:Body><a/><b/></s:Body>`), CodeInvalidBody, ErrBadBody},
		{"body name differs from service code", envelope(hdr(client, service, msgID, version), `<s:Body><p:getTaxpayer xmlns:p="urn:p"/></s:Body>`), CodeInconsistentHeaders, ErrInconsistent},
		{"header matched by namespace, not prefix", envelope(hdr(strings.ReplaceAll(client, "xrd:", "other:"), service, msgID, version), body), CodeMissingHeaderField, ErrMissingHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.raw, Limits{})
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			assertCode(t, err, tt.code, tt.sentinel)
		})
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("<a>", 30) + strings.Repeat("</a>", 30)
	wide := "<r>" + strings.Repeat("<a/>", 100) + "</r>"
	tests := []struct {
		name     string
		raw      string
		lim      Limits
		code     string
		sentinel error
	}{
		{"oversized input", strings.Repeat(" ", 100) + "<a/>", Limits{MaxBytes: 64}, CodeMessageTooLarge, ErrTooLarge},
		{"too deep", deep, Limits{MaxDepth: 24}, CodeTooDeep, ErrTooDeep},
		{"too many elements", wide, Limits{MaxElements: 50}, CodeTooManyElements, ErrTooManyElements},
		{"duplicate attribute", `<a x="1" x="2"/>`, Limits{}, CodeInvalidXML, ErrDuplicateAttr},
		{"too many attributes on one element", manyAttrs(65), Limits{}, CodeTooManyElements, ErrTooManyElements},
		{"entity declaration", `<!ENTITY x "y"><a/>`, Limits{}, CodeDoctype, ErrDoctype},
		{"unterminated comment", `<a><!-- x</a>`, Limits{}, CodeInvalidXML, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseXML([]byte(tt.raw), tt.lim)
			assertCode(t, err, tt.code, tt.sentinel)
		})
	}
	if _, err := ParseXML([]byte(deep), Limits{MaxDepth: 30}); err != nil {
		t.Errorf("depth exactly at the limit is refused: %v", err)
	}
	if _, err := ParseXML([]byte(wide), Limits{MaxElements: 101}); err != nil {
		t.Errorf("element count exactly at the limit is refused: %v", err)
	}
}

func manyAttrs(n int) string {
	var b strings.Builder
	b.WriteString("<a")
	for i := range n {
		fmt.Fprintf(&b, ` x%d="1"`, i)
	}
	return b.String() + "/>"
}

func TestAttributeWhitespaceIsNormalized(t *testing.T) {
	doc, err := ParseXML([]byte("<a x=\"1\t2\r\n3\n4\" y=\"&#9;&#10;&#13;\"/>"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Root().SelectAttrValue("x", ""); got != "1 2 3 4" {
		t.Errorf("literal whitespace: got %q, want %q", got, "1 2 3 4")
	}
	if got := doc.Root().SelectAttrValue("y", ""); got != "\t\n\r" {
		t.Errorf("character references: got %q, want them kept", got)
	}
}

func TestResponseEchoesHeadersAndHashesRequest(t *testing.T) {
	raw := readFile(t, conformance+"xroad-proxy-test__simple-representedparty.query")
	env, err := Decode(raw, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewResponse(env, env.Payload.Copy())
	out, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ParseXML(out, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, el := range doc.Root().SelectElement("Header").ChildElements() {
		order = append(order, el.Tag)
	}
	want := "client service representedParty userId issue id protocolVersion requestHash"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("header order %q, want %q", got, want)
	}
	if len(m.Covered) != 1+7+1 {
		t.Errorf("Covered has %d elements, want body + 7 headers + requestHash", len(m.Covered))
	}
	rh := doc.Root().FindElement("Header/requestHash")
	if rh.SelectAttrValue("algorithmId", "") != AlgSHA512 || len(rh.Text()) != 88 {
		t.Errorf("requestHash %v", rh)
	}
	// Without requestHash, the response's header decodes to the very
	// headers of the request.
	rh.Parent().RemoveChild(rh)
	stripped, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(stripped, Limits{})
	if err != nil {
		t.Fatalf("the echoed headers do not decode: %v", err)
	}
	if !reflect.DeepEqual(back.Headers, env.Headers) {
		t.Errorf("echoed headers %+v, want %+v", back.Headers, env.Headers)
	}
}

func TestFaultCarriesDetail(t *testing.T) {
	out, err := NewFault(nil, CodeAccessDenied, "no", "3f1c0a5e-0000-4000-8000-000000000000").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ParseXML(out, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f := doc.Root().FindElement("Body/Fault")
	if f.SelectElement("faultcode").Text() != CodeAccessDenied || f.FindElement("detail/faultDetail").Text() != "3f1c0a5e-0000-4000-8000-000000000000" {
		t.Errorf("fault %s", out)
	}
}

func assertCode(tb testing.TB, err error, code string, sentinel error) {
	tb.Helper()
	var se *Error
	if !errors.As(err, &se) {
		tb.Fatalf("error %v is not a *soap.Error", err)
	}
	if se.Code != code {
		tb.Errorf("code %s, want %s (%v)", se.Code, code, err)
	}
	if !errors.Is(err, sentinel) {
		tb.Errorf("error %v does not wrap %v", err, sentinel)
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(conformance + "*")
	wss, _ := filepath.Glob("../testdata/conformance/wss/*.xml")
	own, _ := filepath.Glob("../testdata/requests/*.xml")
	for _, p := range append(append(files, wss...), own...) {
		f.Add(readFile(f, p))
	}
	f.Add(envelope(hdr(client, service, msgID, version), body))
	f.Fuzz(func(t *testing.T, raw []byte) {
		lim := Limits{MaxBytes: 64 << 10, MaxDepth: 16, MaxElements: 500}
		env, err := Decode(raw, lim)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Code == "" {
				t.Fatalf("refusal without a fault code: %v", err)
			}
			return
		}
		// Properties of an accepted request: its required fields are set,
		// the body element matches the service, and the answer we would
		// build from it decodes as XML again.
		h := env.Headers
		if h.ID == "" || h.Client.MemberCode == "" || h.Service.ServiceCode == "" || !strings.HasPrefix(h.ProtocolVersion, "4.") {
			t.Fatalf("accepted with incomplete headers: %+v", h)
		}
		if !strings.HasPrefix(env.Payload.Tag, h.Service.ServiceCode) {
			t.Fatalf("accepted inconsistent body %q for %q", env.Payload.Tag, h.Service.ServiceCode)
		}
		out, err := NewResponse(env, env.Payload.Copy()).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseXML(out, Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxElements: 10000}); err != nil {
			t.Fatalf("response to an accepted request does not parse: %v\n%s", err, out)
		}
	})
}
