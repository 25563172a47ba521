package signing

import (
	"testing"
	"time"

	"github.com/beevik/etree"
)

func TestCertificateTrustAndBindingAreEnforced(t *testing.T) {
	runAttacks(t, []attack{
		{
			name:   "a certificate bound to no member",
			policy: func(_ testing.TB, p *Policy, _ *Signer) { p.Trust = NewTrustStore() },
			want:   ErrUntrustedCertificate,
		},
		{
			name: "a certificate bound to another member",
			policy: func(_ testing.TB, p *Policy, s *Signer) {
				p.Trust = NewTrustStore()
				p.Trust.Add("EE/GOV/99999/other", s.Certificate, false)
			},
			want: ErrCertificateWrongMember,
		},
		{
			name: "a certificate bound to the member but the request claims a subsystem of it",
			policy: func(_ testing.TB, p *Policy, s *Signer) {
				p.Trust = NewTrustStore()
				p.Trust.Add("EE/GOV/12345", s.Certificate, false)
			},
			want: ErrCertificateWrongMember,
		},
		{
			name: "a trusted certificate after its NotAfter",
			policy: func(_ testing.TB, p *Policy, s *Signer) {
				p.Now = func() time.Time { return s.Certificate.NotAfter.Add(time.Second) }
			},
			want: ErrCertificateNotValidNow,
		},
		{
			name: "a trusted certificate before its NotBefore",
			policy: func(_ testing.TB, p *Policy, s *Signer) {
				p.Now = func() time.Time { return s.Certificate.NotBefore.Add(-time.Second) }
			},
			want: ErrCertificateNotValidNow,
		},
		{
			name: "another trusted member's certificate swapped into the token",
			mutate: func(tb testing.TB, doc *etree.Document) {
				other := testSigner(tb, KeyRSA2048).Certificate
				find(tb, doc, nsWSSE, "BinarySecurityToken").SetText(base64Std.EncodeToString(other.Raw))
				find(tb, doc, nsDSig, "SignatureMethod").CreateAttr("Algorithm", algRSASHA256)
			},
			policy: func(tb testing.TB, p *Policy, _ *Signer) {
				p.Trust.Add(requester, testSigner(tb, KeyRSA2048).Certificate, false)
			},
			want: ErrBadSignature,
		},
	})
}

func TestCheckPinnedRefusesAnyOtherCertificate(t *testing.T) {
	doc := signedRequest(t, KeyECDSAP256)
	p := &Policy{Now: func() time.Time { return signNow }}
	if _, err := p.CheckPinned(doc, testSigner(t, KeyRSA2048).Certificate, nil); !isErr(err, ErrUntrustedCertificate) {
		t.Fatalf("got %v, want ErrUntrustedCertificate", err)
	}
	if _, err := p.CheckPinned(doc, nil, nil); !isErr(err, ErrUntrustedCertificate) {
		t.Fatalf("nil certificate: got %v, want ErrUntrustedCertificate", err)
	}
}

func TestTrustStoreBindsMembersExactly(t *testing.T) {
	ec, rsa := testSigner(t, KeyECDSAP256).Certificate, testSigner(t, KeyRSA2048).Certificate
	ts := NewTrustStore()
	ts.Add("EE/GOV/1/b", ec, false)
	ts.Add("EE/GOV/1/a", ec, true)
	ts.Add("EE/GOV/1/a", ec, false)
	if got := ts.Members(ec); len(got) != 2 || got[0] != "EE/GOV/1/a" || got[1] != "EE/GOV/1/b" {
		t.Errorf("Members = %v", got)
	}
	if ts.Members(rsa) != nil {
		t.Error("an unknown certificate has members")
	}
	if !ts.LegacySHA1("EE/GOV/1/a") || ts.LegacySHA1("EE/GOV/1/b") {
		t.Error("legacy flags wrong: a later Add(false) must not clear an earlier true")
	}
}
