package adapter_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/certificate"
	"github.com/darbaza/darbaza/internal/testclock"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/demo"
	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// testIssuer is the issuing body of the certificates these tests issue.
var testIssuer = certificate.Issuer{
	NameKy: "Калкты каттоо реестри", NameRu: "Реестр регистрации населения",
	Member: "central-server/GOV/70000001/population-registry", VerifyURL: "https://population.tunduk.kg/verify",
}

// ask sends member's signed request for service with the body's
// arguments (name, value pairs; see request) under a fresh xrd:id, and
// returns the answer or the fault.
func (hs *harness) ask(member, service string, args ...string) response {
	hs.tb.Helper()
	r := hs.send(hs.sign(request(hs.tb, member, service, args...), member))
	if r.faultCode() == "" {
		hs.verify(r)
	}
	return r
}

// resultCode is the answer's business outcome, "" for a fault.
func (r response) resultCode() string {
	if el := r.doc.FindElement("//result/code"); el != nil {
		return el.Text()
	}
	return ""
}

// field is the text of the answer's element name ("" when absent).
func (r response) field(name string) string {
	for _, el := range r.doc.FindElements("//" + name) {
		if el.NamespaceURI() == adapter.Namespace {
			return el.Text()
		}
	}
	return ""
}

func (r response) bytesOf(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := base64.StdEncoding.DecodeString(r.field(name))
	if err != nil || len(b) == 0 {
		tb.Fatalf("%s: %d bytes, %v\n%s", name, len(b), err, r.raw)
	}
	return b
}

// docHarness is a harness serving only the document services, over a
// registry of the demo data whose clock the test moves.
type docHarness struct {
	*faultHarness
	clock *testclock.Clock
}

func newDocHarness(t *testing.T, limit *adapter.LookupLimiter) *docHarness {
	t.Helper()
	dh := &docHarness{clock: testclock.New(testNow)}
	opts := registry.Options{Now: dh.clock.Now, Rand: mathrand.NewChaCha8([32]byte{1})}
	dh.faultHarness = newFaultHarness(t, opts, func(fh *faultHarness, o *adapter.Options) {
		adapterKey := fh.signer.Signer.(*signing.Signer)
		office := &certificate.Office{Registry: fh.reg, Issuer: testIssuer,
			Signer: certificate.Signer{Key: adapterKey.Key, Certificate: adapterKey.Certificate, Now: dh.clock.Now}}
		o.Catalog = adapter.NewCatalog(adapter.DocumentServices(office, limit, dh.clock.Now)...)
		o.Members = adapter.NewMembers(map[string][]string{
			portal:  {"issueAddressCertificate", "verifyDocument"},
			sanarip: {"verifyDocument"},
		})
	})
	return dh
}

func TestACertificateCanBeVerifiedFor30Days(t *testing.T) {
	dh := newDocHarness(t, adapter.NewLookupLimiter(20, time.Hour))
	number := dh.ask(portal, "issueAddressCertificate", "pin", demo.PINFound).field("number")
	if number == "" {
		t.Fatal("no certificate issued")
	}
	random, err := registry.NewDocumentNumber(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		day          int
		number, want string
	}{
		{0, number, adapter.OutcomeOK},
		{29, number, adapter.OutcomeOK},
		{31, number, adapter.OutcomeDocumentExpired},
		{0, random, adapter.OutcomeDocumentNotFound},
	} {
		dh.clock.Set(testNow.AddDate(0, 0, c.day))
		if got := dh.ask(sanarip, "verifyDocument", "number", c.number).resultCode(); got != c.want {
			t.Errorf("day %d, number %s: %q, want %s", c.day, c.number, got, c.want)
		}
	}
}

func TestGuessingNumbersHitsTheLimitOfFailedLookups(t *testing.T) {
	dh := newDocHarness(t, adapter.NewLookupLimiter(3, time.Hour))
	number := dh.ask(portal, "issueAddressCertificate", "pin", demo.PINFound).field("number")
	before := len(dh.records())
	for i := range 3 {
		guess := fmt.Sprintf("5555555555%d", i)
		if got := dh.ask(sanarip, "verifyDocument", "number", guess).resultCode(); got != adapter.OutcomeDocumentNotFound {
			t.Fatalf("guess %d: %q", i, got)
		}
	}
	for _, n := range []string{"55555555559", number} {
		r := dh.ask(sanarip, "verifyDocument", "number", n)
		if r.faultCode() != adapter.CodeTooManyFailedLookups {
			t.Errorf("look-up of %s over the limit: fault %q, want %s\n%s", n, r.faultCode(), adapter.CodeTooManyFailedLookups, r.raw)
		}
	}
	if got := dh.ask(portal, "verifyDocument", "number", number).resultCode(); got != adapter.OutcomeOK {
		t.Errorf("another client is limited too: %q", got)
	}
	recs := dh.records()[before:]
	if len(recs) != 6 {
		t.Fatalf("%d access records for 6 look-ups", len(recs))
	}
	for i, want := range []string{"DocumentNotFound", "DocumentNotFound", "DocumentNotFound", adapter.CodeTooManyFailedLookups, adapter.CodeTooManyFailedLookups, "OK"} {
		if recs[i].Service != "verifyDocument" || recs[i].Outcome != want {
			t.Errorf("record %d: %s %s, want verifyDocument %s", i, recs[i].Service, recs[i].Outcome, want)
		}
	}
	dh.clock.Advance(time.Hour + time.Second)
	if got := dh.ask(sanarip, "verifyDocument", "number", number).resultCode(); got != adapter.OutcomeOK {
		t.Errorf("after the window: %q, want OK", got)
	}
}

func TestAnIssuedCertificateNamesItsRecordAndAFailedRecordLeavesNone(t *testing.T) {
	dh := newDocHarness(t, adapter.NewLookupLimiter(20, time.Hour))
	next, err := registry.NewDocumentNumber(mathrand.NewChaCha8([32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	dh.log.failing.Store(true)
	if got := dh.ask(portal, "issueAddressCertificate", "pin", demo.PINFound).faultCode(); got != soap.CodeLogUnavailable {
		t.Fatalf("issue with a failing access log: fault %q", got)
	}
	if _, err := dh.reg.Document(context.Background(), next); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("a certificate whose record failed was stored: %v", err)
	}
	dh.log.failing.Store(false)
	r := dh.ask(portal, "issueAddressCertificate", "pin", demo.PINFound)
	d, err := dh.reg.Document(context.Background(), r.field("number"))
	if err != nil {
		t.Fatal(err)
	}
	var named *accesslog.Record
	for _, rec := range dh.records() {
		if rec.ID == d.Record {
			named = &rec
		}
	}
	if named == nil || named.Service != "issueAddressCertificate" || named.Outcome != adapter.OutcomeOK {
		t.Errorf("document names record %q: %+v", d.Record, named)
	}
	if !bytes.Equal(d.Content, r.bytesOf(t, "xml")) {
		t.Error("the stored document is not the XML handed out")
	}
}

func TestACertificateIsIssuedAndAnyoneCanVerifyIt(t *testing.T) {
	hs := newHarness(t)
	r := hs.ask(portal, "issueAddressCertificate", "pin", demo.PINFound)
	if r.resultCode() != adapter.OutcomeOK {
		t.Fatalf("issue: %s\n%s", r.resultCode(), r.raw)
	}
	number, xml := r.field("number"), r.bytesOf(t, "xml")
	if registry.ValidDocumentNumber(number) != nil {
		t.Errorf("number %q", number)
	}
	v, err := certificate.Verify(xml, hs.adapter.Cert)
	if err != nil {
		t.Fatalf("the certificate's signature: %v", err)
	}
	if v.Number != number || v.PIN != demo.PINFound || v.Residence.Address == "" || v.Stay == nil || !v.Issued.Equal(testNow) {
		t.Errorf("certificate %+v", v.Certificate)
	}
	if r.field("digest") != registry.DigestOf(xml) || r.field("verificationUrl") != v.VerifyLink() {
		t.Errorf("digest %s, url %s", r.field("digest"), r.field("verificationUrl"))
	}
	if pdf := r.bytesOf(t, "pdf"); !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("pdf starts %q", pdf[:8])
	}
	if qr := r.bytesOf(t, "qr"); !bytes.HasPrefix(qr, []byte("\x89PNG")) {
		t.Errorf("qr starts %q", qr[:8])
	}

	digest := r.field("digest")
	for _, c := range []struct {
		name, number, digest, want string
	}{
		{"by number", number, "", adapter.OutcomeOK},
		{"by number and digest", number, digest, adapter.OutcomeOK},
		{"by number and digest in capitals", number, strings.ToUpper(digest), adapter.OutcomeOK},
		{"with a wrong digest", number, registry.DigestOf([]byte("forged")), adapter.OutcomeDocumentNotFound},
		{"by a number never issued", "24299971206", "", adapter.OutcomeDocumentNotFound},
		{"by a malformed number", "2429997120", "", adapter.OutcomeInvalidDocumentNumber},
	} {
		args := []string{"number", c.number}
		if c.digest != "" {
			args = append(args, "digest", c.digest)
		}
		got := hs.ask(sanarip, "verifyDocument", args...)
		if got.resultCode() != c.want {
			t.Errorf("%s: %q, want %s\n%s", c.name, got.resultCode(), c.want, got.raw)
			continue
		}
		if c.want == adapter.OutcomeOK && !bytes.Equal(got.bytesOf(t, "xml"), xml) {
			t.Errorf("%s: verifyDocument returns another document", c.name)
		}
		if c.want != adapter.OutcomeOK && got.field("xml") != "" {
			t.Errorf("%s: a refusal hands out the document", c.name)
		}
	}
}

func TestARefusedCertificateIsABusinessAnswer(t *testing.T) {
	hs := newHarness(t)
	for pin, want := range map[string]string{
		demo.PINConsular: adapter.OutcomeNoResidence,
		demo.PINNotFound: adapter.OutcomePersonNotFound,
		"21505198500":    adapter.OutcomeInvalidPIN,
	} {
		if got := hs.ask(portal, "issueAddressCertificate", "pin", pin).resultCode(); got != want {
			t.Errorf("pin %s: %q, want %s", pin, got, want)
		}
	}
}
