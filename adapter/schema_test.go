package adapter_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/internal/testenv"
	"github.com/darbaza/darbaza/soap"
)

// These tests hold the WSDL to what the adapter sends and accepts: every
// sample request and every golden response, its Body element taken out of
// the envelope, must be valid against the schemas GET /?wsdl serves,
// checked by a real XML Schema validator (xmllint, Debian's
// libxml2-utils).

func TestGoldenResponsesMatchTheWSDLSchema(t *testing.T) {
	validateBodies(t, wsdlSchema(t), "../testdata/responses/*.xml")
}

func TestSampleRequestsMatchTheWSDLSchema(t *testing.T) {
	validateBodies(t, wsdlSchema(t), "../testdata/requests/*.xml")
}

// TestTheSchemaCheckCanFail keeps the two tests above honest: a response
// with an element its schema does not declare, or without one it
// requires, is refused.
func TestTheSchemaCheckCanFail(t *testing.T) {
	schema := wsdlSchema(t)
	tests := []struct{ name, body string }{
		{"an undeclared element", `<getPersonResponse xmlns="` + nsRegistry + `"><result><code>OK</code></result><nickname>x</nickname></getPersonResponse>`},
		{"no result", `<getPersonResponse xmlns="` + nsRegistry + `"/>`},
		{"a date that is not xs:date", `<getDwellingResidentsResponse xmlns="` + nsRegistry + `"><result><code>OK</code></result>` +
			`<resident><pin>1</pin><surname>a</surname><givenName>b</givenName><type>residence</type><since>10.03.2015</since></resident></getDwellingResidentsResponse>`},
		{"a service identifier without serviceCode", `<xrd:listMethodsResponse xmlns:xrd="` + soap.NSXRoad + `" xmlns:id="` + soap.NSIdentifiers + `">` +
			`<xrd:service id:objectType="SERVICE"><id:xRoadInstance>a</id:xRoadInstance><id:memberClass>b</id:memberClass><id:memberCode>c</id:memberCode></xrd:service></xrd:listMethodsResponse>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "body.xml")
			if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := xmllint(t, schema, path); err == nil {
				t.Errorf("xmllint accepted it:\n%s", out)
			}
		})
	}
}

const nsRegistry = "http://population.tunduk.kg/registry/v1"

// validateBodies validates the Body element of every envelope in glob.
func validateBodies(t *testing.T, schema, glob string) {
	t.Helper()
	files, _ := filepath.Glob(glob)
	if len(files) == 0 {
		t.Fatalf("no files match %s", glob)
	}
	dir := t.TempDir()
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".xml"), func(t *testing.T) {
			doc := etree.NewDocument()
			if err := doc.ReadFromFile(path); err != nil {
				t.Fatal(err)
			}
			body := doc.FindElement("/Envelope/Body/*")
			if body == nil {
				t.Fatalf("%s has no Body element", path)
			}
			out := filepath.Join(dir, name)
			writeStandalone(t, body, out)
			if msg, err := xmllint(t, schema, out); err != nil {
				t.Errorf("%s does not match the WSDL's schema: %v\n%s", path, err, msg)
			}
		})
	}
}

// wsdlSchema fetches the WSDL from a handler, writes each of its schemas to
// a file of its own (linking their imports by file) and returns a schema
// file that imports them all.
func wsdlSchema(t *testing.T) string {
	t.Helper()
	hs := newHarness(t)
	rec := httptest.NewRecorder()
	hs.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?wsdl", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /?wsdl: %d", rec.Code)
	}
	wsdl := etree.NewDocument()
	if err := wsdl.ReadFromBytes(rec.Body.Bytes()); err != nil {
		t.Fatal(err)
	}
	schemas := wsdl.FindElements("/definitions/types/schema")
	if len(schemas) == 0 {
		t.Fatal("the WSDL has no schema")
	}
	dir := t.TempDir()
	files := map[string]string{} // target namespace -> file
	for i, s := range schemas {
		files[s.SelectAttrValue("targetNamespace", "")] = fmt.Sprintf("schema%d.xsd", i)
	}
	var driver bytes.Buffer
	driver.WriteString(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">`)
	for i, s := range schemas {
		for _, imp := range s.SelectElements("import") {
			ns := imp.SelectAttrValue("namespace", "")
			if files[ns] == "" {
				t.Fatalf("the WSDL's schema imports %s, which it does not hold", ns)
			}
			imp.CreateAttr("schemaLocation", files[ns])
		}
		writeStandalone(t, s, filepath.Join(dir, fmt.Sprintf("schema%d.xsd", i)))
		fmt.Fprintf(&driver, `<xs:import namespace="%s" schemaLocation="schema%d.xsd"/>`, s.SelectAttrValue("targetNamespace", ""), i)
	}
	driver.WriteString(`</xs:schema>`)
	main := filepath.Join(dir, "wsdl.xsd")
	if err := os.WriteFile(main, driver.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return main
}

// writeStandalone writes el as a document of its own, with the namespace
// declarations it inherits from its ancestors.
func writeStandalone(t *testing.T, el *etree.Element, path string) {
	t.Helper()
	root := el.Copy()
	declared := map[string]bool{}
	for _, a := range root.Attr {
		declared[a.FullKey()] = true
	}
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if (a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")) && !declared[a.FullKey()] {
				declared[a.FullKey()] = true
				root.CreateAttr(a.FullKey(), a.Value)
			}
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(root)
	if err := doc.WriteToFile(path); err != nil {
		t.Fatal(err)
	}
}

// xmllint validates file against schema. Without xmllint the test fails
// under CI and skips elsewhere (testenv.Require).
func xmllint(t *testing.T, schema, file string) ([]byte, error) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	testenv.Require(t, "xmllint (apt-get install libxml2-utils, or make interop-deps)", err)
	return exec.Command(bin, "--noout", "--nonet", "--schema", schema, file).CombinedOutput()
}
