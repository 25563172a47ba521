package signing

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// requester is the member the signed test requests come from.
const requester = "EE/GOV/12345/client"

// signedRequest returns testdata/unsigned/request.xml signed by the test key
// of kind, covering the Body and every X-Road header, parsed again from bytes.
func signedRequest(tb testing.TB, kind string) *etree.Document {
	tb.Helper()
	return parse(tb, signFixture(tb, testSigner(tb, kind), "request.xml"))
}

// reparse serializes doc and parses it as the server would, so that each
// attack reaches Check as bytes on the wire.
func reparse(tb testing.TB, doc *etree.Document) *etree.Document {
	tb.Helper()
	raw, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatal(err)
	}
	return parse(tb, raw)
}

// find returns the first element in doc with namespace ns and local name.
func find(tb testing.TB, doc *etree.Document, ns, local string) *etree.Element {
	tb.Helper()
	el := descendant(&doc.Element, ns, local)
	if el == nil {
		tb.Fatalf("no {%s}%s", ns, local)
	}
	return el
}

// requiredParts is what the server requires to be covered: the Envelope's own
// Body and every X-Road header.
func requiredParts(tb testing.TB, doc *etree.Document) []*etree.Element {
	tb.Helper()
	parts, err := SignedParts(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return parts
}

// resignSHA1 rewrites a freshly signed RSA request to the SHA-1 forms
// (rsa-sha1, sha1 digests), validly signed with key.
func resignSHA1(tb testing.TB, doc *etree.Document, key crypto.Signer) {
	tb.Helper()
	si := find(tb, doc, nsDSig, "SignedInfo")
	child(si, nsDSig, "SignatureMethod").CreateAttr("Algorithm", algRSASHA1)
	for _, ref := range si.ChildElements()[2:] {
		target := elementByID(doc.Root(), strings.TrimPrefix(ref.SelectAttrValue("URI", ""), "#"))
		c14n, err := Canonicalize(target, nil)
		if err != nil {
			tb.Fatal(err)
		}
		sum := sha1.Sum(c14n)
		child(ref, nsDSig, "DigestMethod").CreateAttr("Algorithm", algSHA1)
		child(ref, nsDSig, "DigestValue").SetText(base64Std.EncodeToString(sum[:]))
	}
	c14n, err := Canonicalize(si, nil)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha1.Sum(c14n)
	value, err := rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), crypto.SHA1, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	find(tb, doc, nsDSig, "SignatureValue").SetText(base64Std.EncodeToString(value))
}

type attack struct {
	name   string
	kind   string                                                    // key type; "" = ECDSA
	mutate func(tb testing.TB, doc *etree.Document)                  // applied before reparsing
	policy func(tb testing.TB, p *Policy, s *Signer)                 // adjusts the accepting policy
	need   func(tb testing.TB, doc *etree.Document) []*etree.Element // required; nil = requiredParts
	want   error
}

func runAttacks(t *testing.T, attacks []attack) {
	t.Helper()
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			kind := a.kind
			if kind == "" {
				kind = KeyECDSAP256
			}
			s := testSigner(t, kind)
			doc := signedRequest(t, kind)
			p := policyFor(s.Certificate, requester)
			// The unmodified message is accepted: the refusal below is the attack's doing.
			if _, err := p.Check(doc, requester, requiredParts(t, doc)); err != nil {
				t.Fatalf("unmodified message refused: %v", err)
			}
			if a.mutate != nil {
				a.mutate(t, doc)
				doc = reparse(t, doc)
			}
			if a.policy != nil {
				a.policy(t, p, s)
			}
			need := requiredParts
			if a.need != nil {
				need = a.need
			}
			v, err := p.Check(doc, requester, need(t, doc))
			if !errors.Is(err, a.want) {
				t.Fatalf("got %v, want %v", err, a.want)
			}
			if err == nil && v == nil {
				t.Fatal("nil Verified without error")
			}
		})
	}
}

func TestLegacySHA1IsAcceptedOnlyForLegacyMembers(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		s := testSigner(t, KeyRSA2048)
		doc := signedRequest(t, KeyRSA2048)
		resignSHA1(t, doc, s.Key)
		doc = reparse(t, doc)
		trust := NewTrustStore()
		trust.Add(requester, s.Certificate, legacy)
		p := &Policy{Trust: trust, Now: func() time.Time { return signNow }}
		_, err := p.Check(doc, requester, requiredParts(t, doc))
		switch {
		case legacy && err != nil:
			t.Errorf("legacy member: %v", err)
		case !legacy && !errors.Is(err, ErrSHA1NotAllowed):
			t.Errorf("non-legacy member: got %v, want ErrSHA1NotAllowed", err)
		}
	}
}
