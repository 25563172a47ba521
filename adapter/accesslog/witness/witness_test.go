package witness_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	"github.com/darbaza/darbaza/internal/testclock"
	"github.com/darbaza/darbaza/internal/testkeys"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const origin = "darbaza.test/accesslog/70000001"

var epoch = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// fixture is an access log, its checkpoint key as a note signer, and a
// witness serving it over HTTP.
type fixture struct {
	tb      testing.TB
	keys    testkeys.Pair
	log     *accesslog.Log
	signer  *witness.ECDSASigner
	w       *witness.Witness
	wopts   witness.Options
	client  *witness.Client
	clock   *testclock.Clock
	entries int
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{tb: tb, keys: testkeys.EC(tb, "darbaza checkpoint key"), clock: testclock.New(epoch)}
	f.log = f.openLog(filepath.Join(tb.TempDir(), "accesslog.db"))
	var err error
	f.signer, err = witness.NewECDSASigner(origin, f.keys.Key)
	if err != nil {
		tb.Fatal(err)
	}
	skey, vkey, err := witness.GenerateWitnessKey("witness.test")
	if err != nil {
		tb.Fatal(err)
	}
	f.wopts = witness.Options{StatePath: filepath.Join(tb.TempDir(), "state.json"), Key: skey, VerifierKey: vkey, Logs: []string{f.signer.VerifierKey()}}
	f.startWitness()
	return f
}

func (f *fixture) openLog(path string) *accesslog.Log {
	f.tb.Helper()
	l, err := accesslog.Open(accesslog.Options{Path: path, Signer: f.keys.Key, Certificate: f.keys.Cert,
		SubjectKey: make([]byte, 32), CheckpointInterval: time.Hour, Now: f.clock.Now})
	if err != nil {
		f.tb.Fatal(err)
	}
	f.tb.Cleanup(func() { l.Close() })
	return l
}

// startWitness (re)opens the witness from its state file and serves it.
func (f *fixture) startWitness() {
	f.tb.Helper()
	var err error
	f.w, err = witness.New(f.wopts)
	if err != nil {
		f.tb.Fatal(err)
	}
	srv := httptest.NewServer(witness.Handler(f.w))
	f.tb.Cleanup(srv.Close)
	v, err := witness.NewCosignatureVerifier(f.wopts.VerifierKey)
	if err != nil {
		f.tb.Fatal(err)
	}
	f.client = &witness.Client{URL: srv.URL, Verifier: v, HTTP: srv.Client()}
}

// add appends n records to l and signs a checkpoint over them.
func (f *fixture) add(l *accesslog.Log, n int) accesslog.Checkpoint {
	f.tb.Helper()
	ctx := context.Background()
	for range n {
		f.entries++
		e := accesslog.Entry{ID: fmt.Sprintf("id-%d", f.entries), Time: f.clock.Now(), Outcome: "OK",
			Client: "central-server/GOV/70000002/portal", Service: "getPerson",
			RequestSHA256: sha256.Sum256([]byte(fmt.Sprint(f.entries)))}
		if _, err := l.Append(ctx, e); err != nil {
			f.tb.Fatal(err)
		}
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		f.tb.Fatal(err)
	}
	return cp
}

func (f *fixture) sender(l *accesslog.Log, reg prometheus.Registerer) *witness.Sender {
	f.tb.Helper()
	s, err := witness.NewSender(witness.SenderOptions{Log: l, Signer: f.signer, Witnesses: []*witness.Client{f.client},
		MaxAge: time.Minute, Now: f.clock.Now, Registerer: reg})
	if err != nil {
		f.tb.Fatal(err)
	}
	return s
}

// witnessed reads the witness's state file as an auditor would.
func (f *fixture) witnessed() accesslog.Witnessed {
	f.tb.Helper()
	st, err := witness.ReadState(f.wopts.StatePath)
	if err != nil {
		f.tb.Fatal(err)
	}
	w, _, err := st.Witnessed(f.signer.VerifierKey(), f.wopts.VerifierKey)
	if err != nil {
		f.tb.Fatal(err)
	}
	return w
}

func TestTheSenderBringsAWitnessAlongAndTheStateVerifiesTheLog(t *testing.T) {
	f := newFixture(t)
	s := f.sender(f.log, nil)
	ctx := context.Background()
	cp := f.add(f.log, 3)
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("first Sync: %v", err)
	}
	if got := f.witnessed(); got.Size != 3 || got.Head != cp.Head {
		t.Fatalf("witnessed %d %x, want 3 %x", got.Size, got.Head[:4], cp.Head[:4])
	}
	cp = f.add(f.log, 4)
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("second Sync: %v", err)
	}
	w := f.witnessed()
	if w.Size != 7 || w.Head != cp.Head {
		t.Fatalf("witnessed %d, want 7", w.Size)
	}
	rep, err := f.log.Verify(ctx, accesslog.VerifyOptions{Certificates: []*x509.Certificate{f.keys.Cert}, Witnessed: &w})
	if err != nil || !rep.WitnessChecked {
		t.Fatalf("Verify with the witnessed checkpoint: %v (checked %v)", err, rep.WitnessChecked)
	}
	if s.Healthy() != nil || s.Unwitnessed() != 0 {
		t.Errorf("sender unhealthy after acknowledgements: %v", s.Healthy())
	}
	if len(s.LastCosigned()) == 0 {
		t.Error("no cosigned checkpoint kept")
	}
}

func TestTheWitnessRefusesRollbacksForksAndStrangers(t *testing.T) {
	f := newFixture(t)
	s := f.sender(f.log, nil)
	ctx := context.Background()
	f.add(f.log, 5)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sign := func(size uint64, root [32]byte) []byte {
		msg, err := witness.SignCheckpoint(witness.Checkpoint{Origin: origin, Size: size, Root: root}, f.signer)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	prev, digests, err := f.log.Extension(ctx, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	head5 := accesslog.Extend(prev, digests)
	var other [32]byte
	other[0] = 1
	mallory := testkeys.EC(t, "mallory")
	strange, _ := witness.NewECDSASigner(origin, mallory.Key)
	strangeMsg, _ := witness.SignCheckpoint(witness.Checkpoint{Origin: origin, Size: 6, Root: other}, strange)
	tests := []struct {
		name    string
		old     uint64
		digests [][32]byte
		msg     []byte
		want    error
	}{
		{"a smaller checkpoint (rollback)", 5, nil, sign(3, prev), witness.ErrRollback},
		{"the same size with another root (fork)", 5, nil, sign(5, other), witness.ErrFork},
		{"a larger checkpoint that does not extend the witnessed one (fork)", 5, [][32]byte{other}, sign(6, accesslog.Extend(other, [][32]byte{other})), witness.ErrFork},
		{"a proof of the wrong length", 5, nil, sign(6, other), witness.ErrMalformed},
		{"an old size the witness does not know", 4, digests[1:], sign(5, head5), witness.ErrConflict},
		{"a checkpoint signed by another key under the log's name", 5, [][32]byte{other}, strangeMsg, witness.ErrUnknownLog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.Add(ctx, tt.old, tt.digests, tt.msg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Add: %v, want %v", err, tt.want)
			}
			if got := f.w.Known(origin); got != 5 {
				t.Errorf("the witness now knows %d records, want still 5", got)
			}
		})
	}
	// The same checkpoint again is countersigned again (idempotent).
	if _, err := f.client.Add(ctx, 5, nil, sign(5, head5)); err != nil {
		t.Errorf("the witnessed checkpoint again: %v", err)
	}
	// A restarted witness remembers.
	f.startWitness()
	if _, err := f.client.Add(ctx, 5, nil, sign(3, prev)); !errors.Is(err, witness.ErrRollback) {
		t.Errorf("after a restart, a rollback: %v, want ErrRollback", err)
	}
}

// A log cut back or rewritten, even with the real keys, is refused by the
// witness, and the sender reports it unwitnessed after MaxAge.
func TestASenderOfARewrittenLogIsRefusedAndReportsIt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		other func(f *fixture, l *accesslog.Log)
	}{
		{"tail cut off", func(f *fixture, l *accesslog.Log) { f.entries = 0; f.add(l, 3) }},
		{"history rewritten with the real key", func(f *fixture, l *accesslog.Log) { f.entries = 100; f.add(l, 6) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.add(f.log, 5)
			if err := f.sender(f.log, nil).Sync(ctx); err != nil {
				t.Fatal(err)
			}
			// The attacker's log: same keys, same origin, other content.
			forged := f.openLog(filepath.Join(t.TempDir(), "forged.db"))
			tc.other(f, forged)
			reg := prometheus.NewPedanticRegistry()
			s := f.sender(forged, reg)
			err := s.Sync(ctx)
			if !errors.Is(err, witness.ErrFork) && !errors.Is(err, witness.ErrRollback) {
				t.Fatalf("Sync of the forged log: %v, want a fork or rollback refusal", err)
			}
			if s.Healthy() != nil {
				t.Fatal("unhealthy before MaxAge")
			}
			f.clock.Advance(2 * time.Minute)
			s.Sync(ctx)
			if err := s.Healthy(); !errors.Is(err, witness.ErrUnwitnessed) {
				t.Errorf("Healthy after MaxAge unwitnessed: %v", err)
			}
			if v := testutil.ToFloat64(s.UnwitnessedGauge()); v < 120 {
				t.Errorf("darbaza_accesslog_unwitnessed_seconds = %v, want >= 120", v)
			}
		})
	}
}

func TestASenderReportsAWitnessThatIsDown(t *testing.T) {
	f := newFixture(t)
	f.client.URL = "http://127.0.0.1:1" // nothing listens there
	s := f.sender(f.log, nil)
	f.add(f.log, 2)
	if err := s.Sync(context.Background()); err == nil {
		t.Fatal("Sync to a witness that is down succeeded")
	}
	f.clock.Advance(61 * time.Second)
	if err := s.Healthy(); !errors.Is(err, witness.ErrUnwitnessed) || !strings.Contains(err.Error(), "1m1s") {
		t.Errorf("Healthy: %v", err)
	}
}
