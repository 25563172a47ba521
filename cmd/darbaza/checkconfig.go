package main

import (
	"cmp"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/internal/postgres"
	"github.com/darbaza/darbaza/signing"
)

// checkConfig validates cfg as `darbaza serve` would use it, without
// opening a store or a port and without creating anything: the adapter's
// key pair, the checkpoint key, the subject HMAC key if it exists, every member's and trusted
// proxy's certificate, the members' services, and the TLS key pair. It
// writes what it checked to w and returns the first problem.
func checkConfig(cfg config.Config, w io.Writer) error {
	data := dataDir(cfg.DataDir)
	keyPath, certPath := cmp.Or(cfg.Signing.Key, data.AdapterKeyPath()), cmp.Or(cfg.Signing.Cert, data.AdapterCertPath())
	signer, cert, err := signing.LoadKeyPair(keyPath, certPath)
	if err != nil {
		return fmt.Errorf("adapter key: %w", err)
	}
	fmt.Fprintf(w, "adapter key:     %s, certificate %s (%s, valid until %s)\n", keyPath, certPath,
		cert.Subject.CommonName, cert.NotAfter.UTC().Format(time.DateOnly))
	if err := checkCheckpointKey(cfg, signer, cert, w); err != nil {
		return err
	}

	switch _, err := os.Stat(data.SubjectKeyPath()); {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(w, "subject key:     %s does not exist yet; serve creates it on first start\n", data.SubjectKeyPath())
	case err != nil:
		return fmt.Errorf("subject HMAC key: %w", err)
	default:
		if _, err := loadSubjectKey(data.SubjectKeyPath()); err != nil {
			return err
		}
		fmt.Fprintf(w, "subject key:     %s\n", data.SubjectKeyPath())
	}

	// The service codes a member may be given: the catalogue's, built
	// without sources (nothing is served).
	catalog := newCatalog(catalogSources{})
	if _, _, err := loadTrust(cfg.Members, catalog.Known); err != nil {
		return err
	}
	fmt.Fprintf(w, "members:         %d, every certificate readable, every service known\n", len(cfg.Members))
	if _, _, err := loadProxies(cfg.TrustedProxies); err != nil {
		return err
	}
	fmt.Fprintf(w, "trusted proxies: %d\n", len(cfg.TrustedProxies))
	if cfg.TLS.Cert != "" {
		if _, err := tls.LoadX509KeyPair(cfg.TLS.Cert, cfg.TLS.Key); err != nil {
			return fmt.Errorf("%w: tls: %w", config.ErrInvalid, err)
		}
		if cfg.TLS.ClientCA != "" {
			if _, err := certPool(cfg.TLS.ClientCA); err != nil {
				return fmt.Errorf("%w: tls.client_ca: %w", config.ErrInvalid, err)
			}
		}
		fmt.Fprintf(w, "tls:             %s\n", cfg.TLS.Cert)
	}
	if cfg.Storage == "postgres" {
		// As serve reads them, without connecting: the database is
		// contacted only by serve and migrate.
		if err := postgres.CheckDSN(cfg.Postgres.DSN); err != nil {
			return fmt.Errorf("%w: postgres.dsn: %w", config.ErrInvalid, err)
		}
		if _, err := postgres.Password(pgOptions(cfg.Postgres)); err != nil {
			return fmt.Errorf("%w: %w", config.ErrInvalid, err)
		}
		fmt.Fprintf(w, "storage:         postgres, password readable (the database is not contacted)\n")
	}
	if err := checkConsole(cfg.Console, w); err != nil {
		return err
	}
	fmt.Fprintf(w, "listen:          %s, data folder %s\n", cfg.Listen, cfg.DataDir)
	return nil
}

// checkCheckpointKey loads the key that signs the access log's checkpoints
// as serve does (an HSM key is opened and closed again) and, with
// witnesses configured, checks that it can sign their notes.
func checkCheckpointKey(cfg config.Config, adapterKey crypto.Signer, adapterCert *x509.Certificate, w io.Writer) error {
	key, cert, err := loadCheckpointKey(cfg.AccessLog, adapterKey, adapterCert)
	if err != nil {
		return err
	}
	if c, ok := key.(io.Closer); ok && key != adapterKey {
		defer c.Close()
	}
	if cfg.AccessLog.CheckpointKey != "" {
		fmt.Fprintf(w, "checkpoint key:  %s, certificate %s (valid until %s)\n", cfg.AccessLog.CheckpointKey,
			cfg.AccessLog.CheckpointCert, cert.NotAfter.UTC().Format(time.DateOnly))
	}
	if n := len(cfg.AccessLog.Witnesses); n > 0 {
		if _, err := witness.NewECDSASigner(cmp.Or(cfg.AccessLog.Origin, cfg.Provider), key); err != nil {
			return fmt.Errorf("%w: access_log.checkpoint_key: %w", config.ErrInvalid, err)
		}
		fmt.Fprintf(w, "witnesses:       %d\n", n)
	}
	return nil
}
