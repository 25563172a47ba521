package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	"github.com/darbaza/darbaza/internal/testclock"
	"github.com/darbaza/darbaza/internal/testkeys"
)

// With access_log.refuse_unwitnessed, the pipeline's log refuses records
// (so every request fails closed) once the newest checkpoint has gone
// unwitnessed for witness_max_age, and takes them again otherwise.
func TestTheWitnessGateFailsClosedWhenUnwitnessedTooLong(t *testing.T) {
	k := testkeys.EC(t, "checkpoint")
	clock := testclock.New(time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC))
	l, err := accesslog.Open(accesslog.Options{Path: filepath.Join(t.TempDir(), "log.db"), Signer: k.Key, Certificate: k.Cert,
		SubjectKey: make([]byte, 32), Now: clock.Now, CheckpointInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	signer, err := witness.NewECDSASigner("darbaza.test/log", k.Key)
	if err != nil {
		t.Fatal(err)
	}
	_, vkey, _ := witness.GenerateWitnessKey("down.test")
	v, _ := witness.NewCosignatureVerifier(vkey)
	s, err := witness.NewSender(witness.SenderOptions{Log: l, Signer: signer, MaxAge: time.Minute, Now: clock.Now,
		Witnesses: []*witness.Client{{URL: "http://127.0.0.1:1", Verifier: v}}})
	if err != nil {
		t.Fatal(err)
	}
	gate := witnessGate{Log: l, sender: s}
	ctx := context.Background()
	entry := func(id string) accesslog.Entry { return accesslog.Entry{ID: id, Time: clock.Now(), Outcome: "OK"} }
	if _, err := gate.Append(ctx, entry("1")); err != nil {
		t.Fatalf("Append before any checkpoint: %v", err)
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	s.Sync(ctx) // the witness is down
	clock.Advance(30 * time.Second)
	if _, err := gate.Append(ctx, entry("2")); err != nil || gate.Healthy() != nil {
		t.Fatalf("within witness_max_age: Append %v, Healthy %v", err, gate.Healthy())
	}
	clock.Advance(31 * time.Second)
	if _, err := gate.Append(ctx, entry("3")); !errors.Is(err, accesslog.ErrUnavailable) || !errors.Is(err, witness.ErrUnwitnessed) {
		t.Errorf("after witness_max_age: Append %v, want ErrUnavailable and ErrUnwitnessed", err)
	}
	if err := gate.Healthy(); !errors.Is(err, accesslog.ErrUnavailable) {
		t.Errorf("after witness_max_age: Healthy %v", err)
	}
}
