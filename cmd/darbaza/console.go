package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
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
// Verifications trust the adapter certificate, as `darbaza audit verify`
// does.
func newConsoleServer(cfg config.Console, log *accesslog.Log, adapterCert *x509.Certificate, logger *slog.Logger) (*consoleServer, error) {
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
	con, err := console.New(console.Options{
		Log:         log,
		Auditors:    auditors,
		Verify:      accesslog.VerifyOptions{Certificates: []*x509.Certificate{adapterCert}},
		Witness:     nil, // the access log does not expose witnessed checkpoints yet (issue 13)
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
