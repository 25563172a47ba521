package console_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/console"
)

func TestPasswordSignsInAndIsRecorded(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t)
	if status, loc, _ := c.get("/"); status != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("GET / without a session: %d -> %q, want a redirect to /login", status, loc)
	}
	c.mustLogin()
	status, _, body := c.get("/")
	if status != http.StatusOK || !strings.Contains(body, `id="chain-state"`) || !strings.Contains(body, `id="auditor">aida<`) {
		t.Fatalf("GET / after sign-in: %d\n%s", status, body)
	}
	recs := h.consoleRecords(t)
	if len(recs) != 1 || recs[0].Client != "console/aida" || recs[0].Service != "console.login" || recs[0].Outcome != "OK" {
		t.Fatalf("console records after sign-in: %+v", recs)
	}
}

func TestSessionCookieIsSecureHttpOnlyStrict(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t)
	resp, err := c.http.PostForm(h.srv.URL+"/login", url.Values{"csrf": {c.csrf("/login")}, "name": {"aida"}, "password": {aidaPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name != "__Host-darbaza-console" {
			continue
		}
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" || len(ck.Value) < 40 {
			t.Fatalf("session cookie %+v is not a Secure, HttpOnly, SameSite=Strict host cookie with a long token", ck)
		}
		return
	}
	t.Fatalf("no session cookie in %v", resp.Header["Set-Cookie"])
}

func TestWrongPasswordAndUnknownAuditorAreRefusedAndRecorded(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t)
	for _, tc := range []struct{ name, password string }{
		{"aida", "not her password"},
		{"nobody", aidaPassword},
		{"bakyt", aidaPassword}, // bakyt has no password
	} {
		if status, _ := c.login(tc.name, tc.password); status != http.StatusUnauthorized {
			t.Errorf("sign-in as %s with a wrong password: %d, want 401", tc.name, status)
		}
	}
	if status, loc, _ := c.get("/"); status != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("refused sign-ins made a session: GET / = %d -> %q", status, loc)
	}
	var got []string
	for _, r := range h.consoleRecords(t) {
		got = append(got, r.Client+" "+r.Outcome)
	}
	want := "console/aida LoginRefused,console/unknown LoginRefused,console/bakyt LoginRefused"
	if strings.Join(got, ",") != want {
		t.Fatalf("recorded %q, want %q", strings.Join(got, ","), want)
	}
	for _, r := range h.consoleRecords(t) {
		if strings.Contains(r.Reason, "not her password") || strings.Contains(r.Reason, aidaPassword) {
			t.Fatalf("a password reached the log: %+v", r)
		}
	}
}

func TestRepeatedFailuresLockPasswordSignInForTheLockout(t *testing.T) {
	h := newHarness(t) // MaxFailures 3, Lockout 10m
	c := h.newClient(t)
	for i := 0; i < 3; i++ {
		if status, _ := c.login("aida", "guess"); status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i+1, status)
		}
	}
	if status, _ := c.login("aida", aidaPassword); status != http.StatusForbidden {
		t.Fatalf("the right password while locked: %d, want 403", status)
	}
	h.clock.Advance(9 * time.Minute)
	if status, _ := c.login("aida", aidaPassword); status != http.StatusForbidden {
		t.Fatalf("the right password 9 minutes into a 10-minute lockout: %d, want 403", status)
	}
	h.clock.Advance(2 * time.Minute)
	c.mustLogin()
	recs := h.consoleRecords(t)
	var outcomes []string
	for _, r := range recs {
		outcomes = append(outcomes, r.Outcome)
	}
	if got := strings.Join(outcomes, ","); got != "LoginRefused,LoginRefused,LoginRefused,LockedOut,LockedOut,OK" {
		t.Fatalf("recorded outcomes %s", got)
	}
}

func TestASuccessResetsTheFailureCount(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t)
	for round := 0; round < 3; round++ {
		for i := 0; i < 2; i++ {
			c.login("aida", "guess")
		}
		c.mustLogin() // never three failures in a row
		c = h.newClient(t)
	}
}

func TestCertificateSignsInAndBindsTheSession(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t, h.bakyt)
	status, loc, _ := c.post("/login/certificate", url.Values{"csrf": {c.csrf("/login")}})
	if status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("certificate sign-in: %d -> %q", status, loc)
	}
	if status, _, body := c.get("/"); status != http.StatusOK || !strings.Contains(body, `id="auditor">bakyt<`) {
		t.Fatalf("GET / as bakyt: %d", status)
	}
	recs := h.consoleRecords(t)
	if len(recs) != 1 || recs[0].Client != "console/bakyt" || recs[0].SignerCert != accesslog.CertFingerprint(h.bakyt.Cert) {
		t.Fatalf("recorded %+v", recs)
	}
	// The same cookie on a connection without the certificate is no session.
	bare := h.newClient(t)
	bare.http.Jar = c.http.Jar
	if status, loc, _ := bare.get("/"); status != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("bakyt's session without his certificate: %d -> %q, want a redirect to /login", status, loc)
	}
}

func TestMissingCertificateIsRefused(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t)
	status, _, body := c.post("/login/certificate", url.Values{"csrf": {c.csrf("/login")}})
	if status != http.StatusUnauthorized || !strings.Contains(body, `id="error"`) {
		t.Fatalf("certificate sign-in without a certificate: %d", status)
	}
	recs := h.consoleRecords(t)
	if len(recs) != 1 || recs[0].Client != "console/unknown" || recs[0].Outcome != "LoginRefused" {
		t.Fatalf("recorded %+v", recs)
	}
}

func TestCertificateOfNoAuditorIsRefused(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t, h.stranger)
	if status, _, _ := c.post("/login/certificate", url.Values{"csrf": {c.csrf("/login")}}); status != http.StatusUnauthorized {
		t.Fatalf("sign-in with a trusted certificate of no auditor: %d, want 401", status)
	}
	if status, _, _ := c.get("/"); status != http.StatusSeeOther {
		t.Fatalf("a refused certificate made a session: %d", status)
	}
	recs := h.consoleRecords(t)
	if len(recs) != 1 || recs[0].Client != "console/unknown" || recs[0].SignerCert != accesslog.CertFingerprint(h.stranger.Cert) {
		t.Fatalf("recorded %+v", recs)
	}
}

func TestPostWithoutTheCSRFTokenIsRefused(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t)
	c.csrf("/login") // the sign-in cookie is set, but the form lacks the token
	if status, _, _ := c.post("/login", url.Values{"name": {"aida"}, "password": {aidaPassword}}); status != http.StatusForbidden {
		t.Fatalf("sign-in without the CSRF token: %d, want 403", status)
	}
	if status, _, _ := c.post("/login", url.Values{"csrf": {"forged"}, "name": {"aida"}, "password": {aidaPassword}}); status != http.StatusForbidden {
		t.Fatalf("sign-in with a forged CSRF token: %d, want 403", status)
	}
	c.mustLogin()
	for _, path := range []string{"/verify", "/search", "/logout"} {
		for _, form := range []url.Values{{}, {"csrf": {"forged"}}} {
			if status, _, _ := c.post(path, form); status != http.StatusForbidden {
				t.Errorf("POST %s with csrf %q: %d, want 403", path, form.Get("csrf"), status)
			}
		}
	}
	if st := h.verifyStatus(t, c); st.State != "none" {
		t.Fatalf("a refused POST /verify started a verification: %+v", st)
	}
}

func TestSessionsEndAfterTheirTTL(t *testing.T) {
	h := newHarness(t, func(o *console.Options) { o.SessionTTL = 5 * time.Minute })
	c := h.newClient(t)
	c.mustLogin()
	h.clock.Advance(4 * time.Minute)
	if status, _, _ := c.get("/"); status != http.StatusOK {
		t.Fatalf("4 minutes into a 5-minute session: %d", status)
	}
	h.clock.Advance(4 * time.Minute) // used 4 minutes ago: still alive
	if status, _, _ := c.get("/"); status != http.StatusOK {
		t.Fatalf("a session used 4 minutes ago: %d", status)
	}
	h.clock.Advance(6 * time.Minute)
	if status, loc, _ := c.get("/"); status != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("a session unused for 6 minutes: %d -> %q, want a redirect to /login", status, loc)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t)
	c.mustLogin()
	if status, loc, _ := c.post("/logout", url.Values{"csrf": {c.csrf("/search")}}); status != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("logout: %d -> %q", status, loc)
	}
	if status, _, _ := c.get("/"); status != http.StatusSeeOther {
		t.Fatalf("GET / after logout: %d", status)
	}
}

// failingLog is a log that cannot record anything.
type failingLog struct{ *accesslog.Log }

func (failingLog) Append(context.Context, accesslog.Entry) (accesslog.Record, error) {
	return accesslog.Record{}, accesslog.ErrUnavailable
}

func TestAnActionTheLogCannotRecordIsRefused(t *testing.T) {
	h := newHarness(t, func(o *console.Options) { o.Log = failingLog{o.Log.(*accesslog.Log)} })
	c := h.newClient(t)
	if status, _ := c.login("aida", aidaPassword); status != http.StatusServiceUnavailable {
		t.Fatalf("sign-in that cannot be recorded: %d, want 503", status)
	}
	if status, _, _ := c.get("/"); status != http.StatusSeeOther {
		t.Fatalf("an unrecorded sign-in made a session: %d", status)
	}
}

func TestNewRefusesBadAuditors(t *testing.T) {
	h := newHarness(t)
	good, _ := console.HashPassword(aidaPassword, cheap, nil)
	for name, auditors := range map[string][]console.Auditor{
		"none":              nil,
		"empty name":        {{PasswordHash: good}},
		"twice":             {{Name: "a", PasswordHash: good}, {Name: "a", PasswordHash: good}},
		"no way in":         {{Name: "a"}},
		"bad hash":          {{Name: "a", PasswordHash: "$2b$10$bcrypt"}},
		"certificate twice": {{Name: "a", Certificates: []*x509.Certificate{h.bakyt.Cert}}, {Name: "b", Certificates: []*x509.Certificate{h.bakyt.Cert}}},
	} {
		if _, err := console.New(console.Options{Log: h.log, Auditors: auditors}); !errors.Is(err, console.ErrInvalidOptions) {
			t.Errorf("%s: New = %v, want ErrInvalidOptions", name, err)
		}
	}
}
