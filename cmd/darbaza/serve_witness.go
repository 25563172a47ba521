package main

import (
	"cmp"
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/prometheus/client_golang/prometheus"
)

// loadCheckpointKey loads the key that signs the access log's checkpoints:
// access_log.checkpoint_key and checkpoint_cert, or the adapter's own pair
// when the config names none.
func loadCheckpointKey(cfg config.AccessLog, adapterKey crypto.Signer, adapterCert *x509.Certificate) (crypto.Signer, *x509.Certificate, error) {
	if cfg.CheckpointKey == "" {
		return adapterKey, adapterCert, nil
	}
	signer, cert, err := loadKeyPair(cfg.CheckpointKey, cfg.CheckpointCert)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: access_log.checkpoint_key: %w", config.ErrInvalid, err)
	}
	return signer, cert, nil
}

// newWitnessSender builds the sender of the log's checkpoints to the
// configured witnesses, or returns nil when none is configured.
func newWitnessSender(cfg config.Config, log *accesslog.Log, key crypto.Signer, metrics prometheus.Registerer, logger *slog.Logger) (*witness.Sender, error) {
	ac := cfg.AccessLog
	if len(ac.Witnesses) == 0 {
		return nil, nil
	}
	signer, err := witness.NewECDSASigner(cmp.Or(ac.Origin, cfg.Provider), key)
	if err != nil {
		return nil, fmt.Errorf("%w: access_log.checkpoint_key: %w", config.ErrInvalid, err)
	}
	var clients []*witness.Client
	for i, w := range ac.Witnesses {
		v, err := witness.NewCosignatureVerifier(w.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: access_log.witnesses[%d].key: %w", config.ErrInvalid, i, err)
		}
		clients = append(clients, &witness.Client{URL: w.URL, Verifier: v})
	}
	logger.Info("access-log checkpoints go to witnesses", "origin", signer.Name(), "checkpoint_key", signer.VerifierKey(), "witnesses", len(clients))
	return witness.NewSender(witness.SenderOptions{
		Log:        log,
		Signer:     signer,
		Witnesses:  clients,
		Interval:   min(10*time.Second, time.Duration(ac.CheckpointInterval)),
		MaxAge:     time.Duration(ac.WitnessMaxAge),
		Logger:     logger,
		Registerer: metrics,
	})
}

// witnessGate is the access log as the pipeline sees it when
// access_log.refuse_unwitnessed is set: while no witness has countersigned
// the newest checkpoint for longer than witness_max_age, it is unavailable,
// and every request fails closed as when the log cannot be written.
type witnessGate struct {
	*accesslog.Log
	sender *witness.Sender
}

func (g witnessGate) Healthy() error {
	if err := g.sender.Healthy(); err != nil {
		return fmt.Errorf("%w: %w", accesslog.ErrUnavailable, err)
	}
	return g.Log.Healthy()
}

func (g witnessGate) Append(ctx context.Context, e accesslog.Entry) (accesslog.Record, error) {
	if err := g.sender.Healthy(); err != nil {
		return accesslog.Record{}, fmt.Errorf("%w: %w", accesslog.ErrUnavailable, err)
	}
	return g.Log.Append(ctx, e)
}

func (g witnessGate) AppendIn(ctx context.Context, c logstore.Committer, e accesslog.Entry) (accesslog.Record, error) {
	if err := g.sender.Healthy(); err != nil {
		return accesslog.Record{}, fmt.Errorf("%w: %w", accesslog.ErrUnavailable, err)
	}
	return g.Log.AppendIn(ctx, c, e)
}
