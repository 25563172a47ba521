// Package config reads Darbaza's single YAML configuration file into a
// Config over Default. Decoding is strict: an unknown key, a value of the
// wrong type, a bad duration, an X-Road identifier that does not parse, a
// limit outside its range, a holiday that is no date, or a member listed
// twice or with no services is
// an error wrapping ErrInvalid that names the key. Relative paths are
// resolved against the file's folder. The files a Config names
// (certificates, keys) are not read here: the server reads them at start
// and reports a bad one by its key in the same way.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/soap"
)

// ErrInvalid is wrapped by every error Load and Validate return for a bad file.
var ErrInvalid = errors.New("invalid configuration")

// Duration is a time.Duration written as "90s", "5m" in YAML.
type Duration time.Duration

// UnmarshalYAML reads Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 30s or 5m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes Go duration syntax.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Config is the whole configuration. Zero values are replaced by Default's.
type Config struct {
	// Listen is the address of the SOAP endpoint, metrics and health checks.
	Listen string `yaml:"listen"`
	// DataDir holds registry.db, accesslog.db and keys/.
	DataDir string `yaml:"data_dir"`
	// Provider is this adapter's X-Road identifier; requests must name a
	// service of it. INSTANCE/CLASS/CODE/SUBSYSTEM.
	Provider string `yaml:"provider"`
	// Demo loads the built-in demo dataset when the registry is empty.
	Demo bool `yaml:"demo"`
	// Storage is where the registry and the access log are kept: "bolt",
	// files in DataDir for one node, or "postgres", a database several
	// nodes share (docs/postgres.md). Keys stay in DataDir either way.
	Storage  string   `yaml:"storage"`
	Postgres Postgres `yaml:"postgres"`

	TLS       TLS       `yaml:"tls"`
	Signing   Signing   `yaml:"signing"`
	Limits    Limits    `yaml:"limits"`
	HTTP      HTTP      `yaml:"http"`
	AccessLog AccessLog `yaml:"access_log"`
	// Console is the auditors' read-only web console (docs/console.md).
	Console   Console   `yaml:"console"`
	Documents Documents `yaml:"documents"`
	// Registration configures the registration applications filed through
	// the portal (submitRegistration, confirmRegistration, deregister).
	Registration Registration `yaml:"registration"`
	// TrustedProxies are TLS client certificates (PEM files) of Tunduk
	// security servers. A connection that authenticated with one of them
	// may send unsigned requests: the security server already checked the
	// signature (docs/protocol.md, "Callers"); access rights still apply.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Members are the callers and what each may call.
	Members []Member `yaml:"members"`
	// Apostille configures the apostille register (apostille.go).
	Apostille Apostille `yaml:"apostille"`
}

// TLS turns on HTTPS. Empty Cert and Key mean plain HTTP.
type TLS struct {
	Cert string `yaml:"cert"` // server certificate chain, PEM
	Key  string `yaml:"key"`  // its private key, PEM
	// ClientCA lists PEM certificates accepted as issuers of client
	// certificates; empty means the trusted proxy certificates themselves.
	ClientCA string `yaml:"client_ca"`
}

// Signing configures WS-Security, the profile docs/protocol.md describes.
type Signing struct {
	Key  string `yaml:"key"`  // adapter private key, PEM file or PKCS #11 URI (signing/pkcs11); empty: DATA_DIR/keys/adapter.key
	Cert string `yaml:"cert"` // adapter certificate, PEM; empty: DATA_DIR/keys/adapter.crt
	// MaxClockSkew is how far a caller's clock may be off ours.
	MaxClockSkew Duration `yaml:"max_clock_skew"`
	// MaxAge is how old a request's Timestamp/Created may be. Message ids
	// are remembered for MaxAge+MaxClockSkew to refuse replays.
	MaxAge Duration `yaml:"max_age"`
	// ResponseTTL is the validity a response's Timestamp states.
	ResponseTTL Duration `yaml:"response_ttl"`
}

// Limits bound untrusted input.
type Limits struct {
	MaxBodyBytes  int64 `yaml:"max_body_bytes"`
	MaxDepth      int   `yaml:"max_depth"`
	MaxElements   int   `yaml:"max_elements"`
	MaxReferences int   `yaml:"max_references"`
	// MaxInFlight caps the requests processed at once; a request takes a
	// slot only once its body is read. More wait in a queue.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxQueued caps the requests waiting for a slot; one more is refused
	// at once with Server.ServerProxy.Busy (HTTP 503, Retry-After). 0: none waits.
	MaxQueued int `yaml:"max_queued"`
	// MaxQueueWait is how long a request waits for a slot before it is
	// refused with Server.ServerProxy.Busy.
	MaxQueueWait Duration `yaml:"max_queue_wait"`
	// BodyTimeout bounds the reading of a request body after its headers.
	BodyTimeout Duration `yaml:"body_timeout"`
	// MinBodyRate is the least average rate (bytes per second, after the
	// first second) at which a body must arrive; 0 means no minimum.
	MinBodyRate int64 `yaml:"min_body_rate"`
}

// HTTP holds server timeouts.
type HTTP struct {
	ReadTimeout     Duration `yaml:"read_timeout"`
	WriteTimeout    Duration `yaml:"write_timeout"`
	IdleTimeout     Duration `yaml:"idle_timeout"`
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// AccessLog configures the tamper-evident access log (docs/access-log.md).
type AccessLog struct {
	// CheckpointInterval is how often a signed checkpoint is written.
	CheckpointInterval Duration `yaml:"checkpoint_interval"`
	// CheckpointKey and CheckpointCert are the key that signs the log's
	// checkpoints, apart from the adapter key that signs responses
	// (docs/witness.md): a PEM file or a PKCS #11 URI (signing/pkcs11), and
	// a PEM certificate. Empty: the adapter key and certificate. Witnessed
	// checkpoints need an ECDSA P-256 key.
	CheckpointKey  string `yaml:"checkpoint_key"`
	CheckpointCert string `yaml:"checkpoint_cert"`
	// Origin names the log in its witnessed checkpoints; empty: the
	// provider identifier.
	Origin string `yaml:"origin"`
	// Witnesses receive every checkpoint and countersign it.
	Witnesses []Witness `yaml:"witnesses"`
	// WitnessMaxAge is how long the newest checkpoint may go without a
	// witness's cosignature before /readyz fails.
	WitnessMaxAge Duration `yaml:"witness_max_age"`
	// RefuseUnwitnessed makes the adapter refuse requests
	// (Server.ServerProxy.AccessLogUnavailable) while /readyz reports the
	// log unwitnessed, rather than only report it.
	RefuseUnwitnessed bool `yaml:"refuse_unwitnessed"`
}

// Witness is one witness of the access log (darbaza witness serve).
type Witness struct {
	// URL is the witness's base URL.
	URL string `yaml:"url"`
	// Key is its verifier key, name+hash+base64, as 'darbaza witness
	// keygen' prints it.
	Key string `yaml:"key"`
}

// Postgres is the database of storage: postgres.
type Postgres struct {
	// DSN is a libpq connection string or URL without a password, e.g.
	// postgres://darbaza@db1:5432/darbaza?sslmode=verify-full.
	DSN string `yaml:"dsn"`
	// PasswordFile names a file whose first line is the password;
	// PasswordEnv an environment variable holding it. The password is
	// never written to a log.
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	// Migrate applies the schema migrations at serve start (as `darbaza
	// migrate` does); false refuses to start on an older schema.
	Migrate bool `yaml:"migrate"`
	// MaxConns caps the node's connections; zero means pgxpool's default.
	MaxConns int32 `yaml:"max_conns"`
	// Recover is how often a node that lost the database checks whether it
	// is back, to accept requests again.
	Recover Duration `yaml:"recover"`
}

// Documents configures the result documents Darbaza issues (address
// certificates) and their verification (docs/documents.md).
type Documents struct {
	// Key and Cert are the document-signing key pair, PEM. Both empty
	// means the adapter's (signing.key and signing.cert).
	Key  string `yaml:"key"`
	Cert string `yaml:"cert"`
	// IssuerKy and IssuerRu name the issuing body on the certificate, in
	// Kyrgyz and Russian.
	IssuerKy string `yaml:"issuer_ky"`
	IssuerRu string `yaml:"issuer_ru"`
	// VerifyURL is where a verifier checks a certificate online; the QR
	// code holds it with "?number=" and the number appended.
	VerifyURL string `yaml:"verify_url"`
	// MaxFailedLookups bounds, per client, the verifyDocument look-ups
	// that find no document within FailedLookupWindow; over it the
	// client gets Client.TooManyFailedLookups.
	MaxFailedLookups   int      `yaml:"max_failed_lookups"`
	FailedLookupWindow Duration `yaml:"failed_lookup_window"`
}

// Console configures the auditors' web console (docs/console.md): a
// read-only view of the access log on its own HTTPS listener, for the
// named auditors only. It is off while Auditors is empty.
type Console struct {
	// Listen is the console's address, never the SOAP port; loopback by
	// default, so it is reached through an SSH tunnel or a local proxy.
	Listen string `yaml:"listen"`
	// Cert and Key are the console's HTTPS certificate chain and key
	// (PEM). Required when there are auditors: sessions use Secure cookies
	// and passwords never cross plain HTTP.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// ClientCA lists PEM certificates accepted as issuers of auditors'
	// client certificates; empty means the auditors' certificates
	// themselves (self-signed ones).
	ClientCA string `yaml:"client_ca"`
	// SessionTTL is how long a session lasts without use.
	SessionTTL Duration `yaml:"session_ttl"`
	// SessionMax is how long a session lasts at most, used or not.
	SessionMax Duration `yaml:"session_max"`
	// MaxFailures is how many wrong passwords in a row lock an account.
	MaxFailures int `yaml:"max_failures"`
	// Lockout is how long a locked account stays locked.
	Lockout Duration `yaml:"lockout"`
	// Auditors are the people who may sign in.
	Auditors []Auditor `yaml:"auditors"`
}

// Auditor is one console account. At least one of PasswordHash and
// Certificate is required; either signs the auditor in.
type Auditor struct {
	// Name identifies the auditor in the console and in the access log
	// (client "console/NAME"): 1-64 of a-z, 0-9, '.', '_' and '-'.
	Name string `yaml:"name"`
	// PasswordHash is an argon2id hash in PHC form, made with
	// `darbaza console-password`.
	PasswordHash string `yaml:"password_hash"`
	// Certificate is a PEM file of the auditor's TLS client certificate.
	Certificate string `yaml:"certificate"`
}

// Member is one caller.
type Member struct {
	// ID is the X-Road client identifier, INSTANCE/CLASS/CODE[/SUBSYSTEM].
	ID string `yaml:"id"`
	// Certificates are PEM files of the member's signing certificates.
	// Relative paths are relative to the config file.
	Certificates []string `yaml:"certificates"`
	// Services are the service codes the member may call.
	Services []string `yaml:"services"`
	// LegacySHA1 accepts rsa-sha1 and sha1 digests from this member.
	LegacySHA1 bool `yaml:"legacy_sha1"`
}

// Registration configures the application rules (docs/domain.md,
// "Registration through the portal").
type Registration struct {
	// ConfirmWithin is how long an application awaits its applicant's
	// confirmation (seed 000 §7) before it lapses. Default 72h.
	ConfirmWithin Duration `yaml:"confirm_within"`
	// Holidays are the public holidays on which no refusal notice falls due
	// (seed 001 §29): MM-DD for every year, YYYY-MM-DD for one day (the
	// moving feasts Orozo Ait and Kurman Ait). A list given replaces the
	// default, Kyrgyzstan's fixed holidays (registry.DefaultHolidays).
	Holidays []string `yaml:"holidays"`
}

// Default is the configuration an empty file yields.
func Default() Config {
	return Config{
		Listen:   "127.0.0.1:8080",
		DataDir:  "./data",
		Provider: "central-server/GOV/70000001/population-registry",
		Signing: Signing{
			MaxClockSkew: Duration(5 * time.Minute),
			MaxAge:       Duration(15 * time.Minute),
			ResponseTTL:  Duration(5 * time.Minute),
		},
		Limits: Limits{
			MaxBodyBytes:  soap.DefaultLimits.MaxBytes,
			MaxDepth:      soap.DefaultLimits.MaxDepth,
			MaxElements:   soap.DefaultLimits.MaxElements,
			MaxReferences: 16,
			MaxInFlight:   32,
			MaxQueued:     64,
			MaxQueueWait:  Duration(time.Second),
			BodyTimeout:   Duration(10 * time.Second),
			MinBodyRate:   1024,
		},
		HTTP: HTTP{
			ReadTimeout:     Duration(10 * time.Second),
			WriteTimeout:    Duration(15 * time.Second),
			IdleTimeout:     Duration(60 * time.Second),
			ShutdownTimeout: Duration(20 * time.Second),
		},
		AccessLog: AccessLog{CheckpointInterval: Duration(time.Minute), WitnessMaxAge: Duration(5 * time.Minute)},
		Documents: Documents{
			IssuerKy:           "Калкты каттоо реестри",
			IssuerRu:           "Реестр регистрации населения",
			VerifyURL:          "https://population.tunduk.kg/verify",
			MaxFailedLookups:   20,
			FailedLookupWindow: Duration(time.Hour),
		},
		Registration: Registration{
			ConfirmWithin: Duration(registry.DefaultConfirmWithin),
			Holidays:      slices.Clone(registry.DefaultHolidays),
		},
		Console: Console{
			Listen:      "127.0.0.1:8443",
			SessionTTL:  Duration(30 * time.Minute),
			SessionMax:  Duration(8 * time.Hour),
			MaxFailures: 5,
			Lockout:     Duration(15 * time.Minute),
		},
		Storage:  "bolt",
		Postgres: Postgres{Recover: Duration(time.Second)},
	}
}

// Load reads path over Default, resolves relative paths against the file's
// directory, and validates the result.
func Load(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	c, err := Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	c.resolve(filepath.Dir(path))
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes raw strictly over Default without resolving or validating.
func Parse(raw []byte) (Config, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return c, nil
}

// resolve makes relative file paths relative to dir, the config's folder.
func (c *Config) resolve(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) && !strings.HasPrefix(*p, "pkcs11:") {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.DataDir)
	abs(&c.TLS.Cert)
	abs(&c.TLS.Key)
	abs(&c.TLS.ClientCA)
	abs(&c.Signing.Key)
	abs(&c.Signing.Cert)
	abs(&c.Console.Cert)
	abs(&c.Console.Key)
	abs(&c.Console.ClientCA)
	for i := range c.Console.Auditors {
		abs(&c.Console.Auditors[i].Certificate)
	}
	abs(&c.Documents.Key)
	abs(&c.Documents.Cert)
	abs(&c.AccessLog.CheckpointKey)
	abs(&c.AccessLog.CheckpointCert)
	abs(&c.Postgres.PasswordFile)
	for i := range c.TrustedProxies {
		abs(&c.TrustedProxies[i])
	}
	for i := range c.Members {
		for j := range c.Members[i].Certificates {
			abs(&c.Members[i].Certificates[j])
		}
	}
}

// Validate checks values that YAML types cannot.
func (c *Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, key, fmt.Sprintf(format, args...))
	}
	if c.Listen == "" {
		return bad("listen", "must not be empty")
	}
	if c.DataDir == "" {
		return bad("data_dir", "must not be empty")
	}
	if p, err := soap.ParseClientID(c.Provider); err != nil || p.SubsystemCode == "" {
		return bad("provider", "%q must be INSTANCE/CLASS/CODE/SUBSYSTEM", c.Provider)
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return bad("tls", "cert and key go together")
	}
	if len(c.TrustedProxies) > 0 && c.TLS.Cert == "" {
		return bad("trusted_proxies", "need tls.cert and tls.key: a proxy is recognized by its TLS client certificate")
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{
		{"signing.max_clock_skew", c.Signing.MaxClockSkew}, {"signing.max_age", c.Signing.MaxAge},
		{"signing.response_ttl", c.Signing.ResponseTTL}, {"http.read_timeout", c.HTTP.ReadTimeout},
		{"http.write_timeout", c.HTTP.WriteTimeout}, {"http.idle_timeout", c.HTTP.IdleTimeout},
		{"http.shutdown_timeout", c.HTTP.ShutdownTimeout}, {"access_log.checkpoint_interval", c.AccessLog.CheckpointInterval},
		{"limits.max_queue_wait", c.Limits.MaxQueueWait}, {"limits.body_timeout", c.Limits.BodyTimeout},
		{"console.session_ttl", c.Console.SessionTTL}, {"console.session_max", c.Console.SessionMax},
		{"console.lockout", c.Console.Lockout},
		{"documents.failed_lookup_window", c.Documents.FailedLookupWindow},
		{"registration.confirm_within", c.Registration.ConfirmWithin},
		{"access_log.witness_max_age", c.AccessLog.WitnessMaxAge},
	} {
		if d.v <= 0 {
			return bad(d.key, "must be positive")
		}
	}
	switch doc := c.Documents; {
	case (doc.Key == "") != (doc.Cert == ""):
		return bad("documents", "key and cert go together")
	case doc.IssuerKy == "" || doc.IssuerRu == "":
		return bad("documents", "issuer_ky and issuer_ru must not be empty")
	case !strings.HasPrefix(doc.VerifyURL, "https://") && !strings.HasPrefix(doc.VerifyURL, "http://"):
		return bad("documents.verify_url", "%q is no http(s) URL", doc.VerifyURL)
	case doc.MaxFailedLookups < 1:
		return bad("documents.max_failed_lookups", "must be at least 1")
	}
	if (c.AccessLog.CheckpointKey == "") != (c.AccessLog.CheckpointCert == "") {
		return bad("access_log", "checkpoint_key and checkpoint_cert go together")
	}
	if o := c.AccessLog.Origin; strings.ContainsAny(o, " \t\n+") {
		return bad("access_log.origin", "%q: no spaces and no '+'", o)
	}
	for i, w := range c.AccessLog.Witnesses {
		key := fmt.Sprintf("access_log.witnesses[%d]", i)
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad(key+".url", "%q is not an http(s) URL", w.URL)
		}
		if strings.Count(w.Key, "+") < 2 {
			return bad(key+".key", "%q is not a verifier key (name+hash+base64)", w.Key)
		}
	}
	if c.AccessLog.RefuseUnwitnessed && len(c.AccessLog.Witnesses) == 0 {
		return bad("access_log.refuse_unwitnessed", "needs access_log.witnesses")
	}
	switch c.Storage {
	case "bolt":
	case "postgres":
		if c.Postgres.DSN == "" {
			return bad("postgres.dsn", "must be set when storage is postgres")
		}
		if c.Postgres.Recover <= 0 {
			return bad("postgres.recover", "must be positive")
		}
		if c.Postgres.MaxConns < 0 {
			return bad("postgres.max_conns", "must not be negative")
		}
	default:
		return bad("storage", "%q is neither bolt nor postgres", c.Storage)
	}
	l := c.Limits
	switch {
	case l.MaxBodyBytes < 1024 || l.MaxBodyBytes > 64<<20:
		return bad("limits.max_body_bytes", "%d is outside 1024..67108864", l.MaxBodyBytes)
	case l.MaxDepth < 8 || l.MaxDepth > 256:
		return bad("limits.max_depth", "%d is outside 8..256", l.MaxDepth)
	case l.MaxElements < 50 || l.MaxElements > 1000000:
		return bad("limits.max_elements", "%d is outside 50..1000000", l.MaxElements)
	case l.MaxReferences < 3 || l.MaxReferences > 64:
		return bad("limits.max_references", "%d is outside 3..64", l.MaxReferences)
	case l.MaxInFlight < 1:
		return bad("limits.max_in_flight", "must be at least 1")
	case l.MaxQueued < 0:
		return bad("limits.max_queued", "must not be negative")
	case l.MinBodyRate < 0:
		return bad("limits.min_body_rate", "must not be negative")
	}
	if _, err := registry.NewCalendar(c.Registration.Holidays); err != nil {
		return bad("registration.holidays", "%v", err)
	}
	if err := c.Console.validate(c.Listen); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, m := range c.Members {
		key := fmt.Sprintf("members[%d]", i)
		if _, err := soap.ParseClientID(m.ID); err != nil {
			return bad(key+".id", "%v", err)
		}
		if seen[m.ID] {
			return bad(key+".id", "%s is listed twice", m.ID)
		}
		seen[m.ID] = true
		if len(m.Services) == 0 {
			return bad(key+".services", "%s may call nothing; list its services", m.ID)
		}
	}
	return c.Apostille.validate(bad)
}

// validate checks the console section; soapListen is the SOAP address,
// which the console must not share.
func (c *Console) validate(soapListen string) error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: console.%s: %s", ErrInvalid, key, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Listen == "":
		return bad("listen", "must not be empty")
	case c.Listen == soapListen:
		return bad("listen", "%s is the SOAP listener; the console needs its own", c.Listen)
	case c.MaxFailures < 1 || c.MaxFailures > 100:
		return bad("max_failures", "%d is outside 1..100", c.MaxFailures)
	case c.SessionTTL > c.SessionMax:
		return bad("session_ttl", "is longer than console.session_max")
	case (c.Cert == "") != (c.Key == ""):
		return bad("cert", "cert and key go together")
	case len(c.Auditors) > 0 && c.Cert == "":
		return bad("cert", "the console serves HTTPS only: set console.cert and console.key")
	}
	seen := map[string]bool{}
	for i, a := range c.Auditors {
		key := fmt.Sprintf("auditors[%d]", i)
		if !validAuditorName(a.Name) {
			return bad(key+".name", "%q must be 1-64 of a-z, 0-9, '.', '_', '-'", a.Name)
		}
		if seen[a.Name] {
			return bad(key+".name", "%s is listed twice", a.Name)
		}
		seen[a.Name] = true
		if a.PasswordHash == "" && a.Certificate == "" {
			return bad(key, "%s has neither password_hash nor certificate, so could never sign in", a.Name)
		}
	}
	return nil
}

// validAuditorName reports whether name is 1-64 of a-z, 0-9, '.', '_', '-'.
func validAuditorName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
