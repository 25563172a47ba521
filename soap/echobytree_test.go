package soap

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
)

// echoByTree is echo as it was before it built the header from arrays: the
// reference TestEchoBuildsWhatTheTreeBuilderBuilt compares echo with.
func (m *Message) echoByTree(req *Envelope) {
	root := m.Doc.Root()
	root.CreateAttr("xmlns:xrd", NSXRoad)
	root.CreateAttr("xmlns:id", NSIdentifiers)
	header := etree.NewElement("SOAP-ENV:Header")
	root.InsertChildAt(0, header)
	h := req.Headers
	for _, el := range req.XRoadHeaders {
		var echo *etree.Element
		switch el.Tag {
		case "client":
			echo = identifierElementByTree("xrd:client", h.Client.ObjectType(), h.Client, "", "")
		case "service":
			echo = identifierElementByTree("xrd:service", ObjectService, h.Service.Provider, h.Service.ServiceCode, h.Service.ServiceVersion)
		case "representedParty":
			echo = etree.NewElement("repr:representedParty")
			echo.CreateAttr("xmlns:repr", NSRepresentation)
			if h.RepresentedParty.Class != "" {
				echo.CreateElement("repr:partyClass").SetText(h.RepresentedParty.Class)
			}
			echo.CreateElement("repr:partyCode").SetText(h.RepresentedParty.Code)
		default:
			echo = etree.NewElement("xrd:" + el.Tag)
			echo.SetText(h.text(el.Tag))
		}
		header.AddChild(echo)
		m.Covered = append(m.Covered, echo)
	}
	sum := sha512.Sum512(req.Raw)
	rh := header.CreateElement("xrd:requestHash")
	rh.CreateAttr("algorithmId", AlgSHA512)
	rh.SetText(base64.StdEncoding.EncodeToString(sum[:]))
	m.Covered = append(m.Covered, rh)
}

func identifierElementByTree(tag, objectType string, id ClientID, serviceCode, version string) *etree.Element {
	el := etree.NewElement(tag)
	el.CreateAttr("id:objectType", objectType)
	el.CreateElement("id:xRoadInstance").SetText(id.Instance)
	el.CreateElement("id:memberClass").SetText(id.MemberClass)
	el.CreateElement("id:memberCode").SetText(id.MemberCode)
	if id.SubsystemCode != "" {
		el.CreateElement("id:subsystemCode").SetText(id.SubsystemCode)
	}
	if serviceCode != "" {
		el.CreateElement("id:serviceCode").SetText(serviceCode)
	}
	if version != "" {
		el.CreateElement("id:serviceVersion").SetText(version)
	}
	return el
}

func TestEchoBuildsWhatTheTreeBuilderBuilt(t *testing.T) {
	files, _ := filepath.Glob("../testdata/requests/*.xml")
	if len(files) < 10 {
		t.Fatalf("only %d sample requests", len(files))
	}
	decoded := 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		env, err := Decode(raw, Limits{})
		if err != nil {
			continue // refused before any answer is built
		}
		decoded++
		got := newMessage()
		got.echo(env)
		want := newMessage()
		want.echoByTree(env)
		for _, m := range []*Message{got, want} {
			m.Body.CreateElement("p:answer").CreateAttr("xmlns:p", "urn:p")
		}
		a, err := got.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		b, err := want.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: echo wrote\n%s\nthe tree builder\n%s", path, a, b)
		}
		if d := sameTree(got.Doc.Root(), want.Doc.Root(), ""); d != "" {
			t.Errorf("%s: the trees differ: %s", path, d)
		}
		if len(got.Covered) != len(want.Covered) {
			t.Errorf("%s: %d covered elements, want %d", path, len(got.Covered), len(want.Covered))
		}
		for i := range got.Covered {
			if i < len(want.Covered) && got.Covered[i].FullTag() != want.Covered[i].FullTag() {
				t.Errorf("%s: covered %d is %s, want %s", path, i, got.Covered[i].FullTag(), want.Covered[i].FullTag())
			}
		}
		// A signer adds to what echo built: its slices must take that.
		header := got.Doc.Root().SelectElement("SOAP-ENV:Header")
		header.CreateElement("wsse:Security")
		for _, el := range got.Covered {
			el.CreateAttr("wsu:Id", "x")
		}
		header2 := want.Doc.Root().SelectElement("SOAP-ENV:Header")
		header2.CreateElement("wsse:Security")
		for _, el := range want.Covered {
			el.CreateAttr("wsu:Id", "x")
		}
		a, _ = got.Bytes()
		b, _ = want.Bytes()
		if !bytes.Equal(a, b) {
			t.Errorf("%s: after a signer's changes, echo's tree wrote\n%s\nthe tree builder's\n%s", path, a, b)
		}
	}
	if decoded < 10 {
		t.Fatalf("only %d sample requests decoded", decoded)
	}
}
