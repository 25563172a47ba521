package signing

import (
	"testing"

	"github.com/beevik/etree"
)

// Signature wrapping (XML-DSig best practices, section 2.1.2): a signed
// element moved out of the place the server reads, an unsigned one in its
// place. Check must refuse each, since Covers works by element identity.

func TestSignatureWrappingIsRefused(t *testing.T) {
	runAttacks(t, []attack{
		{
			name: "signed Body moved into a header, unsigned Body in its place",
			mutate: func(tb testing.TB, doc *etree.Document) {
				env := doc.Root()
				body := find(tb, doc, nsSOAP11, "Body")
				env.RemoveChild(body)
				wrapper := find(tb, doc, nsSOAP11, "Header").CreateElement("w:Wrapper")
				wrapper.CreateAttr("xmlns:w", "urn:wrap")
				wrapper.AddChild(body)
				forged := env.CreateElement("soapenv:Body")
				forged.CreateElement("reg:getPerson").CreateElement("reg:pin").SetText("99999999999999")
			},
			want: ErrNotCovered,
		},
		{
			name: "signed Body moved into an extra Envelope child, unsigned Body after it",
			mutate: func(tb testing.TB, doc *etree.Document) {
				env := doc.Root()
				body := find(tb, doc, nsSOAP11, "Body")
				env.RemoveChild(body)
				env.CreateElement("Extra").AddChild(body)
				env.CreateElement("soapenv:Body").CreateElement("reg:getPerson")
			},
			want: ErrNotCovered,
		},
		{
			name: "a second Body after the signed one",
			mutate: func(tb testing.TB, doc *etree.Document) {
				doc.Root().CreateElement("soapenv:Body").CreateElement("reg:getPerson")
			},
			need: func(tb testing.TB, doc *etree.Document) []*etree.Element {
				return []*etree.Element{find(tb, doc, nsSOAP11, "Body")}
			},
			want: ErrMalformed,
		},
		{
			name: "signed xrd:client moved into a wrapper header, forged client in its place",
			mutate: func(tb testing.TB, doc *etree.Document) {
				header := find(tb, doc, nsSOAP11, "Header")
				client := find(tb, doc, nsXRoad, "client")
				header.RemoveChild(client)
				w := etree.NewElement("w:Wrapper")
				w.CreateAttr("xmlns:w", "urn:wrap")
				w.AddChild(client)
				header.InsertChildAt(0, w)
				forged := etree.NewElement("xrd:client")
				forged.CreateAttr("iden:objectType", "MEMBER")
				forged.CreateElement("iden:xRoadInstance").SetText("EE")
				header.InsertChildAt(0, forged)
			},
			want: ErrNotCovered,
		},
		{
			name: "an unsigned X-Road header added",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsSOAP11, "Header").InsertChildAt(0, etree.NewElement("xrd:issue"))
			},
			want: ErrNotCovered,
		},
		{
			name: "a duplicate of a signed id on another element",
			mutate: func(tb testing.TB, doc *etree.Document) {
				id := existingID(find(tb, doc, nsSOAP11, "Body"))
				find(tb, doc, nsXRoad, "userId").CreateAttr("Id", id)
			},
			want: ErrDuplicateID,
		},
		{
			name: "a duplicate id deep inside the Body",
			mutate: func(tb testing.TB, doc *etree.Document) {
				id := existingID(find(tb, doc, nsWSU, "Timestamp"))
				find(tb, doc, "http://population.tunduk.kg/registry/v1", "pin").CreateAttr("Id", id)
			},
			want: ErrDuplicateID,
		},
		{
			name: "the Body is not required but the Timestamp reference is removed",
			mutate: func(tb testing.TB, doc *etree.Document) {
				si := find(tb, doc, nsDSig, "SignedInfo")
				si.RemoveChild(si.ChildElements()[2]) // the Timestamp's reference comes first
			},
			need: func(testing.TB, *etree.Document) []*etree.Element { return nil },
			want: ErrNotCovered,
		},
		{
			name: "a nil required element",
			need: func(testing.TB, *etree.Document) []*etree.Element { return []*etree.Element{nil} },
			want: ErrNotCovered,
		},
	})
}

func TestSignatureOverAnotherElementDoesNotCoverTheBody(t *testing.T) {
	s := testSigner(t, KeyECDSAP256)
	doc := parse(t, readTestdata(t, "unsigned/request.xml"))
	headers, err := XRoadHeaders(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sign(doc, headers); err != nil { // everything but the Body
		t.Fatal(err)
	}
	doc = reparse(t, doc)
	p := policyFor(s.Certificate, requester)
	headers, _ = XRoadHeaders(doc)
	if _, err := p.Check(doc, requester, headers); err != nil {
		t.Fatalf("with the headers required: %v", err)
	}
	if _, err := p.Check(doc, requester, requiredParts(t, doc)); err == nil || !isErr(err, ErrNotCovered) {
		t.Fatalf("with the Body required: got %v, want ErrNotCovered", err)
	}
}
