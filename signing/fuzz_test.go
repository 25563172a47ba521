package signing

import (
	"bytes"
	"errors"
	"testing"

	"github.com/darbaza/darbaza/soap"
)

// checkSentinels are the refusals Check may return; every error must wrap one.
var checkSentinels = []error{
	ErrMalformed, ErrMissingSecurity, ErrExtraSecurity, ErrMissingToken, ErrExtraToken,
	ErrMissingTimestamp, ErrExtraTimestamp, ErrMissingSignature, ErrExtraSignature,
	ErrUnsupportedAlgorithm, ErrUnsupportedTransform, ErrUnsupportedKey, ErrSHA1NotAllowed,
	ErrTooManyReferences, ErrUnknownID, ErrDuplicateID, ErrDigestMismatch, ErrBadSignature,
	ErrNotCovered, ErrTimestampInvalid, ErrTimestampExpired, ErrTimestampFuture,
	ErrTimestampTooOld, ErrCertificateUnparsable, ErrCertificateNotValidNow,
	ErrUntrustedCertificate, ErrCertificateWrongMember,
}

func addSeeds(f *testing.F) {
	for _, name := range append(conformanceSamples, "edge-c14n-xmlsec1.xml") {
		f.Add(readWSS(f, name))
	}
	for _, kind := range keyKinds {
		f.Add(signFixture(f, testSigner(f, kind), "request.xml"))
	}
}

// FuzzCheck feeds untrusted bytes through the server's path: soap.ParseXML,
// then Check with both the samples' and the test keys' certificates trusted.
// Properties: every refusal wraps one of Check's sentinels; an acceptance
// covers the Body, every X-Road header and the Timestamp, and the same
// document checks the same way twice.
func FuzzCheck(f *testing.F) {
	addSeeds(f)
	p := samplePolicy(f)
	for _, kind := range keyKinds {
		p.Trust.Add(requester, testSigner(f, kind).Certificate, false)
	}
	p.MaxAge = 1 << 62 // accept the samples' and the test requests' timestamps alike
	p.MaxSkew = 1 << 61
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := soap.ParseXML(raw, soap.Limits{})
		if err != nil {
			return
		}
		required, _ := SignedParts(doc)
		v, err := p.Check(doc, requester, required)
		if err != nil {
			for _, s := range checkSentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		for _, el := range required {
			if !v.Covers(el) {
				t.Fatalf("accepted without covering %s", el.FullTag())
			}
		}
		if len(v.Signed) == 0 {
			t.Fatal("accepted with no signed element")
		}
		if _, err := p.Check(doc, requester, required); err != nil {
			t.Fatalf("second Check of an accepted document: %v", err)
		}
	})
}

// FuzzCanonicalize checks that canonical XML is a fixed point: the canonical
// form of any parsed document, parsed again and canonicalized, is the same
// bytes, and it never has a comment or an XML declaration.
func FuzzCanonicalize(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`<a xmlns="urn:x" xmlns:p="urn:p" p:b="&#9;&#13;"><!--c--><?pi x?><b xmlns=""/>&#13;</a>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := soap.ParseXML(raw, soap.Limits{})
		if err != nil {
			return
		}
		first, err := Canonicalize(doc.Root(), []string{"#default"})
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error is not ErrMalformed: %v", err)
			}
			return
		}
		again, err := soap.ParseXML(first, soap.Limits{MaxBytes: int64(len(first)) + 1})
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%q", err, first)
		}
		second, err := Canonicalize(again.Root(), []string{"#default"})
		if err != nil {
			t.Fatalf("canonical form does not canonicalize: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("not a fixed point:\n%q\n%q", first, second)
		}
		if bytes.Contains(first, []byte("<!--")) || bytes.HasPrefix(first, []byte("<?xml")) {
			t.Fatalf("comment or declaration in canonical form: %q", first)
		}
	})
}
