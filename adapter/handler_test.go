package adapter_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/certificate"
	"github.com/darbaza/darbaza/internal/testkeys"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
	"github.com/darbaza/darbaza/registry/demo"
	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

var update = flag.Bool("update", false, "rewrite the golden responses in ../testdata/responses")

// The clock of every test here: after the demo's reference date.
var testNow = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

const (
	portal   = "central-server/GOV/70000002/portal"
	sanarip  = "central-server/GOV/70000003/sanarip-aymak"
	taxCab   = "central-server/GOV/70000004/tax-cabinet"
	apostOff = "central-server/GOV/70000005/apostille"
	stranger = "central-server/GOV/79999999/unknown"
)

// harness is a Handler wired to real stores in a temporary folder, with a
// fixed clock and record ids counted up from 1.
type harness struct {
	tb      testing.TB
	handler *adapter.Handler
	log     *accesslog.Log
	keys    map[string]keyPair
	adapter keyPair
	ids     atomic.Int64
}

type keyPair = testkeys.Pair

func newKeyPair(tb testing.TB, cn string) keyPair { return testkeys.EC(tb, cn) }

func openRegistry(tb testing.TB) *registry.Registry {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "registry.db")
	file, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	// Document numbers come from a fixed seed, so golden answers name them.
	store := registry.New(file, registry.Options{Now: func() time.Time { return testNow }, Rand: mathrand.NewChaCha8([32]byte{})})
	tb.Cleanup(func() { store.Close() })
	var buf bytes.Buffer
	if err := demo.Write(&buf, demo.Options{Persons: 300}); err != nil {
		tb.Fatal(err)
	}
	if _, err := store.Import(context.Background(), &buf); err != nil {
		tb.Fatal(err)
	}
	return store
}

func newHarness(tb testing.TB) *harness {
	tb.Helper()
	return newHarnessWith(tb, nil)
}

// newHarnessWith lets a test change the handler's options before use.
func newHarnessWith(tb testing.TB, change func(*adapter.Options)) *harness {
	tb.Helper()
	keys := map[string]keyPair{}
	for _, m := range []string{portal, sanarip, taxCab, apostOff, stranger} {
		keys[m] = newKeyPair(tb, m)
	}
	return newHarnessFrom(tb, keys, change)
}

// newHarnessFrom wires a harness whose members sign with keys; every key
// but the stranger's is bound to its member.
func newHarnessFrom(tb testing.TB, keys map[string]keyPair, change func(*adapter.Options)) *harness {
	tb.Helper()
	hs := &harness{tb: tb, keys: keys}
	hs.adapter = newKeyPair(tb, "central-server/GOV/70000001/population-registry")
	trust := signing.NewTrustStore()
	rights := map[string][]string{
		portal: {"getPerson", "getRegistration", "getAccessHistory", "issueAddressCertificate", "verifyDocument",
			"submitRegistration", "confirmRegistration", "deregister", "getApplicationStatus"},
		sanarip:  {"getPerson", "getRegistration", "getDwellingResidents", "verifyDocument"},
		taxCab:   {"getTaxpayer", "getApostille"},
		apostOff: {"registerApostille", "getApostille"},
	}
	for m, kp := range keys {
		if m != stranger {
			trust.Add(m, kp.Cert, false)
		}
	}
	clock := func() time.Time { return testNow }
	var err error
	hs.log, err = accesslog.Open(accesslog.Options{
		Path:        filepath.Join(tb.TempDir(), "accesslog.db"),
		Signer:      hs.adapter.Key,
		Certificate: hs.adapter.Cert,
		SubjectKey:  bytes.Repeat([]byte{7}, 32),
		Now:         clock,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { hs.log.Close() })
	store := openRegistry(tb)
	provider, _ := soap.ParseClientID("central-server/GOV/70000001/population-registry")
	office := &certificate.Office{Registry: store, Signer: certificate.Signer{Key: hs.adapter.Key, Certificate: hs.adapter.Cert, Now: clock},
		Issuer: testIssuer}
	catalog := adapter.NewCatalog(slices.Concat(adapter.RegistryServices(store, hs.log, clock),
		adapter.DocumentServices(office, adapter.NewLookupLimiter(20, time.Hour), clock))...)
	members := adapter.NewMembers(rights)
	opt := adapter.Options{
		Provider: provider,
		Catalog:  catalog,
		Members:  members,
		Log:      hs.log,
		Verifier: &signing.Policy{Trust: trust, Now: clock},
		Signer:   &signing.Signer{Key: hs.adapter.Key, Certificate: hs.adapter.Cert, Now: clock},
		Replay:   adapter.NewReplayCache(30 * time.Minute),
		Now:      clock,
		NewID:    func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", hs.ids.Add(1)) },
	}
	if change != nil {
		change(&opt)
	}
	hs.handler = adapter.New(opt)
	return hs
}

// sign signs raw as member, or returns it unchanged when it cannot be
// signed (a malformed sample is refused before any signature check).
func (hs *harness) sign(raw []byte, member string) []byte {
	hs.tb.Helper()
	doc, err := soap.ParseXML(raw, soap.Limits{})
	if err != nil {
		return raw
	}
	parts, err := signing.SignedParts(doc)
	if err != nil {
		return raw
	}
	kp := hs.keys[member]
	s := &signing.Signer{Key: kp.Key, Certificate: kp.Cert, Now: func() time.Time { return testNow }}
	if err := s.Sign(doc, parts); err != nil {
		return raw
	}
	out, err := doc.WriteToBytes()
	if err != nil {
		hs.tb.Fatal(err)
	}
	return out
}

type response struct {
	status int
	raw    []byte
	doc    *etree.Document
}

func (hs *harness) post(raw []byte, contentType string) response {
	hs.tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(raw))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	hs.handler.ServeHTTP(rec, req)
	out, _ := io.ReadAll(rec.Body)
	doc, err := soap.ParseXML(out, soap.Limits{MaxBytes: 1 << 20})
	if err != nil {
		hs.tb.Fatalf("response does not parse: %v\n%s", err, out)
	}
	return response{rec.Code, out, doc}
}

func (hs *harness) send(raw []byte) response {
	return hs.post(raw, "text/xml; charset=utf-8")
}

// faultCode is the response's faultcode, or "" for an answer.
func (r response) faultCode() string {
	if f := r.doc.FindElement("//Fault/faultcode"); f != nil {
		return f.Text()
	}
	return ""
}

// verify checks the response's signature against the adapter certificate.
func (hs *harness) verify(r response) {
	hs.tb.Helper()
	body, err := signing.Body(r.doc)
	if err != nil {
		hs.tb.Fatal(err)
	}
	p := &signing.Policy{Trust: signing.NewTrustStore(), Now: func() time.Time { return testNow }}
	v, err := p.CheckPinned(r.doc, hs.adapter.Cert, []*etree.Element{body})
	if err != nil {
		hs.tb.Fatalf("response signature does not verify: %v\n%s", err, r.raw)
	}
	headers, _ := signing.XRoadHeaders(r.doc)
	for _, h := range headers {
		if !v.Covers(h) {
			hs.tb.Errorf("response header %s is not signed", h.Tag)
		}
	}
}

func readSample(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// normalize strips what differs between runs of the same request (the
// signature, ids it adds, the hash of the randomly signed request) so the
// rest of a response can be compared with a golden file.
func normalize(tb testing.TB, r response) []byte {
	tb.Helper()
	doc := r.doc.Copy()
	for _, sec := range doc.FindElements("//Security") {
		sec.Parent().RemoveChild(sec)
	}
	for _, el := range doc.FindElements("//*") {
		el.RemoveAttr("wsu:Id")
		el.RemoveAttr("xmlns:wsu")
		if el.Tag == "requestHash" {
			el.SetText("(SHA-512 of the request)")
		}
		// A certificate's forms carry signatures made afresh each run.
		if el.NamespaceURI() == adapter.Namespace {
			switch el.Tag {
			case "xml", "pdf", "qr", "digest":
				el.SetText("")
				el.CreateComment(" " + el.Tag + ": differs per run, blanked ")
			}
		}
	}
	doc.Indent(2)
	out, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestSamplesGetTheirGoldenAnswers(t *testing.T) {
	hs := newHarness(t)
	files, _ := filepath.Glob("../testdata/requests/*.xml")
	if len(files) == 0 {
		t.Fatal("no samples in ../testdata/requests")
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".xml")
		t.Run(name, func(t *testing.T) {
			hs := hs
			hs.tb = t
			raw := readSample(t, path)
			// A sample that names samples to send first (<!-- after: ... -->),
			// or of a service that changes data, runs on a registry and log
			// of its own, so that no sample's answer depends on another's
			// changes but those it names.
			if m := afterRe.FindSubmatch(raw); m != nil || isWriteSample(name) {
				hs = newHarness(t)
				if m != nil {
					for i, before := range strings.Fields(string(m[1])) {
						prior := readSample(t, filepath.Join("../testdata/requests", before))
						prior = bytes.Replace(prior, []byte("</xrd:id>"), []byte(fmt.Sprintf("-before-%d</xrd:id>", i)), 1)
						if r := hs.send(hs.sign(prior, sampleMember(prior))); r.faultCode() != "" {
							t.Fatalf("%s, sent before: fault %s", before, r.faultCode())
						}
					}
				}
			}
			signed := hs.sign(raw, sampleMember(raw))
			r := hs.send(signed)
			if r.status != http.StatusOK || r.faultCode() != "" {
				t.Fatalf("status %d fault %q\n%s", r.status, r.faultCode(), r.raw)
			}
			hs.verify(r)
			sum := sha512.Sum512(signed)
			if got := r.doc.FindElement("//requestHash").Text(); got != base64.StdEncoding.EncodeToString(sum[:]) {
				t.Errorf("requestHash %s is not the SHA-512 of the request", got)
			}
			golden := filepath.Join("../testdata/responses", name+".xml")
			got := normalize(t, r)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./adapter -run Golden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("response differs from %s:\n%s", golden, got)
			}
		})
	}
}

var expectRe = regexp.MustCompile(`<!-- expect: (\S+) -->`)

// afterRe finds the samples a sample needs sent before it.
var afterRe = regexp.MustCompile(`<!-- after: ([^>]+) -->`)

// isWriteSample reports whether the sample named name calls a service that
// changes data.
func isWriteSample(name string) bool {
	for _, code := range []string{"submitRegistration", "confirmRegistration", "deregister", "registerApostille"} {
		if strings.HasPrefix(name, code+"-") {
			return true
		}
	}
	return false
}

// sampleMember is the member a sample is signed as: the one its xrd:client
// names (by subsystem), else the portal.
func sampleMember(raw []byte) string {
	for _, m := range []string{sanarip, taxCab, apostOff} {
		if strings.Contains(string(raw), "<id:subsystemCode>"+m[strings.LastIndex(m, "/")+1:]+"</id:subsystemCode>") {
			return m
		}
	}
	return portal
}

func TestFaultSamplesGetTheirFaultCodes(t *testing.T) {
	hs := newHarness(t)
	files, _ := filepath.Glob("../testdata/faults/*.xml")
	if len(files) == 0 {
		t.Fatal("no samples in ../testdata/faults")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			hs.tb = t
			raw := readSample(t, path)
			m := expectRe.FindSubmatch(raw)
			if m == nil {
				t.Fatal("sample has no <!-- expect: CODE --> comment")
			}
			if !strings.Contains(path, "unsigned") {
				raw = hs.sign(raw, sampleMember(raw))
			}
			r := hs.send(raw)
			if r.status != http.StatusInternalServerError || r.faultCode() != string(m[1]) {
				t.Errorf("status %d fault %q, want 500 %s\n%s", r.status, r.faultCode(), m[1], r.raw)
			}
			if detail := r.doc.FindElement("//Fault/detail/faultDetail"); detail == nil || detail.Text() == "" {
				t.Errorf("fault without faultDetail: %s", r.raw)
			}
			hs.verify(r)
		})
	}
}

func TestXRoadNegativeSampleIsInconsistentHeaders(t *testing.T) {
	hs := newHarness(t)
	raw := readSample(t, "../testdata/conformance/xroad-samples/xroad-proxy-test__inconsistent-headers.query")
	if got := hs.send(raw).faultCode(); got != soap.CodeInconsistentHeaders {
		t.Errorf("fault %q, want %s", got, soap.CodeInconsistentHeaders)
	}
}

func TestTransportRefusals(t *testing.T) {
	hs := newHarness(t)
	valid := hs.sign(readSample(t, "../testdata/requests/getPerson-found.xml"), portal)
	tests := []struct {
		name, method, contentType string
		body                      []byte
		code                      string
	}{
		{"GET on the endpoint", http.MethodGet, "", nil, soap.CodeInvalidHTTPMethod},
		{"PUT on the endpoint", http.MethodPut, "text/xml", valid, soap.CodeInvalidHTTPMethod},
		{"JSON content type", http.MethodPost, "application/json", valid, soap.CodeInvalidContentType},
		{"SOAP 1.2 content type", http.MethodPost, "application/soap+xml; charset=utf-8", valid, soap.CodeInvalidContentType},
		{"another charset", http.MethodPost, "text/xml; charset=iso-8859-1", valid, soap.CodeInvalidContentType},
		{"multipart (attachments)", http.MethodPost, "multipart/related; boundary=x", valid, soap.CodeInvalidContentType},
		{"oversized body", http.MethodPost, "text/xml", bytes.Repeat([]byte(" "), int(soap.DefaultLimits.MaxBytes)+1), soap.CodeMessageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/", bytes.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec := httptest.NewRecorder()
			hs.handler.ServeHTTP(rec, req)
			if !strings.Contains(rec.Body.String(), "<faultcode>"+tt.code+"</faultcode>") {
				t.Errorf("status %d, want fault %s:\n%s", rec.Code, tt.code, rec.Body)
			}
		})
	}
}

func TestAccessRights(t *testing.T) {
	hs := newHarness(t)
	dwelling := readSample(t, "../testdata/requests/getDwellingResidents-ten.xml")
	// The portal may not call getDwellingResidents.
	asPortal := bytes.ReplaceAll(dwelling, []byte("<id:memberCode>70000003</id:memberCode>\n      <id:subsystemCode>sanarip-aymak"), []byte("<id:memberCode>70000002</id:memberCode>\n      <id:subsystemCode>portal"))
	if got := hs.send(hs.sign(asPortal, portal)).faultCode(); got != soap.CodeAccessDenied {
		t.Errorf("portal calling getDwellingResidents: fault %q, want %s", got, soap.CodeAccessDenied)
	}
	// An unknown member's certificate is bound to nobody.
	asStranger := bytes.ReplaceAll(dwelling, []byte("<id:memberCode>70000003</id:memberCode>\n      <id:subsystemCode>sanarip-aymak"), []byte("<id:memberCode>79999999</id:memberCode>\n      <id:subsystemCode>unknown"))
	if got := hs.send(hs.sign(asStranger, stranger)).faultCode(); got != adapter.CodeUntrustedCertificate {
		t.Errorf("unknown member: fault %q, want %s", got, adapter.CodeUntrustedCertificate)
	}
	// Sanarip Aymak's certificate does not make it the portal.
	if got := hs.send(hs.sign(asPortal, sanarip)).faultCode(); got != adapter.CodeCertificateMismatch {
		t.Errorf("certificate of another member: fault %q, want %s", got, adapter.CodeCertificateMismatch)
	}
}

func TestReplayIsRefused(t *testing.T) {
	hs := newHarness(t)
	signed := hs.sign(readSample(t, "../testdata/requests/getPerson-found.xml"), portal)
	if got := hs.send(signed).faultCode(); got != "" {
		t.Fatalf("first request refused: %s", got)
	}
	r := hs.send(signed)
	if got := r.faultCode(); got != adapter.CodeReplay {
		t.Errorf("replayed request: fault %q, want %s", got, adapter.CodeReplay)
	}
	// The fault names the refused request, signed: its id and requestHash.
	hs.verify(r)
	sum := sha512.Sum512(signed)
	if id := r.doc.FindElement("//Header/id"); id == nil || id.Text() != "841f4b25-9f76-5883-b70f-59fe1b918472" {
		t.Errorf("fault does not echo the request id:\n%s", r.raw)
	}
	if rh := r.doc.FindElement("//Header/requestHash"); rh == nil || rh.Text() != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("fault does not carry the request hash:\n%s", r.raw)
	}
}

func TestEveryRequestLeavesOneRecord(t *testing.T) {
	hs := newHarness(t)
	found := hs.sign(readSample(t, "../testdata/requests/getPerson-found.xml"), portal)
	requests := [][]byte{found, found, []byte("<not xml"), readSample(t, "../testdata/faults/missing-client.xml")}
	for _, raw := range requests {
		hs.send(raw)
	}
	var recs []accesslog.Record
	if err := hs.log.List(context.Background(), accesslog.Filter{}, func(r accesslog.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(requests) {
		t.Fatalf("%d records for %d requests", len(recs), len(requests))
	}
	wantOutcomes := []string{adapter.OutcomeOK, adapter.CodeReplay, soap.CodeInvalidXML, soap.CodeMissingHeaderField}
	for i, r := range recs {
		if r.Outcome != wantOutcomes[i] {
			t.Errorf("record %d outcome %q, want %q", i, r.Outcome, wantOutcomes[i])
		}
	}
	first := recs[0]
	if first.Client != portal || first.Service != "getPerson" || first.MessageID == "" || first.SignerCert == "" || len(first.Subjects) != 1 {
		t.Errorf("first record lacks facts: %+v", first)
	}
	if first.SignerCert != accesslog.CertFingerprint(hs.keys[portal].Cert) {
		t.Errorf("signer fingerprint %s is not the access log's form of the portal certificate", first.SignerCert)
	}
	if first.Subjects[0] == demo.PINFound || strings.Contains(fmt.Sprint(first), demo.PINFound) {
		t.Errorf("a raw PIN reached the access log: %+v", first)
	}
}

func TestAccessHistoryShowsWhoReadAPerson(t *testing.T) {
	hs := newHarness(t)
	for range 3 {
		hs.send(hs.sign(readSample(t, "../testdata/requests/getPerson-found.xml"), portal))
	}
	r := hs.send(hs.sign(readSample(t, "../testdata/requests/getAccessHistory-found.xml"), portal))
	accesses := r.doc.FindElements("//access")
	// Only the first getPerson was answered: the same sample's id repeats.
	if len(accesses) != 1 {
		t.Fatalf("%d accesses, want the one answered getPerson:\n%s", len(accesses), r.raw)
	}
	a := accesses[0]
	if a.SelectElement("service").Text() != "getPerson" || a.SelectElement("member").Text() != "central-server/GOV/70000002" ||
		a.SelectElement("subsystem").Text() != "portal" || !strings.HasSuffix(a.SelectElement("time").Text(), "+06:00") {
		t.Errorf("access entry %s", r.raw)
	}
}

var requestIDs atomic.Int64

// request is a request from member (its memberCode and subsystemCode in
// xrd:client) for service, under a fresh xrd:id, whose body holds the
// arguments in fields: name, value pairs of elements in the registry's
// namespace, in order (a name may repeat).
func request(tb testing.TB, member, service string, fields ...string) []byte {
	tb.Helper()
	raw := string(readSample(tb, "../testdata/requests/getPerson-found.xml"))
	parts := strings.Split(member, "/")
	raw = strings.Replace(raw, "<id:memberCode>70000002</id:memberCode>\n      <id:subsystemCode>portal</id:subsystemCode>",
		"<id:memberCode>"+parts[2]+"</id:memberCode>\n      <id:subsystemCode>"+parts[3]+"</id:subsystemCode>", 1)
	raw = strings.Replace(raw, "<id:serviceCode>getPerson</id:serviceCode>", "<id:serviceCode>"+service+"</id:serviceCode>", 1)
	raw = strings.Replace(raw, "841f4b25-9f76-5883-b70f-59fe1b918472", fmt.Sprintf("request-%d", requestIDs.Add(1)), 1)
	var body strings.Builder
	fmt.Fprintf(&body, `<reg:%s xmlns:reg="%s">`, service, adapter.Namespace)
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&body, "<reg:%s>%s</reg:%[1]s>", fields[i], fields[i+1])
	}
	fmt.Fprintf(&body, "</reg:%s>", service)
	start, end := strings.Index(raw, "<reg:getPerson"), strings.Index(raw, "</reg:getPerson>")+len("</reg:getPerson>")
	return []byte(raw[:start] + body.String() + raw[end:])
}

// records returns every record of the harness's access log, oldest first.
func (hs *harness) records() []accesslog.Record {
	hs.tb.Helper()
	var recs []accesslog.Record
	if err := hs.log.List(context.Background(), accesslog.Filter{}, func(r accesslog.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		hs.tb.Fatal(err)
	}
	return recs
}
