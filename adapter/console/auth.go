package console

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
)

// Cookie names. The __Host- prefix makes a browser keep a cookie only if
// it is Secure, has Path=/ and no Domain (RFC 6265bis, section 4.1.3.2).
const (
	sessionCookie = "__Host-darbaza-console"
	loginCookie   = "__Host-darbaza-login" // the sign-in form's double-submit CSRF token
	langCookie    = "__Host-darbaza-lang"
)

// maxSearches is how many searches one session keeps.
const maxSearches = 50

// session is a signed-in auditor.
type session struct {
	token    string
	auditor  string
	csrf     string
	certFP   string // the certificate that signed the auditor in, "" for a password
	created  time.Time
	used     time.Time
	searches map[string]*query // by id, PINs in memory only
	order    []string          // search ids, oldest first
}

// actor is who did a console action: the auditor's name (or "unknown")
// and the client certificate, if one signed them in.
type actor struct{ name, certFP string }

func (s *session) actor() actor { return actor{s.auditor, s.certFP} }

// token returns n random bytes, base64url.
func (c *Console) token(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(c.opts.Rand, b); err != nil {
		panic(fmt.Sprintf("console: randomness failed: %v", err)) // crypto/rand never fails (Go 1.24+)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// sameToken compares a submitted token with the expected one in constant time.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// authed runs h for a request with a live session, else sends the browser
// to sign in (GET) or refuses it (403). A POST must carry the session's
// CSRF token in the form field "csrf". A session made by a certificate is
// good only on connections that present the same certificate.
func (c *Console) authed(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.sessionOf(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			c.fail(w, r, http.StatusForbidden, "err_session")
			return
		}
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue("csrf"), s.csrf) {
			c.opts.Logger.Warn("console: POST without the CSRF token refused", "auditor", s.auditor, "path", r.URL.Path)
			c.fail(w, r, http.StatusForbidden, "err_csrf")
			return
		}
		h(w, r, s)
	}
}

// sessionOf returns the live session r's cookie names, touching it, or nil.
func (c *Console) sessionOf(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	now := c.opts.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[ck.Value]
	if s == nil {
		return nil
	}
	if now.Sub(s.used) > c.opts.SessionTTL || now.Sub(s.created) > c.opts.SessionMax {
		delete(c.sessions, s.token)
		return nil
	}
	if s.certFP != "" && clientCert(r) != s.certFP {
		return nil
	}
	s.used = now
	return s
}

// clientCert returns the fingerprint of the verified TLS client
// certificate of r's connection, "" if there is none.
func clientCert(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return accesslog.CertFingerprint(r.TLS.PeerCertificates[0])
}

// newSession signs a in and sets the session cookie.
func (c *Console) newSession(w http.ResponseWriter, a actor) {
	now := c.opts.Now()
	s := &session{token: c.token(32), auditor: a.name, csrf: c.token(32), certFP: a.certFP,
		created: now, used: now, searches: map[string]*query{}}
	c.mu.Lock()
	for t, old := range c.sessions { // sweep the expired
		if now.Sub(old.used) > c.opts.SessionTTL || now.Sub(old.created) > c.opts.SessionMax {
			delete(c.sessions, t)
		}
	}
	c.sessions[s.token] = s
	c.mu.Unlock()
	setCookie(w, sessionCookie, s.token, 0)
	setCookie(w, loginCookie, "", -1)
}

// loginPage shows the sign-in form with a fresh double-submit token.
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if c.sessionOf(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	c.showLogin(w, r, http.StatusOK, "")
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := c.token(32)
	setCookie(w, loginCookie, tok, 0)
	c.render(w, r, status, "login", &view{CSRF: tok, Error: msg, HasCert: clientCert(r) != ""})
}

// loginCSRF checks the sign-in form's double-submit token.
func (c *Console) loginCSRF(w http.ResponseWriter, r *http.Request) bool {
	ck, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), ck.Value) {
		c.opts.Logger.Warn("console: sign-in without the CSRF token refused")
		c.showLogin(w, r, http.StatusForbidden, "err_csrf")
		return false
	}
	return true
}

// Outcomes of console actions in the access log.
const (
	outcomeOK            = "OK"
	outcomeLoginRefused  = "LoginRefused"
	outcomeLockedOut     = "LockedOut"
	unknownAuditor       = "unknown"
	serviceLogin         = "console.login"
	serviceSearch        = "console.search"
	serviceView          = "console.view"
	serviceExport        = "console.export"
	serviceVerify        = "console.verify"
	servicePlots         = "console.plots"
	consoleClientPrefix  = "console/"
	maxPasswordFormBytes = 1024
)

// loginPassword signs an auditor in by name and password. Unknown names
// cost an argon2 hash like known ones; a locked account is refused
// without checking the password.
func (c *Console) loginPassword(w http.ResponseWriter, r *http.Request) {
	start := c.opts.Now()
	r.Body = http.MaxBytesReader(w, r.Body, maxPasswordFormBytes*4)
	if !c.loginCSRF(w, r) {
		return
	}
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	if len(password) > maxPasswordFormBytes {
		password = password[:maxPasswordFormBytes]
	}
	c.mu.Lock()
	acc := c.auditors[name]
	var locked bool
	if acc != nil {
		locked = start.Before(acc.locked)
	}
	c.mu.Unlock()
	who := actor{name: unknownAuditor}
	if acc != nil {
		who.name = acc.name
	}
	if locked {
		c.refuse(w, r, who, start, outcomeLockedOut, "password sign-in while locked out", http.StatusForbidden, "err_locked")
		return
	}
	hash := &c.dummy
	if acc != nil && acc.hash != nil {
		hash = acc.hash
	}
	ok, err := c.checkPassword(r.Context(), hash, password)
	if err != nil {
		return // the client went away while waiting
	}
	if acc == nil || acc.hash == nil || !ok {
		reason := "wrong name or password"
		if acc != nil {
			c.mu.Lock()
			acc.failures++
			if acc.failures >= c.opts.MaxFailures {
				acc.failures = 0
				acc.locked = c.opts.Now().Add(c.opts.Lockout)
				reason = fmt.Sprintf("wrong password; password sign-in locked for %s", c.opts.Lockout)
			}
			c.mu.Unlock()
		}
		c.refuse(w, r, who, start, outcomeLoginRefused, reason, http.StatusUnauthorized, "err_login")
		return
	}
	c.mu.Lock()
	acc.failures = 0
	c.mu.Unlock()
	if err := c.record(r.Context(), who, serviceLogin, outcomeOK, "password", start); err != nil {
		c.unavailable(w, r, err)
		return
	}
	c.newSession(w, who)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// checkPassword hashes password with h's salt and parameters, at most
// cap(c.hashing) at a time.
func (c *Console) checkPassword(ctx context.Context, h *passwordHash, password string) (bool, error) {
	select {
	case c.hashing <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-c.hashing }()
	return h.matches(password), nil
}

// loginCertificate signs in the auditor whose certificate the TLS
// connection presented, verified against the console's client CAs.
func (c *Console) loginCertificate(w http.ResponseWriter, r *http.Request) {
	start := c.opts.Now()
	if !c.loginCSRF(w, r) {
		return
	}
	fp := clientCert(r)
	c.mu.Lock()
	acc := c.byCert[fp]
	c.mu.Unlock()
	switch {
	case fp == "":
		c.refuse(w, r, actor{name: unknownAuditor}, start, outcomeLoginRefused, "no client certificate", http.StatusUnauthorized, "err_nocert")
		return
	case acc == nil:
		c.refuse(w, r, actor{unknownAuditor, fp}, start, outcomeLoginRefused, "certificate of no auditor", http.StatusUnauthorized, "err_badcert")
		return
	}
	who := actor{acc.name, fp}
	if err := c.record(r.Context(), who, serviceLogin, outcomeOK, "certificate", start); err != nil {
		c.unavailable(w, r, err)
		return
	}
	c.newSession(w, who)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// refuse records a refused sign-in and shows the form again.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, who actor, start time.Time, outcome, reason string, status int, msg string) {
	if err := c.record(r.Context(), who, serviceLogin, outcome, reason, start); err != nil {
		c.unavailable(w, r, err)
		return
	}
	c.showLogin(w, r, status, msg)
}

// logout ends the session.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	c.mu.Lock()
	delete(c.sessions, s.token)
	c.mu.Unlock()
	setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// record appends a console action to the access log and returns only once
// it is durable. pins are raw PINs the action concerns; the log stores
// only their pseudonyms.
func (c *Console) record(ctx context.Context, who actor, service, outcome, reason string, start time.Time, pins ...string) error {
	var subjects []string
	for _, p := range pins {
		if p != "" {
			subjects = append(subjects, p)
		}
	}
	now := c.opts.Now()
	_, err := c.opts.Log.Append(ctx, accesslog.Entry{
		ID:         c.uuid(),
		Time:       start,
		Client:     consoleClientPrefix + who.name,
		Service:    service,
		UserID:     who.name,
		Outcome:    outcome,
		Reason:     reason,
		SignerCert: who.certFP,
		Latency:    max(now.Sub(start), 0),
		Subjects:   subjects,
	})
	return err
}

// uuid returns a random (version 4) UUID, RFC 9562 section 5.4.
func (c *Console) uuid() string {
	var b [16]byte
	if _, err := io.ReadFull(c.opts.Rand, b[:]); err != nil {
		panic(fmt.Sprintf("console: randomness failed: %v", err))
	}
	return accesslog.RecordIDFrom(b)
}

// unavailable refuses an action whose record could not be made durable:
// the console fails closed, as the SOAP pipeline does.
func (c *Console) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	c.opts.Logger.Error("console: action not recorded, refused", "err", err)
	c.fail(w, r, http.StatusServiceUnavailable, "err_unavailable")
}
