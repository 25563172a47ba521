package console

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
)

// Log is what the console needs of the access log (*accesslog.Log).
type Log interface {
	// Append records a console action in the chain.
	Append(ctx context.Context, e accesslog.Entry) (accesslog.Record, error)
	// Before pages the log backwards by sequence number.
	Before(ctx context.Context, before uint64, limit int) ([]accesslog.Record, error)
	// History pages the records of one person, newest first.
	History(ctx context.Context, pin, cursor string, limit int) ([]accesslog.Record, string, error)
	// State reads the chain's anchor, head and newest checkpoint.
	State(ctx context.Context) (accesslog.State, error)
	// Verify checks the whole chain.
	Verify(ctx context.Context, opts accesslog.VerifyOptions) (accesslog.Report, error)
	// Export writes the chain with the records that pass f in full.
	Export(ctx context.Context, w io.Writer, format accesslog.Format, f accesslog.Filter) (accesslog.ExportSummary, error)
	// SubjectID is the pseudonym the log stores for a PIN.
	SubjectID(pin string) string
}

// Witnessed is the newest checkpoint an outside witness countersigned.
type Witnessed struct {
	Seq     uint64    // the checkpoint's last record
	Time    time.Time // when the witness signed
	Witness string    // who signed, for a human
}

// WitnessSource reports witnessed checkpoints (docs/witness.md): `darbaza
// serve` passes its witness sender's newest cosigned checkpoint when
// access_log.witnesses are configured, else none, and the console then
// says that no witness is configured.
type WitnessSource interface {
	// LastWitnessed returns the newest witnessed checkpoint; ok is false
	// if there is none yet.
	LastWitnessed(ctx context.Context) (w Witnessed, ok bool, err error)
}

// Auditor is one console account. A nil PasswordHash (empty string) means
// no password sign-in; no Certificates means no certificate sign-in.
type Auditor struct {
	Name         string
	PasswordHash string              // argon2id PHC string (HashPassword)
	Certificates []*x509.Certificate // TLS client certificates that sign this auditor in
}

// Options configure New. Every zero value is documented.
type Options struct {
	Log      Log       // required
	Auditors []Auditor // required: at least one
	// Verify says which adapter certificates a verification trusts.
	Verify accesslog.VerifyOptions
	// Witness, if set, reports witnessed checkpoints; nil shows none.
	Witness WitnessSource
	// SessionTTL ends an unused session; zero means 30 minutes.
	SessionTTL time.Duration
	// SessionMax ends any session; zero means 8 hours.
	SessionMax time.Duration
	// MaxFailures wrong passwords in a row lock an account's password
	// sign-in for Lockout; zero means 5 and 15 minutes.
	MaxFailures int
	Lockout     time.Duration
	Now         func() time.Time // nil means time.Now
	Rand        io.Reader        // nil means crypto/rand.Reader
	Logger      *slog.Logger     // nil means discard
}

// ErrInvalidOptions is wrapped by New's errors.
var ErrInvalidOptions = errors.New("console: invalid options")

// Console serves the auditors' console. It is an http.Handler for a
// server whose TLS config asks for client certificates (ServerTLS).
type Console struct {
	opts     Options
	auditors map[string]*account
	byCert   map[string]*account // by certificate fingerprint
	dummy    passwordHash        // hashed for unknown names, so they take as long
	mux      *http.ServeMux
	pages    pages

	mu       sync.Mutex
	sessions map[string]*session

	hashing chan struct{} // bounds concurrent argon2 work
	exports chan struct{} // bounds concurrent exports

	job    *verifyJob // the newest verification, guarded by mu
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// account is an auditor with the state of its password sign-in.
type account struct {
	name     string
	hash     *passwordHash
	failures int
	locked   time.Time // password sign-in refused before this
}

// New checks opts and returns a console. Close stops its background work.
func New(opts Options) (*Console, error) {
	if opts.Log == nil {
		return nil, fmt.Errorf("%w: no log", ErrInvalidOptions)
	}
	if len(opts.Auditors) == 0 {
		return nil, fmt.Errorf("%w: no auditors", ErrInvalidOptions)
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 30 * time.Minute
	}
	if opts.SessionMax == 0 {
		opts.SessionMax = 8 * time.Hour
	}
	if opts.MaxFailures == 0 {
		opts.MaxFailures = 5
	}
	if opts.Lockout == 0 {
		opts.Lockout = 15 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{
		opts:     opts,
		auditors: map[string]*account{},
		byCert:   map[string]*account{},
		sessions: map[string]*session{},
		hashing:  make(chan struct{}, 2),
		exports:  make(chan struct{}, 2),
	}
	for i, a := range opts.Auditors {
		if _, dup := c.auditors[a.Name]; dup || a.Name == "" {
			return nil, fmt.Errorf("%w: auditors[%d]: name %q is empty or listed twice", ErrInvalidOptions, i, a.Name)
		}
		acc := &account{name: a.Name}
		if a.PasswordHash != "" {
			h, err := parseHash(a.PasswordHash)
			if err != nil {
				return nil, fmt.Errorf("%w: auditors[%d] (%s): %w", ErrInvalidOptions, i, a.Name, err)
			}
			acc.hash = &h
		}
		for _, cert := range a.Certificates {
			fp := accesslog.CertFingerprint(cert)
			if other, dup := c.byCert[fp]; dup {
				return nil, fmt.Errorf("%w: auditors[%d] (%s): certificate also signs in %s", ErrInvalidOptions, i, a.Name, other.name)
			}
			c.byCert[fp] = acc
		}
		if acc.hash == nil && len(a.Certificates) == 0 {
			return nil, fmt.Errorf("%w: auditors[%d] (%s): neither password nor certificate", ErrInvalidOptions, i, a.Name)
		}
		c.auditors[a.Name] = acc
	}
	dummy, err := HashPassword("no auditor has this password", DefaultArgon2, opts.Rand)
	if err != nil {
		return nil, err
	}
	c.dummy, _ = parseHash(dummy)
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.routes()
	return c, nil
}

// Close cancels a running verification and waits for it to stop.
func (c *Console) Close() error {
	c.cancel()
	c.wg.Wait()
	return nil
}

// ServeHTTP serves the console with its security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Strict-Transport-Security", "max-age=31536000")
	if switchLang(w, r) {
		return
	}
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() {
	m := http.NewServeMux()
	m.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	m.HandleFunc("GET /login", c.loginPage)
	m.HandleFunc("POST /login", c.loginPassword)
	m.HandleFunc("POST /login/certificate", c.loginCertificate)
	m.HandleFunc("POST /logout", c.authed(c.logout))
	m.HandleFunc("GET /{$}", c.authed(c.statePage))
	m.HandleFunc("POST /search", c.authed(c.newSearch))
	m.HandleFunc("GET /search", c.authed(c.searchPage))
	m.HandleFunc("GET /record/{seq}", c.authed(c.recordPage))
	m.HandleFunc("GET /export", c.authed(c.export))
	m.HandleFunc("GET /verify", c.authed(c.verifyPage))
	m.HandleFunc("POST /verify", c.authed(c.startVerify))
	m.HandleFunc("GET /verify/status", c.authed(c.verifyStatus))
	m.HandleFunc("GET /plots", c.authed(c.plotsPage))
	c.mux = m
}

// switchLang answers a GET with a ?lang= parameter: it keeps the choice
// in a cookie and sends the browser to the same page without it.
func switchLang(w http.ResponseWriter, r *http.Request) bool {
	l := r.URL.Query().Get("lang")
	if r.Method != http.MethodGet || texts[l] == nil {
		return false
	}
	setCookie(w, langCookie, l, 365*24*3600)
	q := r.URL.Query()
	q.Del("lang")
	u := localPath(r.URL.Path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return true
}

// localPath is p as a path on this server: cleaned, with one leading
// slash, so that "//host" cannot make a redirect leave the console.
func localPath(p string) string {
	return "/" + strings.TrimLeft(path.Clean("/"+p), "/")
}
