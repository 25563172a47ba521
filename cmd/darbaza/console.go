package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/adapter/console"
	"github.com/darbaza/darbaza/signing"
)

// consoleServer is the auditors' console on its own HTTPS listener
// (docs/console.md).
type consoleServer struct {
	console *console.Console
	http    *http.Server
	listen  string
}

// consoleAuditors reads the auditors of cfg: their password hashes are
// checked, their certificates loaded. The pool holds the issuers of the
// auditors' client certificates: console.client_ca, else the auditors'
// certificates themselves.
func consoleAuditors(cfg config.Console) ([]console.Auditor, *x509.CertPool, error) {
	pool := x509.NewCertPool()
	var auditors []console.Auditor
	for i, a := range cfg.Auditors {
		key := fmt.Sprintf("console.auditors[%d]", i)
		if a.PasswordHash != "" {
			if err := console.CheckHash(a.PasswordHash); err != nil {
				return nil, nil, fmt.Errorf("%w: %s.password_hash: %w (make one with: darbaza console-password)", config.ErrInvalid, key, err)
			}
		}
		au := console.Auditor{Name: a.Name, PasswordHash: a.PasswordHash}
		if a.Certificate != "" {
			certs, err := signing.LoadCertificates(a.Certificate)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: %s.certificate: %w", config.ErrInvalid, key, err)
			}
			au.Certificates = certs
			for _, c := range certs {
				pool.AddCert(c)
			}
		}
		auditors = append(auditors, au)
	}
	if cfg.ClientCA != "" {
		var err error
		if pool, err = certPool(cfg.ClientCA); err != nil {
			return nil, nil, fmt.Errorf("%w: console.client_ca: %w", config.ErrInvalid, err)
		}
	}
	return auditors, pool, nil
}

// newConsoleServer builds the console over the open access log, or
// returns nil when the config names no auditor (the console is off).
// Verifications trust the checkpoint certificate, as `darbaza audit
// verify` does; sender, if not nil, reports the newest witnessed
// checkpoint.
func newConsoleServer(cfg config.Console, log *accesslog.Log, checkpointCert *x509.Certificate, sender *witness.Sender, logger *slog.Logger) (*consoleServer, error) {
	if len(cfg.Auditors) == 0 {
		return nil, nil
	}
	auditors, pool, err := consoleAuditors(cfg)
	if err != nil {
		return nil, err
	}
	pair, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: console.cert: %w", config.ErrInvalid, err)
	}
	var witnessed console.WitnessSource
	if sender != nil {
		witnessed = senderWitness{sender}
	}
	con, err := console.New(console.Options{
		Log:         log,
		Auditors:    auditors,
		Verify:      accesslog.VerifyOptions{Certificates: []*x509.Certificate{checkpointCert}},
		Witness:     witnessed,
		SessionTTL:  time.Duration(cfg.SessionTTL),
		SessionMax:  time.Duration(cfg.SessionMax),
		MaxFailures: cfg.MaxFailures,
		Lockout:     time.Duration(cfg.Lockout),
		Logger:      logger,
	})
	if err != nil {
		return nil, err
	}
	return &consoleServer{console: con, listen: cfg.Listen, http: &http.Server{
		Handler:           con,
		TLSConfig:         console.ServerTLS(pair, pool),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// No WriteTimeout: an export of millions of records streams for
		// as long as it takes; the request's context ends it when the
		// auditor goes away.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 32 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}}, nil
}

// start listens and serves in the background; it returns once listening.
func (c *consoleServer) start(stdout io.Writer, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	fmt.Fprintf(stdout, "darbaza: auditors' console on https://%s/\n", ln.Addr())
	logger.Info("console serving", "addr", ln.Addr().String())
	go func() {
		if err := c.http.Serve(tls.NewListener(ln, c.http.TLSConfig)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("console stopped", "err", err)
		}
	}()
	return nil
}

// shutdown stops the console: requests in flight (exports too) until ctx
// ends, then its background verification.
func (c *consoleServer) shutdown(ctx context.Context) error {
	err := c.http.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = c.http.Close()
	}
	return errors.Join(err, c.console.Close())
}

// checkConsole checks the console part of a config for --check-config.
func checkConsole(cfg config.Console, w io.Writer) error {
	if len(cfg.Auditors) == 0 {
		fmt.Fprintln(w, "console:         off (no auditors)")
		return nil
	}
	if _, _, err := consoleAuditors(cfg); err != nil {
		return err
	}
	if _, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key); err != nil {
		return fmt.Errorf("%w: console.cert: %w", config.ErrInvalid, err)
	}
	fmt.Fprintf(w, "console:         https://%s/, %d auditors\n", cfg.Listen, len(cfg.Auditors))
	return nil
}

// senderWitness shows the console the newest checkpoint a witness
// countersigned, as the witness sender last received it.
type senderWitness struct{ sender *witness.Sender }

func (w senderWitness) LastWitnessed(context.Context) (console.Witnessed, bool, error) {
	msg := w.sender.LastCosigned()
	if len(msg) == 0 {
		return console.Witnessed{}, false, nil
	}
	wit, err := parseCosigned(msg)
	return wit, err == nil, err
}

// parseCosigned reads a cosigned checkpoint note, which the sender
// verified when the witness returned it: the size from the note text
// (C2SP tlog-checkpoint: origin, size, root), and the newest
// cosignature's witness name and time (C2SP tlog-cosignature, a
// signature line "— NAME base64(keyhash[4] || timestamp[8] || sig[64])"
// with the timestamp in seconds since the Unix epoch, big-endian).
func parseCosigned(msg []byte) (console.Witnessed, error) {
	text, sigs, ok := strings.Cut(string(msg), "\n\n")
	lines := strings.Split(text, "\n")
	if !ok || len(lines) < 3 {
		return console.Witnessed{}, errors.New("cosigned checkpoint: not a signed note")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return console.Witnessed{}, fmt.Errorf("cosigned checkpoint: size %q", lines[1])
	}
	w := console.Witnessed{Seq: size}
	for _, line := range strings.Split(sigs, "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 ")
		name, b64, ok2 := strings.Cut(rest, " ")
		if !ok || !ok2 {
			continue
		}
		if name == lines[0] {
			continue // the log's own signature: its key is named after the origin
		}
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(sig) != 4+8+64 {
			continue // not a cosignature/v1 (key hash, timestamp, Ed25519)
		}
		var secs int64
		for _, b := range sig[4:12] {
			secs = secs<<8 | int64(b)
		}
		if t := time.Unix(secs, 0).UTC(); t.After(w.Time) {
			w.Time, w.Witness = t, name
		}
	}
	return w, nil
}
