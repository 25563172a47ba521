package console_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/console"
	"github.com/darbaza/darbaza/internal/testclock"
	"github.com/darbaza/darbaza/internal/testkeys"
)

// Test auditors: aida signs in by password, bakyt by certificate.
const (
	aidaPassword = "correct horse battery staple"
	testPIN      = "21203199000017"
	otherPIN     = "11507198800021"
)

// cheap are argon2 parameters that keep tests fast; production hashes
// use console.DefaultArgon2.
var cheap = console.Argon2Params{Memory: 64, Time: 1, Threads: 1}

type harness struct {
	log     *accesslog.Log
	adapter testkeys.Pair
	bakyt   testkeys.Pair // bakyt's client certificate
	// stranger's certificate verifies (the server trusts its issuer, as
	// with console.client_ca) but belongs to no auditor.
	stranger testkeys.Pair
	clock    *testclock.Clock
	console  *console.Console
	srv      *httptest.Server
}

// options tunes a harness's console before it starts.
type options func(*console.Options)

// newHarness serves a console over a fresh access log, on HTTPS that
// asks for client certificates, with auditors aida (password) and bakyt
// (certificate).
func newHarness(tb testing.TB, opt ...options) *harness {
	tb.Helper()
	h := &harness{
		adapter:  testkeys.EC(tb, "darbaza test adapter"),
		bakyt:    testkeys.EC(tb, "auditor bakyt"),
		stranger: testkeys.EC(tb, "not an auditor"),
		clock:    testclock.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)),
	}
	var err error
	h.log, err = accesslog.Open(accesslog.Options{
		Path:               filepath.Join(tb.TempDir(), "accesslog.db"),
		Signer:             h.adapter.Key,
		Certificate:        h.adapter.Cert,
		SubjectKey:         []byte("0123456789abcdef0123456789abcdef"),
		CheckpointInterval: time.Hour,
		Now:                h.clock.Now,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.log.Close() })
	hash, err := console.HashPassword(aidaPassword, cheap, nil)
	if err != nil {
		tb.Fatal(err)
	}
	opts := console.Options{
		Log: h.log,
		Auditors: []console.Auditor{
			{Name: "aida", PasswordHash: hash},
			{Name: "bakyt", Certificates: []*x509.Certificate{h.bakyt.Cert}},
		},
		Verify:      accesslog.VerifyOptions{Certificates: []*x509.Certificate{h.adapter.Cert}},
		MaxFailures: 3,
		Lockout:     10 * time.Minute,
		Now:         h.clock.Now,
	}
	for _, o := range opt {
		o(&opts)
	}
	h.console, err = console.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.console.Close() })
	pool := x509.NewCertPool()
	pool.AddCert(h.bakyt.Cert)
	pool.AddCert(h.stranger.Cert)
	h.srv = httptest.NewUnstartedServer(h.console)
	h.srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // a browser's probing handshakes
	h.srv.StartTLS()
	tb.Cleanup(h.srv.Close)
	return h
}

// client is a browser-like client: a cookie jar, no automatic redirects.
type client struct {
	tb   testing.TB
	h    *harness
	http *http.Client
}

// newClient returns a client; with a certificate it presents it.
func (h *harness) newClient(tb testing.TB, cert ...testkeys.Pair) *client {
	jar, _ := cookiejar.New(nil)
	tr := h.srv.Client().Transport.(*http.Transport).Clone()
	for _, c := range cert {
		tr.TLSClientConfig.Certificates = append(tr.TLSClientConfig.Certificates,
			tls.Certificate{Certificate: [][]byte{c.Cert.Raw}, PrivateKey: c.Key, Leaf: c.Cert})
	}
	return &client{tb: tb, h: h, http: &http.Client{
		Jar: jar, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get fetches path and returns the status, the Location header and the body.
func (c *client) get(path string) (int, string, string) {
	c.tb.Helper()
	resp, err := c.http.Get(c.h.srv.URL + path)
	if err != nil {
		c.tb.Fatal(err)
	}
	return readResp(c.tb, resp)
}

// post submits form to path.
func (c *client) post(path string, form url.Values) (int, string, string) {
	c.tb.Helper()
	resp, err := c.http.PostForm(c.h.srv.URL+path, form)
	if err != nil {
		c.tb.Fatal(err)
	}
	return readResp(c.tb, resp)
}

func readResp(tb testing.TB, resp *http.Response) (int, string, string) {
	tb.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the page at path.
func (c *client) csrf(path string) string {
	c.tb.Helper()
	status, _, body := c.get(path)
	m := csrfField.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		c.tb.Fatalf("GET %s: %d, no CSRF field", path, status)
	}
	return m[1]
}

// login signs in with a password and returns the status and Location.
func (c *client) login(name, password string) (int, string) {
	c.tb.Helper()
	status, loc, _ := c.post("/login", url.Values{"csrf": {c.csrf("/login")}, "name": {name}, "password": {password}})
	return status, loc
}

// mustLogin signs aida in.
func (c *client) mustLogin() {
	c.tb.Helper()
	if status, loc := c.login("aida", aidaPassword); status != http.StatusSeeOther || loc != "/" {
		c.tb.Fatalf("aida's sign-in: %d -> %q", status, loc)
	}
}

// search posts a search form and returns the search page's path.
func (c *client) search(form url.Values) string {
	c.tb.Helper()
	form.Set("csrf", c.csrf("/search"))
	status, loc, body := c.post("/search", form)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/search?q=") {
		c.tb.Fatalf("search: %d -> %q\n%s", status, loc, body)
	}
	return loc
}

// seed appends n SOAP-like records: odd ones about testPIN, even ones
// about otherPIN, a minute apart from 2025-03-01 08:00.
func (h *harness) seed(tb testing.TB, n int) []accesslog.Record {
	tb.Helper()
	var recs []accesslog.Record
	for i := 1; i <= n; i++ {
		pin, service, outcome := testPIN, "getPerson", "OK"
		if i%2 == 0 {
			pin, service, outcome = otherPIN, "getRegistration", "PersonNotFound"
		}
		if i%5 == 0 {
			outcome = "Client.InvalidSignatureValue"
		}
		r, err := h.log.Append(context.Background(), accesslog.Entry{
			ID:       fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			Time:     time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
			Client:   "central-server/GOV/70000002/portal",
			Service:  service,
			UserID:   "EE12345678901",
			Outcome:  outcome,
			Subjects: []string{pin},
		})
		if err != nil {
			tb.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs
}

// consoleRecords lists the access log's records of console actions.
func (h *harness) consoleRecords(tb testing.TB) []accesslog.Record {
	tb.Helper()
	var out []accesslog.Record
	err := h.log.List(context.Background(), accesslog.Filter{}, func(r accesslog.Record) error {
		if strings.HasPrefix(r.Client, "console/") {
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

var seqCell = regexp.MustCompile(`<tr data-seq="(\d+)">`)

// seqs returns the sequence numbers a search page lists, in order.
func seqs(body string) []string {
	var out []string
	for _, m := range seqCell.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// status is /verify/status's answer.
type status struct {
	State   string `json:"state"`
	Percent int    `json:"percent"`
	Done    uint64 `json:"done"`
	Last    uint64 `json:"last"`
	Result  string `json:"result"`
	Problem string `json:"problem"`
}

func (h *harness) verifyStatus(tb testing.TB, c *client) status {
	tb.Helper()
	code, _, body := c.get("/verify/status")
	var st status
	if err := json.Unmarshal([]byte(body), &st); code != http.StatusOK || err != nil {
		tb.Fatalf("GET /verify/status: %d %v\n%s", code, err, body)
	}
	return st
}

var olderLink = regexp.MustCompile(`<a href="(/search\?q=[^"]+)" id="older">`)
