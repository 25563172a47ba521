package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/darbaza/darbaza/registry"
)

// apostilleTests pin registry.ApostilleTx and run the apostille rules.
var apostilleTests = []registerTest{
	{"apostilles: an entry and an official read back with every field", testApostilleRoundTrip},
	{"apostilles: a number, an application and a body not stored are not found", testApostilleNotFound},
	{"apostilles: a replaced entry moves its application index entry", testApostilleReplaceMovesIndex},
	{"apostilles: LastApostilleSequence is the highest of the year, at once in its own transaction", testLastSequence},
	{"apostilles: OfficialsOf lists exactly one body's and follows a move", testOfficialsOf},
	{"apostilles: puts in View fail as read-only", testApostilleViewIsReadOnly},
	{"rules: entries are numbered in sequence; a repeat changes nothing; a reuse is refused", testEnterApostille},
	{"rules: a refusal writes nothing", testRefusalWritesNothing},
	{"rules: applications racing for numbers get distinct sequential ones", testApostilleRace},
}

var (
	judge = registry.Official{ID: "OFF-1", Name: "Жумабаева Айнура", Post: "судья", Body: "Ленин райондук соту", From: registry.NewDate(2019, 6, 1)}
	clerk = registry.Official{ID: "OFF-2", Name: "Токтогулов Нурлан", Post: "башчы", Body: "ЖАКТ бөлүмү",
		From: registry.NewDate(2018, 3, 1), Until: registry.NewDate(2024, 12, 31)}

	rules = registry.ApostilleRules{
		Hague:    registry.HagueList{AsOf: registry.NewDate(2026, 1, 1), Parties: []string{"DE", "KZ", "AT"}, Objectors: []string{"AT"}},
		Calendar: registry.Calendar{},
	}
)

// application is an application the rules accept with rules and judge.
func application(number string) registry.ApostilleApplication {
	return registry.ApostilleApplication{
		Number: number,
		Document: registry.ApostilleDocument{Title: "Соттун чечими", Details: "№ 2-45/26", Issued: registry.NewDate(2026, 11, 2),
			Kind: registry.DocOfficial, Issuer: registry.IssuerCourt},
		Signer:    registry.Signatory{Name: judge.Name, Post: judge.Post, Body: judge.Body},
		Country:   "KZ",
		Submitter: registry.Submitter{Name: "Асанов Азамат", IDDocument: "ID1000123"},
		Fee:       registry.FeePayment{Receipt: "№ 778812", Paid: registry.NewDate(2026, 11, 20)},
		PlacedBy:  "Сатыбалдиев Эмил",
	}
}

func entry(number string, date registry.Date, app string) registry.Apostille {
	return registry.Apostille{Number: number, Date: date, Due: date.AddDate(0, 0, 2), Application: application(app), Record: "rec-" + number}
}

func testApostilleRoundTrip(t *testing.T, s registry.Store) {
	a := entry("2026-000001", today, "AP-1")
	a.Application.SpecimensRequested = true
	a.Application.Document.NotarisedCopy = true
	a.Application.Findings = registry.Findings{Illegible: true, Pencil: true, Fax: true, UnofficialAdditions: true, BreachOfLaw: true, SpecimenMismatch: true}
	update(t, s, func(tx registry.Tx) error {
		if _, err := tx.PutOfficial(clerk); err != nil {
			return err
		}
		_, err := tx.PutApostille(a)
		return err
	})
	view(t, s, func(tx registry.Tx) error {
		if got, err := tx.Apostille(a.Number); err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("Apostille = %+v, %v\nwant %+v", got, err, a)
		}
		if got, err := tx.ApostilleOfApplication("AP-1"); err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("ApostilleOfApplication = %+v, %v", got, err)
		}
		if got, err := tx.OfficialsOf(clerk.Body); err != nil || len(got) != 1 || got[0] != clerk {
			t.Errorf("OfficialsOf = %+v, %v; want %+v", got, err, clerk)
		}
		return nil
	})
}

func testApostilleNotFound(t *testing.T, s registry.Store) {
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.Apostille("2026-000001"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Apostille: %v, want ErrNotFound", err)
		}
		if _, err := tx.ApostilleOfApplication("AP-1"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("ApostilleOfApplication: %v, want ErrNotFound", err)
		}
		if os, err := tx.OfficialsOf(judge.Body); err != nil || len(os) != 0 {
			t.Errorf("OfficialsOf = %v, %v", os, err)
		}
		if n, err := tx.LastApostilleSequence(2026); err != nil || n != 0 {
			t.Errorf("LastApostilleSequence = %d, %v; want 0", n, err)
		}
		return nil
	})
}

func testApostilleReplaceMovesIndex(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error { _, err := tx.PutApostille(entry("2026-000001", today, "AP-1")); return err })
	update(t, s, func(tx registry.Tx) error {
		replaced, err := tx.PutApostille(entry("2026-000001", today, "AP-2"))
		if err != nil || !replaced {
			t.Errorf("PutApostille over a stored one = %v, %v; want replaced", replaced, err)
		}
		return err
	})
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.ApostilleOfApplication("AP-1"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("the replaced entry's application still finds it: %v", err)
		}
		if got, err := tx.ApostilleOfApplication("AP-2"); err != nil || got.Number != "2026-000001" {
			t.Errorf("ApostilleOfApplication(AP-2) = %+v, %v", got, err)
		}
		return nil
	})
}

func testLastSequence(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error {
		for i, a := range []registry.Apostille{
			entry("2025-000007", registry.NewDate(2025, 12, 30), "AP-1"),
			entry("2026-000002", today, "AP-2"),
			entry("2026-000010", today, "AP-3"),
			entry("2027-000001", registry.NewDate(2027, 1, 4), "AP-4"),
		} {
			if _, err := tx.PutApostille(a); err != nil {
				return err
			}
			if i == 2 {
				if n, err := tx.LastApostilleSequence(2026); err != nil || n != 10 {
					t.Errorf("LastApostilleSequence(2026) in the writing transaction = %d, %v; want 10", n, err)
				}
			}
		}
		return nil
	})
	view(t, s, func(tx registry.Tx) error {
		for year, want := range map[int]int{2024: 0, 2025: 7, 2026: 10, 2027: 1, 2028: 0} {
			if n, err := tx.LastApostilleSequence(year); err != nil || n != want {
				t.Errorf("LastApostilleSequence(%d) = %d, %v; want %d", year, n, err, want)
			}
		}
		return nil
	})
}

func testOfficialsOf(t *testing.T, s registry.Store) {
	prefix := registry.Official{ID: "OFF-3", Name: "Осмонов Бакыт", Post: "судья", Body: judge.Body + " №2", From: registry.NewDate(2020, 1, 1)}
	update(t, s, func(tx registry.Tx) error {
		for _, o := range []registry.Official{judge, clerk, prefix} {
			if _, err := tx.PutOfficial(o); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx registry.Tx) error {
		if got, err := tx.OfficialsOf(judge.Body); err != nil || len(got) != 1 || got[0] != judge {
			t.Errorf("OfficialsOf(%q) = %+v, %v; want the judge alone", judge.Body, got, err)
		}
		return nil
	})
	moved := clerk
	moved.Body = judge.Body
	update(t, s, func(tx registry.Tx) error {
		replaced, err := tx.PutOfficial(moved)
		if err != nil || !replaced {
			t.Errorf("PutOfficial over a stored one = %v, %v", replaced, err)
		}
		return err
	})
	view(t, s, func(tx registry.Tx) error {
		got, err := tx.OfficialsOf(judge.Body)
		ids := []string{}
		for _, o := range got {
			ids = append(ids, o.ID)
		}
		slices.Sort(ids)
		if err != nil || !slices.Equal(ids, []string{"OFF-1", "OFF-2"}) {
			t.Errorf("OfficialsOf after a move = %v, %v", ids, err)
		}
		if got, err := tx.OfficialsOf(clerk.Body); err != nil || len(got) != 0 {
			t.Errorf("the old body still lists the official: %+v, %v", got, err)
		}
		return nil
	})
}

func testApostilleViewIsReadOnly(t *testing.T, s registry.Store) {
	err := s.View(context.Background(), func(tx registry.Tx) error {
		if _, err := tx.PutApostille(entry("2026-000001", today, "AP-1")); !errors.Is(err, registry.ErrReadOnly) {
			t.Errorf("PutApostille in View: %v, want ErrReadOnly", err)
		}
		if _, err := tx.PutOfficial(judge); !errors.Is(err, registry.ErrReadOnly) {
			t.Errorf("PutOfficial in View: %v, want ErrReadOnly", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	testApostilleNotFound(t, s)
}

// enter runs registry.EnterApostille in its own Update.
func enter(t *testing.T, s registry.Store, a registry.ApostilleApplication, record string) (registry.ApostilleDecision, error) {
	t.Helper()
	var d registry.ApostilleDecision
	err := s.Update(context.Background(), func(tx registry.Tx) error {
		var err error
		d, err = registry.EnterApostille(tx, a, today, record, rules)
		return err
	})
	return d, err
}

func testEnterApostille(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error { _, err := tx.PutOfficial(judge); return err })
	var first registry.Apostille
	for i, app := range []string{"AP-1", "AP-2", "AP-3"} {
		d, err := enter(t, s, application(app), "rec-"+app)
		want := registry.FormatApostilleNumber(2026, i+1)
		if err != nil || d.Refused() || d.Repeated || d.Entry.Number != want || d.Entry.Date != today || d.Entry.Record != "rec-"+app {
			t.Fatalf("EnterApostille(%s) = %+v, %v; want entry %s", app, d, err, want)
		}
		if i == 0 {
			first = d.Entry
		}
	}
	d, err := enter(t, s, application("AP-1"), "rec-retry")
	if err != nil || !d.Repeated || !reflect.DeepEqual(d.Entry, first) {
		t.Errorf("a repeated application = %+v, %v; want the first entry again, unchanged", d, err)
	}
	other := application("AP-1")
	other.Country = "DE"
	if _, err := enter(t, s, other, "rec-x"); !errors.Is(err, registry.ErrApplicationReused) {
		t.Errorf("a reused application number: %v, want ErrApplicationReused", err)
	}
	view(t, s, func(tx registry.Tx) error {
		if n, err := tx.LastApostilleSequence(2026); err != nil || n != 3 {
			t.Errorf("LastApostilleSequence = %d, %v; a repeat or a reuse made an entry", n, err)
		}
		return nil
	})
}

func testRefusalWritesNothing(t *testing.T, s registry.Store) {
	app := application("AP-1") // the judge is not in the register of officials
	app.Country = "AT"
	d, err := enter(t, s, app, "rec-1")
	if err != nil || !slices.Equal(d.Grounds, []registry.Ground{registry.GroundObjectingState, registry.GroundSignerNotAuthorised}) {
		t.Fatalf("EnterApostille = %+v, %v; want refused as objecting state and signer not authorised", d, err)
	}
	testApostilleNotFound(t, s)
}

func testApostilleRace(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error { _, err := tx.PutOfficial(judge); return err })
	const n = 8
	numbers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d registry.ApostilleDecision
			err := s.Update(context.Background(), func(tx registry.Tx) error {
				var err error
				d, err = registry.EnterApostille(tx, application(registry.FormatApostilleNumber(1, i)[5:]+"-AP"), today, "", rules)
				return err
			})
			if err != nil {
				t.Error(err)
			}
			numbers[i] = d.Entry.Number
		}()
	}
	wg.Wait()
	slices.Sort(numbers)
	for i, got := range numbers {
		if want := registry.FormatApostilleNumber(2026, i+1); got != want {
			t.Fatalf("numbers = %v; want 2026-000001 to 2026-%06d, each once", numbers, n)
		}
	}
}
