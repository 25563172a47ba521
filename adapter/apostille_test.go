package adapter_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/demo"
)

// registerApostille follows the write contract (adapter.Seal): these tests
// drive it through the pipeline over the real rules and a bbolt store, and
// inject a failure at each step, as write_test.go does for the contract's
// own test service.

type apostilleHarness struct{ *faultHarness }

func newApostilleHarness(t *testing.T) *apostilleHarness {
	t.Helper()
	clock := func() time.Time { return testNow }
	return &apostilleHarness{newFaultHarness(t, registry.Options{Now: clock}, func(fh *faultHarness, o *adapter.Options) {
		o.Catalog = adapter.NewCatalog(adapter.RegistryServices(fh.reg, nil, clock)...)
		o.Members = adapter.NewMembers(map[string][]string{apostOff: {"registerApostille"}})
	})}
}

// sendSample sends testdata/requests/name.xml with a fresh xrd:id.
func (ah *apostilleHarness) sendSample(name string) response {
	ah.tb.Helper()
	raw := string(readSample(ah.tb, "../testdata/requests/"+name+".xml"))
	start, end := strings.Index(raw, "<xrd:id>")+len("<xrd:id>"), strings.Index(raw, "</xrd:id>")
	raw = raw[:start] + fmt.Sprintf("apostille-%d", requestIDs.Add(1)) + raw[end:]
	return ah.send(ah.sign([]byte(raw), apostOff))
}

// entryOf returns the entry of application app, if committed.
func (ah *apostilleHarness) entryOf(app string) (registry.Apostille, bool) {
	ah.tb.Helper()
	var a registry.Apostille
	err := ah.store.View(context.Background(), func(tx registry.Tx) (err error) {
		a, err = tx.ApostilleOfApplication(app)
		return err
	})
	if errors.Is(err, registry.ErrNotFound) {
		return a, false
	}
	if err != nil {
		ah.tb.Fatal(err)
	}
	return a, true
}

// checkEntry asserts the contract for app: its entry names a durable OK
// record of registerApostille.
func (ah *apostilleHarness) checkEntry(app string) {
	ah.tb.Helper()
	a, ok := ah.entryOf(app)
	if !ok {
		ah.tb.Fatalf("application %s has no entry", app)
	}
	for _, rec := range ah.records() {
		if rec.ID == a.Record {
			if rec.Service != "registerApostille" || rec.Outcome != adapter.OutcomeOK {
				ah.tb.Errorf("entry %s names record %+v", a.Number, rec)
			}
			return
		}
	}
	ah.tb.Errorf("entry %s names record %q, which is not in the log", a.Number, a.Record)
}

func TestAnApostilleIsEnteredWithTheRecordThatNamesIt(t *testing.T) {
	ah := newApostilleHarness(t)
	r := ah.sendSample("registerApostille-registered")
	if r.faultCode() != "" || r.doc.FindElement("//result/code").Text() != adapter.OutcomeOK {
		t.Fatalf("fault %q:\n%s", r.faultCode(), r.raw)
	}
	ah.verify(r)
	a, _ := ah.entryOf("AP-2026-0101")
	recs := ah.records()
	last := recs[len(recs)-1]
	if last.ID != a.Record || last.ResponseSHA256 != sha256.Sum256(r.raw) {
		t.Errorf("the entry names record %s; the last record is %s, and it must hold the response sent", a.Record, last.ID)
	}
	if got := r.doc.FindElement("//apostille/number").Text(); got != a.Number || a.Number != "2026-000003" {
		t.Errorf("answered number %s, entered %s; want 2026-000003 after the demo's two", got, a.Number)
	}
	ah.checkEntry("AP-2026-0101")
}

func TestAnApostilleThatFailsAtAStepLeavesNoEntryAndTheRetryEntersItOnce(t *testing.T) {
	for _, tc := range sealFaults {
		t.Run(tc.step, func(t *testing.T) {
			ah := newApostilleHarness(t)
			tc.inject(ah.faultHarness, true)
			r := ah.sendSample("registerApostille-registered")
			tc.inject(ah.faultHarness, false)
			if r.faultCode() != tc.fault {
				t.Fatalf("fault %q, want %s:\n%s", r.faultCode(), tc.fault, r.raw)
			}
			if _, ok := ah.entryOf("AP-2026-0101"); ok {
				t.Fatal("a failed write left its entry committed")
			}
			r = ah.sendSample("registerApostille-registered")
			if r.faultCode() != "" {
				t.Fatalf("retry: fault %s", r.faultCode())
			}
			if got := r.doc.FindElement("//apostille/number").Text(); got != "2026-000003" {
				t.Errorf("the retry got number %s; a failed run must not use up a number", got)
			}
			ah.checkEntry("AP-2026-0101")
		})
	}
}

func TestAnApostilleWhoseTransactionRunsTwiceNamesTheRecordOfTheRunThatCommitted(t *testing.T) {
	ah := newApostilleHarness(t)
	ah.store.rerun.Store(true)
	r := ah.sendSample("registerApostille-registered")
	if r.faultCode() != "" {
		t.Fatalf("fault %s", r.faultCode())
	}
	a, _ := ah.entryOf("AP-2026-0101")
	var sealed []accesslog.Record
	for _, rec := range ah.records() {
		if rec.Outcome == adapter.OutcomeOK {
			sealed = append(sealed, rec)
		}
	}
	if len(sealed) != 2 || a.Record != sealed[1].ID || sealed[1].ResponseSHA256 != sha256.Sum256(r.raw) {
		t.Fatalf("entry names %s; OK records %v", a.Record, sealed)
	}
	ah.checkEntry("AP-2026-0101")
}

func TestARepeatedApostilleApplicationGetsTheSameAnswerAndOneEntry(t *testing.T) {
	ah := newApostilleHarness(t)
	first := ah.sendSample("registerApostille-registered")
	entry, _ := ah.entryOf("AP-2026-0101")
	second := ah.sendSample("registerApostille-registered")
	body := func(r response) []byte {
		el := r.doc.FindElement("//registerApostilleResponse")
		if el == nil {
			t.Fatalf("no answer:\n%s", r.raw)
		}
		doc := etree.NewDocument()
		doc.SetRoot(el.Copy())
		out, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if !bytes.Equal(body(first), body(second)) {
		t.Errorf("the retry got\n%s\nthe first request\n%s", body(second), body(first))
	}
	again, _ := ah.entryOf("AP-2026-0101")
	if again.Record != entry.Record || again.Number != entry.Number {
		t.Errorf("the retry changed the entry: %+v, was %+v", again, entry)
	}
	var last int
	err := ah.store.View(context.Background(), func(tx registry.Tx) (err error) {
		last, err = tx.LastApostilleSequence(2026)
		return err
	})
	if err != nil || last != 3 {
		t.Errorf("LastApostilleSequence = %d, %v; want 3: the retry made an entry", last, err)
	}
}

func TestARefusedOrReusedApostilleChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		sample, app, outcome string
		grounds              int
	}{
		{"registerApostille-refused", "AP-2026-0103", adapter.OutcomeApostilleRefused, 6},
		{"registerApostille-signer-not-authorised", "AP-2026-0104", adapter.OutcomeApostilleRefused, 1},
		{"registerApostille-soviet-original-not-party", "AP-2026-0105", adapter.OutcomeApostilleRefused, 3},
		{"registerApostille-reused", demo.ApplicationIssued, adapter.OutcomeApplicationReused, 0},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			ah := newApostilleHarness(t)
			before, _ := ah.entryOf(tc.app)
			r := ah.sendSample(tc.sample)
			if got := r.doc.FindElement("//result/code"); got == nil || got.Text() != tc.outcome {
				t.Fatalf("answer:\n%s", r.raw)
			}
			if n := len(r.doc.FindElements("//result/ground")); n != tc.grounds {
				t.Errorf("%d grounds, want %d", n, tc.grounds)
			}
			after, _ := ah.entryOf(tc.app)
			if after.Number != before.Number || after.Record != before.Record || after.Application.Document.Title != before.Application.Document.Title {
				t.Errorf("the refusal changed the register: %+v, was %+v", after, before)
			}
			var last int
			if err := ah.store.View(context.Background(), func(tx registry.Tx) (err error) {
				last, err = tx.LastApostilleSequence(2026)
				return err
			}); err != nil || last != 2 {
				t.Errorf("LastApostilleSequence = %d, %v; want the demo's 2", last, err)
			}
			recs := ah.records()
			if rec := recs[len(recs)-1]; rec.Outcome != tc.outcome {
				t.Errorf("the access record says %s, want %s", rec.Outcome, tc.outcome)
			}
		})
	}
}
