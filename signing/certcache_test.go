package signing

import (
	"strings"
	"testing"
	"time"
)

func TestACachedCertificateIsCheckedOnEveryRequest(t *testing.T) {
	s := testSigner(t, KeyECDSAP256)
	doc := signedRequest(t, KeyECDSAP256)
	p := policyFor(s.Certificate, requester)
	v, err := p.Check(doc, requester, requiredParts(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Certificate.Equal(s.Certificate) || v.Fingerprint != Fingerprint(s.Certificate) {
		t.Fatalf("verified certificate %s, want the signer's", v.Fingerprint)
	}
	again, err := p.Check(doc, requester, requiredParts(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if again.Certificate != v.Certificate {
		t.Error("the same token was parsed again: the cache is not used")
	}

	p.Now = func() time.Time { return s.Certificate.NotAfter.Add(time.Second) }
	if _, err := p.Check(doc, requester, requiredParts(t, doc)); !isErr(err, ErrCertificateNotValidNow) {
		t.Errorf("a cached certificate after its NotAfter: got %v, want ErrCertificateNotValidNow", err)
	}
	p.Now = func() time.Time { return signNow }
	p.Trust = NewTrustStore()
	p.Trust.Add("EE/GOV/99999/other", s.Certificate, false)
	if _, err := p.Check(doc, requester, requiredParts(t, doc)); !isErr(err, ErrCertificateWrongMember) {
		t.Errorf("a cached certificate bound to another member: got %v, want ErrCertificateWrongMember", err)
	}
	p.Trust = NewTrustStore()
	if _, err := p.Check(doc, requester, requiredParts(t, doc)); !isErr(err, ErrUntrustedCertificate) {
		t.Errorf("a cached certificate no longer trusted: got %v, want ErrUntrustedCertificate", err)
	}
}

func TestTheTokenCacheIsBounded(t *testing.T) {
	var c tokenCache
	doc := signedRequest(t, KeyECDSAP256)
	tok := find(t, doc, nsWSSE, "BinarySecurityToken")
	text := tok.Text()
	for i := range maxCachedTokens + 1 {
		tok.SetText(text + "\n" + strings.Repeat(" ", i)) // whitespace is allowed in base64Binary: each a distinct key
		cert, fp, cached, err := c.parse(tok)
		if err != nil || cached {
			t.Fatalf("a new token: cached %v, err %v", cached, err)
		}
		c.keep(tok, cert, fp)
		if len(c.m) > maxCachedTokens {
			t.Fatalf("%d tokens cached, the bound is %d", len(c.m), maxCachedTokens)
		}
	}
	tok.SetText(text + strings.Repeat(" ", maxCachedTokenText))
	cert, fp, _, err := c.parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	c.keep(tok, cert, fp)
	if _, ok := c.m[tok.Text()]; ok {
		t.Error("a token text over maxCachedTokenText was cached")
	}
}

func TestOnlyBoundCertificatesAreCached(t *testing.T) {
	doc := signedRequest(t, KeyECDSAP256)
	p := policyFor(testSigner(t, KeyRSA2048).Certificate, requester) // the request's certificate is a stranger's
	if _, err := p.Check(doc, requester, requiredParts(t, doc)); !isErr(err, ErrUntrustedCertificate) {
		t.Fatalf("got %v, want ErrUntrustedCertificate", err)
	}
	if len(p.tokens.m) != 0 {
		t.Error("an untrusted certificate was cached")
	}
	tok := find(t, doc, nsWSSE, "BinarySecurityToken")
	tok.SetText("not base64!")
	if _, err := p.Check(doc, requester, requiredParts(t, doc)); !isErr(err, ErrCertificateUnparsable) {
		t.Errorf("an unparsable token: got %v, want ErrCertificateUnparsable", err)
	}
	if len(p.tokens.m) != 0 {
		t.Error("a refused token was cached")
	}
}
