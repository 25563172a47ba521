package adapter_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
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
// opts; keys are the members' keys, shared by all nodes.
func newPGWriteNode(t *testing.T, opts postgres.Options, keys map[string]keyPair) *writeHarness {
	t.Helper()
	store := pgstore.New(pgtest.Open(t, opts))
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
