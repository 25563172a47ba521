package adapter_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
	"github.com/darbaza/darbaza/registry/demo"
	"github.com/darbaza/darbaza/soap"
)

// The write contract (adapter.Seal): no committed change without a durable
// access record that names it; a failure at any step leaves no change, or
// the change with its record; a retry changes nothing twice. These tests
// drive a write service through the real pipeline, over the real registry
// rules and bbolt store, and inject a failure at each step.

// registerResidence is the write service of these tests: it registers
// pin's residence at dwelling under the application number, by the
// registry's own rule, in one transaction that seals the answer before it
// commits. A request that repeats the number finds the registration and
// seals the same answer.
func registerResidence(store registry.Store, today registry.Date) *adapter.Service {
	return adapter.NewTextService("registerResidence", []string{"application", "pin", "dwelling"},
		func(ctx context.Context, call *adapter.Call) (string, error) {
			var args [3]string
			for i, name := range []string{"application", "pin", "dwelling"} {
				v, err := call.Arg(name)
				if err != nil {
					return "", err
				}
				args[i] = v
			}
			app, pin, dwelling := args[0], args[1], args[2]
			var answer string
			err := store.Update(ctx, func(tx registry.Tx) error {
				r, err := tx.Registration(app)
				switch {
				case errors.Is(err, registry.ErrNotFound):
					r = registry.Registration{ID: app, PIN: pin, DwellingID: dwelling, Type: registry.Residence,
						Since: today, Record: call.RecordID()}
					if _, err := registry.Register(tx, r, today); err != nil {
						return err
					}
				case err != nil:
					return err
				}
				answer = fmt.Sprintf("%s: %s registered at %s since %s", r.ID, r.PIN, r.DwellingID, r.Since)
				return adapter.Seal(ctx, call, tx, answer, nil)
			})
			return answer, err
		})
}

// faultyStore loses the commit of an Update whose function succeeded
// while loseCommit is set, as a failed commit or a crash before it would.
// While rerun is set, it runs the function of an Update twice, as a store
// does after a serialization conflict: the first run is rolled back.
type faultyStore struct {
	registry.Store
	loseCommit atomic.Bool
	rerun      atomic.Bool
}

var errCommitLost = errors.New("injected: the commit did not happen")

var errConflict = errors.New("injected: serialization conflict")

func (s *faultyStore) Update(ctx context.Context, fn func(registry.Tx) error) error {
	if s.rerun.Load() {
		err := s.Store.Update(ctx, func(tx registry.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errConflict
		})
		if !errors.Is(err, errConflict) {
			return err
		}
	}
	return s.Store.Update(ctx, func(tx registry.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if s.loseCommit.Load() {
			return errCommitLost
		}
		return nil
	})
}

// faultyLog fails every Append while failing is set.
type faultyLog struct {
	adapter.AccessLog
	failing atomic.Bool
}

func (l *faultyLog) Append(ctx context.Context, e accesslog.Entry) (accesslog.Record, error) {
	if l.failing.Load() {
		return accesslog.Record{}, errors.New("injected: disk full")
	}
	return l.AccessLog.Append(ctx, e)
}

func (l *faultyLog) AppendIn(ctx context.Context, c logstore.Committer, e accesslog.Entry) (accesslog.Record, error) {
	if l.failing.Load() {
		return accesslog.Record{}, errors.New("injected: disk full")
	}
	return l.AccessLog.AppendIn(ctx, c, e)
}

// faultySigner fails every signature while failing is set.
type faultySigner struct {
	adapter.Signer
	failing atomic.Bool
}

func (s *faultySigner) Sign(doc *etree.Document, refs []*etree.Element) error {
	if s.failing.Load() {
		return errors.New("injected: the HSM is gone")
	}
	return s.Signer.Sign(doc, refs)
}

// faultHarness is a harness over a demo registry of its own, whose store,
// access log and signer can each be made to fail (faultyStore, faultyLog,
// faultySigner). The write services' tests use it.
type faultHarness struct {
	*harness
	reg    *registry.Registry
	store  *faultyStore
	log    *faultyLog
	signer *faultySigner
}

// newFaultHarness opens the registry (with opts) over a faultyStore, loads
// the demo dataset and wires the handler; configure then sets what the test
// serves (the catalogue, the members' rights) from fh.
func newFaultHarness(t *testing.T, opts registry.Options, configure func(fh *faultHarness, o *adapter.Options)) *faultHarness {
	t.Helper()
	file, err := boltstore.Open(filepath.Join(t.TempDir(), "registry.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fh := &faultHarness{store: &faultyStore{Store: file}}
	fh.reg = registry.New(fh.store, opts)
	t.Cleanup(func() { fh.reg.Close() })
	importDemo(t, fh.reg)
	fh.harness = newHarnessWith(t, func(o *adapter.Options) {
		fh.log = &faultyLog{AccessLog: o.Log}
		fh.signer = &faultySigner{Signer: o.Signer}
		o.Log, o.Signer = fh.log, fh.signer
		configure(fh, o)
	})
	return fh
}

// sealFault is one step of the write contract (docs/protocol.md,
// "Writes") made to fail, and the fault the caller then gets.
type sealFault struct {
	step   string
	inject func(fh *faultHarness, on bool)
	fault  string
	// recordStays: the sealed record outlives the failure where the log
	// commits in a transaction of its own (bbolt), not where it joins the
	// write's (PostgreSQL).
	recordStays bool
}

// sealFaults are the steps every write service's contract test fails in
// turn.
var sealFaults = []sealFault{
	{"signing the answer fails", func(fh *faultHarness, on bool) { fh.signer.failing.Store(on) }, soap.CodeInternalError, false},
	{"the access log fails", func(fh *faultHarness, on bool) { fh.log.failing.Store(on) }, soap.CodeLogUnavailable, false},
	{"the commit is lost after the record", func(fh *faultHarness, on bool) { fh.store.loseCommit.Store(on) }, soap.CodeInternalError, true},
}

// writeHarness serves registerResidence, the contract's own test service.
type writeHarness struct{ *faultHarness }

func newWriteHarness(t *testing.T) *writeHarness {
	t.Helper()
	return &writeHarness{newFaultHarness(t, registry.Options{Now: func() time.Time { return testNow }},
		func(fh *faultHarness, o *adapter.Options) {
			o.Catalog = adapter.NewCatalog(registerResidence(fh.store, registry.DateOf(testNow)))
			o.Members = adapter.NewMembers(map[string][]string{portal: {"registerResidence"}})
		})}
}

// apply sends application number app: demo.PINNoIDCard moves to
// demo.DwellingFoundPrevious. Every request has a fresh xrd:id.
func (wh *writeHarness) apply(app string) response {
	wh.tb.Helper()
	return wh.send(wh.sign(request(wh.tb, portal, "registerResidence",
		"application", app, "pin", demo.PINNoIDCard, "dwelling", demo.DwellingFoundPrevious), portal))
}

// registration returns application app's registration, if committed.
func (wh *writeHarness) registration(app string) (registry.Registration, bool) {
	wh.tb.Helper()
	var r registry.Registration
	err := wh.store.View(context.Background(), func(tx registry.Tx) (err error) {
		r, err = tx.Registration(app)
		return err
	})
	if errors.Is(err, registry.ErrNotFound) {
		return r, false
	}
	if err != nil {
		wh.tb.Fatal(err)
	}
	return r, true
}

// checkContract asserts the invariant: every committed registration of an
// online request names a durable OK record of registerResidence.
func (wh *writeHarness) checkContract(apps ...string) {
	wh.tb.Helper()
	byID := map[string]accesslog.Record{}
	for _, r := range wh.records() {
		byID[r.ID] = r
	}
	for _, app := range apps {
		r, ok := wh.registration(app)
		if !ok {
			continue
		}
		rec, ok := byID[r.Record]
		if !ok || rec.Service != "registerResidence" || rec.Outcome != adapter.OutcomeOK {
			wh.tb.Errorf("registration %s names record %q, which is not a durable OK record of registerResidence (%+v)", app, r.Record, rec)
		}
	}
}

func TestAWriteIsCommittedWithTheRecordThatNamesIt(t *testing.T) {
	wh := newWriteHarness(t)
	r := wh.apply("AP-1")
	if r.faultCode() != "" {
		t.Fatalf("fault %s:\n%s", r.faultCode(), r.raw)
	}
	wh.verify(r)
	reg, ok := wh.registration("AP-1")
	if !ok {
		t.Fatal("the answer was sent but the registration was not committed")
	}
	recs := wh.records()
	last := recs[len(recs)-1]
	if last.ID != reg.Record || last.Outcome != adapter.OutcomeOK {
		t.Fatalf("the registration names record %s; the last record is %s (%s)", reg.Record, last.ID, last.Outcome)
	}
	if last.ResponseSHA256 != sha256.Sum256(r.raw) {
		t.Error("the record's response digest is not the digest of the response sent")
	}
	if got := r.doc.FindElement("//faultDetail"); got != nil {
		t.Errorf("an answer with a faultDetail: %s", got.Text())
	}
	wh.checkContract("AP-1")
}

func TestAWriteThatFailsAtAStepLeavesNoChangeOrTheChangeWithItsRecord(t *testing.T) {
	for _, tc := range sealFaults {
		t.Run(tc.step, func(t *testing.T) {
			wh := newWriteHarness(t)
			tc.inject(wh.faultHarness, true)
			r := wh.apply("AP-7")
			tc.inject(wh.faultHarness, false)
			if r.faultCode() != tc.fault {
				t.Fatalf("fault %q, want %s:\n%s", r.faultCode(), tc.fault, r.raw)
			}
			if _, ok := wh.registration("AP-7"); ok {
				t.Fatal("a failed write left its change committed")
			}
			sealed := 0
			ids := map[string]bool{}
			for _, rec := range wh.records() {
				if ids[rec.ID] {
					t.Errorf("two records share the id %s", rec.ID)
				}
				ids[rec.ID] = true
				if rec.Outcome == adapter.OutcomeOK {
					sealed++
				}
			}
			want := 0
			if tc.recordStays {
				want = 1
			}
			if sealed != want {
				t.Errorf("%d OK records, want %d", sealed, want)
			}
			if tc.fault != soap.CodeLogUnavailable {
				detail := r.doc.FindElement("//faultDetail")
				if detail == nil || !ids[detail.Text()] {
					t.Errorf("the fault's faultDetail does not name a record of the log")
				}
			}

			// The caller retries with a new xrd:id: the registration is made once.
			r = wh.apply("AP-7")
			if r.faultCode() != "" {
				t.Fatalf("retry: fault %s", r.faultCode())
			}
			if _, ok := wh.registration("AP-7"); !ok {
				t.Fatal("the retry was answered but not committed")
			}
			wh.checkContract("AP-7")
		})
	}
}

// applyRunTwice sends application app while the store runs each
// transaction twice (the first run rolled back), and returns the answer,
// the committed registration and the log's OK records.
func (wh *writeHarness) applyRunTwice(app string) (response, registry.Registration, []accesslog.Record) {
	wh.tb.Helper()
	wh.store.rerun.Store(true)
	defer wh.store.rerun.Store(false)
	r := wh.apply(app)
	if r.faultCode() != "" {
		wh.tb.Fatalf("fault %s", r.faultCode())
	}
	reg, ok := wh.registration(app)
	if !ok {
		wh.tb.Fatal("not committed")
	}
	var sealed []accesslog.Record
	for _, rec := range wh.records() {
		if rec.Outcome == adapter.OutcomeOK {
			sealed = append(sealed, rec)
		}
	}
	return r, reg, sealed
}

func TestAWriteWhoseTransactionRunsTwiceNamesTheRecordOfTheRunThatCommitted(t *testing.T) {
	wh := newWriteHarness(t)
	r, reg, sealed := wh.applyRunTwice("AP-5")
	if len(sealed) != 2 || sealed[0].ID == sealed[1].ID {
		t.Fatalf("%d OK records (%v), want one per run with ids of their own", len(sealed), sealed)
	}
	if reg.Record != sealed[1].ID || sealed[1].ResponseSHA256 != sha256.Sum256(r.raw) {
		t.Errorf("the registration names %s; the committed run's record is %s, and it must hold the response sent", reg.Record, sealed[1].ID)
	}
	wh.checkContract("AP-5")
}

func TestARetriedWriteGetsTheSameAnswerAndChangesNothingTwice(t *testing.T) {
	wh := newWriteHarness(t)
	first := wh.apply("AP-3")
	reg, _ := wh.registration("AP-3")
	second := wh.apply("AP-3")
	if first.faultCode() != "" || second.faultCode() != "" {
		t.Fatalf("faults %q, %q", first.faultCode(), second.faultCode())
	}
	answer := func(r response) string { return r.doc.FindElement("//answer").Text() }
	if answer(first) != answer(second) {
		t.Errorf("the retry got %q, the first request %q", answer(second), answer(first))
	}
	again, _ := wh.registration("AP-3")
	if again != reg {
		t.Errorf("the retry changed the registration: %+v, was %+v", again, reg)
	}
	var residences int
	err := wh.store.View(context.Background(), func(tx registry.Tx) error {
		regs, err := tx.RegistrationsOf(demo.PINNoIDCard)
		for _, r := range regs {
			if r.Type == registry.Residence && r.Open() {
				residences++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if residences != 1 {
		t.Errorf("%d open residences after a retry, want 1", residences)
	}
	wh.checkContract("AP-3")
}

// importDemo loads the demo dataset into reg.
func importDemo(tb testing.TB, reg *registry.Registry) {
	tb.Helper()
	var buf strings.Builder
	if err := demo.Write(&buf, demo.Options{Persons: 300}); err != nil {
		tb.Fatal(err)
	}
	if _, err := reg.Import(context.Background(), strings.NewReader(buf.String())); err != nil {
		tb.Fatal(err)
	}
}
