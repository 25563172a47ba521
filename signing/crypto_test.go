package signing

import (
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

func TestTamperingIsDetected(t *testing.T) {
	runAttacks(t, []attack{
		{
			name: "a signed Body changed",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, "http://population.tunduk.kg/registry/v1", "pin").SetText("21201198800124")
			},
			want: ErrDigestMismatch,
		},
		{
			name: "a signed header changed",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsXRoad, "userId").SetText("KG00000000000000")
			},
			want: ErrDigestMismatch,
		},
		{
			name: "an attribute added to a signed element",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsSOAP11, "Body").CreateAttr("x", "1")
			},
			want: ErrDigestMismatch,
		},
		{
			name: "a digest value changed to match a changed Body",
			mutate: func(tb testing.TB, doc *etree.Document) {
				body := find(tb, doc, nsSOAP11, "Body")
				find(tb, doc, "http://population.tunduk.kg/registry/v1", "pin").SetText("21201198800124")
				c14n, err := Canonicalize(body, nil)
				if err != nil {
					tb.Fatal(err)
				}
				id := existingID(body)
				for _, ref := range find(tb, doc, nsDSig, "SignedInfo").ChildElements()[2:] {
					if ref.SelectAttrValue("URI", "") == "#"+id {
						sum := digestAlgorithms[algSHA256].New()
						sum.Write(c14n)
						child(ref, nsDSig, "DigestValue").SetText(base64Std.EncodeToString(sum.Sum(nil)))
					}
				}
			},
			want: ErrBadSignature,
		},
		{
			name: "a flipped bit in the SignatureValue",
			mutate: func(tb testing.TB, doc *etree.Document) {
				sv := find(tb, doc, nsDSig, "SignatureValue")
				raw, _ := decodeBase64(sv.Text())
				raw[len(raw)-1] ^= 1
				sv.SetText(base64Std.EncodeToString(raw))
			},
			want: ErrBadSignature,
		},
		{
			name: "an ECDSA value in ASN.1 DER instead of raw r||s",
			mutate: func(tb testing.TB, doc *etree.Document) {
				sv := find(tb, doc, nsDSig, "SignatureValue")
				raw, _ := decodeBase64(sv.Text())
				der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])})
				if err != nil {
					tb.Fatal(err)
				}
				sv.SetText(base64Std.EncodeToString(der))
			},
			want: ErrBadSignature,
		},
		{
			name: "a SignatureValue that is not base64",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsDSig, "SignatureValue").SetText("!!")
			},
			want: ErrMalformed,
		},
		{
			name: "the SignedInfo changed after signing",
			kind: KeyRSA2048,
			mutate: func(tb testing.TB, doc *etree.Document) {
				ref := find(tb, doc, nsDSig, "Reference")
				ref.CreateAttr("Id", "extra")
			},
			want: ErrBadSignature,
		},
	})
}

func TestBase64WithLineBreaksIsAccepted(t *testing.T) {
	// zeep breaks SignatureValue and the token every 64 characters; sample5
	// verifies only if whitespace inside base64Binary is ignored.
	doc := loadSample(t, "sample5-zeep.xml")
	if !strings.Contains(find(t, doc, nsDSig, "SignatureValue").Text(), "\n") {
		t.Fatal("sample5 no longer has a broken SignatureValue")
	}
	body, _ := mustParts(t, doc)
	if _, err := samplePolicy(t).Check(doc, sampleMember, []*etree.Element{body}); err != nil {
		t.Fatal(err)
	}
}
