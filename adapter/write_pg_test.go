package adapter_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/adapter/accesslog/pglog"
	"github.com/darbaza/darbaza/internal/pgtest"
	"github.com/darbaza/darbaza/internal/postgres"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/demo"
	"github.com/darbaza/darbaza/registry/pgstore"
	"github.com/darbaza/darbaza/signing"
)

// The write contract across nodes (docs/postgres.md): adapter nodes, each
// with its own pools, registry store and access log, share one PostgreSQL
// database and take the same application at once. The application number
// stays idempotent: one registration, the same answer to every request,
// and the registration names a durable record of the one chain all nodes
// write.

// newPGWriteNode is a node serving registerResidence on the database of
// opts, wired as serve wires it: a write's record joins its registry
// transaction. keys are the members' keys, shared by all nodes.
func newPGWriteNode(t *testing.T, opts postgres.Options, keys map[string]keyPair) *writeHarness {
	t.Helper()
	store := pgstore.New(pgtest.Open(t, opts)).JoinLog()
	logs := pglog.New(pgtest.Open(t, opts))
	wh := &writeHarness{&faultHarness{store: &faultyStore{Store: store}}}
	var log *accesslog.Log
	wh.harness = newHarnessFrom(t, keys, func(o *adapter.Options) {
		s := o.Signer.(*signing.Signer)
		var err error
		log, err = accesslog.Open(accesslog.Options{
			Backend: pglog.New(pgtest.Open(t, opts)), Signer: s.Key, Certificate: s.Certificate,
			SubjectKey: bytes.Repeat([]byte{7}, 32), Now: func() time.Time { return testNow },
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { log.Close() })
		wh.log = &faultyLog{AccessLog: log}
		wh.signer = &faultySigner{Signer: o.Signer}
		o.Log, o.Signer = wh.log, wh.signer
		o.Catalog = adapter.NewCatalog(registerResidence(wh.store, registry.DateOf(testNow)))
		o.Members = adapter.NewMembers(map[string][]string{portal: {"registerResidence"}})
		o.NewID = nil // random record ids, unique across nodes
		o.JoinLog = func(tx registry.Tx) logstore.Committer {
			if q := pgstore.Tx(tx); q != nil {
				return logs.In(q)
			}
			return nil
		}
	})
	wh.harness.log = log
	return wh
}

func TestTwoNodesOnOneDatabaseKeepTheWriteRules(t *testing.T) {
	opts := pgtest.Schema(t, true)
	store := pgstore.New(pgtest.Open(t, opts))
	importDemo(t, registry.New(store, registry.Options{Now: func() time.Time { return testNow }}))
	keys := map[string]keyPair{portal: newKeyPair(t, portal), sanarip: newKeyPair(t, sanarip), stranger: newKeyPair(t, stranger)}
	nodes := []*writeHarness{newPGWriteNode(t, opts, keys), newPGWriteNode(t, opts, keys)}

	const each = 4
	var wg sync.WaitGroup
	answers := make(chan response, len(nodes)*each)
	for n, node := range nodes {
		for i := range each {
			node.ids.Store(int64(1000*(n+1) + 10*i)) // xrd:ids unique across nodes
			wg.Go(func() { answers <- node.apply("AP-RACE") })
		}
	}
	wg.Wait()
	close(answers)
	var first string
	for r := range answers {
		if r.faultCode() != "" {
			t.Fatalf("fault %s:\n%s", r.faultCode(), r.raw)
		}
		a := r.doc.FindElement("//answer").Text()
		if first == "" {
			first = a
		}
		if a != first {
			t.Errorf("answers differ: %q and %q", a, first)
		}
	}
	openResidences := func() (open []string) {
		t.Helper()
		if err := store.View(context.Background(), func(tx registry.Tx) error {
			regs, err := tx.RegistrationsOf(demo.PINNoIDCard)
			for _, r := range regs {
				if r.Type == registry.Residence && r.Open() {
					open = append(open, r.ID)
				}
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return open
	}
	if open := openResidences(); len(open) != 1 {
		t.Errorf("open residences %v after %d concurrent requests on two nodes, want AP-RACE only", open, len(nodes)*each)
	}
	for _, node := range nodes {
		node.checkContract("AP-RACE")
	}

	// Two other applications for the same person, one on each node, at
	// once: each new residence ends the one before, so one stays open.
	var apps []string
	for n, node := range nodes {
		app := fmt.Sprintf("AP-NODE-%d", n+1)
		apps = append(apps, app)
		wg.Go(func() {
			if r := node.apply(app); r.faultCode() != "" {
				t.Errorf("%s: fault %s", app, r.faultCode())
			}
		})
	}
	wg.Wait()
	if open := openResidences(); len(open) != 1 || !slices.Contains(apps, open[0]) {
		t.Errorf("open residences %v after two nodes registered %v at once, want one of them", open, apps)
	}
	for _, node := range nodes {
		node.checkContract(append(apps, "AP-RACE")...)
	}
	rep, err := nodes[0].harness.log.Verify(context.Background(), accesslog.VerifyOptions{})
	if err != nil || rep.Records < len(nodes)*each {
		t.Errorf("Verify = %+v, %v; want every record of both nodes in one chain", rep, err)
	}
}

// newPGWriteCluster is n joined write nodes on a fresh schema holding the
// demo dataset.
func newPGWriteCluster(t *testing.T, n int) []*writeHarness {
	t.Helper()
	opts := pgtest.Schema(t, true)
	importDemo(t, registry.New(pgstore.New(pgtest.Open(t, opts)), registry.Options{Now: func() time.Time { return testNow }}))
	keys := map[string]keyPair{portal: newKeyPair(t, portal)}
	nodes := make([]*writeHarness, n)
	for i := range nodes {
		nodes[i] = newPGWriteNode(t, opts, keys)
		nodes[i].ids.Store(int64(100000 * (i + 1))) // xrd:ids unique across nodes
	}
	return nodes
}

// Where the registry and the log share the database, a write and its
// record commit in one transaction: a commit that is lost after sealing
// takes the record with it, so unlike in two stores (the bbolt table
// above) no record of an answer never sent is left.
func TestOnOneDatabaseAWriteAndItsRecordCommitTogether(t *testing.T) {
	for _, tc := range sealFaults {
		t.Run(tc.step, func(t *testing.T) {
			wh := newPGWriteCluster(t, 1)[0]
			tc.inject(wh.faultHarness, true)
			r := wh.apply("AP-PG-7")
			tc.inject(wh.faultHarness, false)
			if r.faultCode() != tc.fault {
				t.Fatalf("fault %q, want %s:\n%s", r.faultCode(), tc.fault, r.raw)
			}
			if _, ok := wh.registration("AP-PG-7"); ok {
				t.Fatal("a failed write left its change committed")
			}
			for _, rec := range wh.records() {
				if rec.Outcome == adapter.OutcomeOK {
					t.Errorf("record %s of an answer never sent outlived its rolled-back transaction", rec.ID)
				}
			}
			r = wh.apply("AP-PG-7")
			if r.faultCode() != "" {
				t.Fatalf("retry: fault %s", r.faultCode())
			}
			wh.verify(r)
			wh.checkContract("AP-PG-7")
		})
	}

	t.Run("a transaction run twice leaves the record of the run that committed", func(t *testing.T) {
		r, reg, sealed := newPGWriteCluster(t, 1)[0].applyRunTwice("AP-PG-5")
		if len(sealed) != 1 || sealed[0].ID != reg.Record || sealed[0].ResponseSHA256 != sha256.Sum256(r.raw) {
			t.Fatalf("OK records %v; want exactly the committed run's, %s, holding the response sent", sealed, reg.Record)
		}
	})
}

// Joined writes on one node while other nodes' group commits append all
// the time: every write's record lands in the one chain, which verifies,
// and no write or commit fails for the lock they share.
func TestJoinedWritesAndGroupCommitsOfOtherNodesMakeOneChain(t *testing.T) {
	nodes := newPGWriteCluster(t, 2)
	writer, reader := nodes[0], nodes[1]
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var appended, failed atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := reader.harness.log.Append(ctx, accesslog.Entry{
					ID: fmt.Sprintf("read-%d", appended.Add(1)), Time: testNow, Client: sanarip,
					Service: "getPerson", Outcome: adapter.OutcomeOK, Latency: time.Millisecond,
				})
				if err != nil {
					failed.Add(1)
					t.Errorf("a group commit beside joined writes: %v", err)
					return
				}
			}
		})
	}
	var apps []string
	for i := range 12 {
		app := fmt.Sprintf("AP-MIX-%d", i)
		apps = append(apps, app)
		if r := writer.apply(app); r.faultCode() != "" {
			t.Errorf("%s: fault %s:\n%s", app, r.faultCode(), r.raw)
		}
	}
	close(stop)
	wg.Wait()
	writer.checkContract(apps...)
	if _, err := reader.harness.log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	// Each test node has an adapter key of its own; either may have
	// signed a checkpoint.
	certs := []*x509.Certificate{writer.harness.adapter.Cert, reader.harness.adapter.Cert}
	rep, err := reader.harness.log.Verify(ctx, accesslog.VerifyOptions{Certificates: certs})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := int64(len(apps)) + appended.Load() - failed.Load(); int64(rep.Records) < want {
		t.Errorf("Verify saw %d records, want at least %d (%d writes, %d appends)", rep.Records, want, len(apps), appended.Load())
	}
}
