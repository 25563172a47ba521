// Package storetest is the conformance suite of [registry.Store]: every
// storage implementation calls [Run] from its tests, so that the rules in
// package registry behave the same on each.
//
// The suite pins the contract (round trips, not-found errors, the two
// indexes, read-only views, atomic and serializable updates, cancelled
// contexts) and then runs the rules through it: an import, the views, a
// new residence ending the old one, and registrations racing for the last
// place in a dwelling. The taxpayer and apostille registers have cases of
// their own (taxpayer.go, apostille.go) in the same shape.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// Now is the clock the suite runs the rules on: 2026-11-22 10:00 UTC.
var Now = time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)

var today = registry.DateOf(Now)

// Run runs the suite. newStore must return a new, empty store each time it
// is called, and close it when t ends (t.Cleanup). Subtests that need a
// second store or goroutines say so; none needs more than one store.
func Run(t *testing.T, newStore func(t *testing.T) registry.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s registry.Store)
	}{
		{"a stored record reads back with every field", testRoundTrip},
		{"a key not stored is not found", testNotFound},
		{"a put replaces the record under its key and says so", testReplace},
		{"the indexes list exactly a person's and a dwelling's registrations", testIndexes},
		{"a replaced registration moves between index entries", testIndexFollowsReplace},
		{"a put is visible in its own transaction at once", testReadYourWrites},
		{"Stats counts each kind", testStats},
		{"a put in View fails as read-only", testViewIsReadOnly},
		{"an Update whose function fails commits nothing", testUpdateRollsBack},
		{"an Update whose function panics commits nothing", testUpdatePanics},
		{"a View sees committed data only", testViewSeesCommittedOnly},
		{"concurrent Updates do not lose each other's writes", testUpdatesSerialise},
		{"a done context runs no transaction", testCancelledContext},
		{"values read are the caller's copies", testCopies},
		{"rules: an import is read back through the views", testImportAndViews},
		{"rules: a rejected batch leaves the store as it was", testRejectedBatch},
		{"rules: a new residence ends the stored one", testNewResidence},
		{"rules: two registrations racing for the last place cannot both pass", testLastPlace},
	}
	tests = append(tests, applicationTests...) // application.go
	tests = append(tests, taxpayerTests...)    // taxpayer.go
	tests = append(tests, apostilleTests...)   // apostille.go
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// Fixtures: a family of three and two dwellings whose IDs share a prefix.
var (
	owner = mustPerson(registry.SexMale, registry.NewDate(1985, 5, 15), 123, "Асанов", "Азамат")
	wife  = mustPerson(registry.SexFemale, registry.NewDate(1987, 2, 3), 456, "Асанова", "Айгүл")
	child = mustPerson(registry.SexMale, registry.NewDate(2016, 6, 21), 19, "Азамат уулу", "Бекзат")

	house = registry.Dwelling{
		ID: "DW-1", Type: registry.DwellingHouse,
		Address: registry.Address{Region: registry.RegionTalas, Settlement: "Талас шаары", Street: "Ленин көчөсү", House: "1"},
		Owners:  []registry.Owner{{PIN: owner.PIN, Title: registry.TitleOwner}},
	}
	flat = registry.Dwelling{
		ID: "DW-10", Type: registry.DwellingApartment,
		Address: registry.Address{Region: registry.RegionBishkek, Settlement: "Бишкек шаары", Street: "Чүй проспекти", House: "100", Apartment: "5"},
		Owners:  []registry.Owner{{PIN: owner.PIN, Title: registry.TitleOwner}, {PIN: wife.PIN, Title: registry.TitleUser}},
	}
)

func mustPerson(sex registry.Sex, birth registry.Date, seq int, surname, given string) registry.Person {
	pin, err := registry.FormatPIN(sex, birth, seq)
	if err != nil {
		panic(err)
	}
	return registry.Person{PIN: pin, Surname: surname, GivenName: given, BirthDate: birth, Sex: sex, Citizenship: registry.CitizenshipCitizen}
}

func residence(id, pin, dwelling string, since registry.Date) registry.Registration {
	return registry.Registration{ID: id, PIN: pin, DwellingID: dwelling, Type: registry.Residence, Since: since}
}

// update runs fn in an Update and fails the test on an error.
func update(t *testing.T, s registry.Store, fn func(tx registry.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a View and fails the test on an error.
func view(t *testing.T, s registry.Store, fn func(tx registry.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// putAll stores persons, dwellings and registrations.
func putAll(tx registry.Tx, ps []registry.Person, ds []registry.Dwelling, rs []registry.Registration) error {
	for _, p := range ps {
		if _, err := tx.PutPerson(p); err != nil {
			return err
		}
	}
	for _, d := range ds {
		if _, err := tx.PutDwelling(d); err != nil {
			return err
		}
	}
	for _, r := range rs {
		if _, err := tx.PutRegistration(r); err != nil {
			return err
		}
	}
	return nil
}

func ids(rs []registry.Registration) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

func testRoundTrip(t *testing.T, s registry.Store) {
	p := owner
	p.Patronymic = "Бакытович"
	p.ConsularRegister = true
	p.IDCard = registry.IDCard{Model: registry.IDCard2017, Number: "ID1234567", Issued: registry.NewDate(2018, 3, 1), Expires: registry.NewDate(2028, 3, 1)}
	p.Parents = []string{wife.PIN}
	stay := registry.Registration{
		ID: "RG-2", PIN: p.PIN, DwellingID: flat.ID, Type: registry.Stay,
		Since: registry.NewDate(2026, 1, 1), Until: registry.NewDate(2026, 12, 31),
		Ended: registry.NewDate(2026, 6, 1), EndReason: registry.EndDeregistered,
	}
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, []registry.Person{p}, []registry.Dwelling{flat}, []registry.Registration{stay})
	})
	view(t, s, func(tx registry.Tx) error {
		gotP, err := tx.Person(p.PIN)
		if err != nil || !reflect.DeepEqual(gotP, p) {
			t.Errorf("Person = %+v, %v\nwant %+v", gotP, err, p)
		}
		gotD, err := tx.Dwelling(flat.ID)
		if err != nil || !reflect.DeepEqual(gotD, flat) {
			t.Errorf("Dwelling = %+v, %v\nwant %+v", gotD, err, flat)
		}
		gotR, err := tx.Registration(stay.ID)
		if err != nil || gotR != stay {
			t.Errorf("Registration = %+v, %v\nwant %+v", gotR, err, stay)
		}
		return nil
	})
}

func testNotFound(t *testing.T, s registry.Store) {
	check := func(tx registry.Tx) error {
		if _, err := tx.Person(owner.PIN); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Person error = %v, want ErrNotFound", err)
		}
		if _, err := tx.Dwelling(house.ID); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Dwelling error = %v, want ErrNotFound", err)
		}
		if _, err := tx.Registration("RG-1"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Registration error = %v, want ErrNotFound", err)
		}
		if rs, err := tx.RegistrationsOf(owner.PIN); err != nil || len(rs) != 0 {
			t.Errorf("RegistrationsOf = %v, %v; want none, no error", rs, err)
		}
		if rs, err := tx.RegistrationsAt(house.ID); err != nil || len(rs) != 0 {
			t.Errorf("RegistrationsAt = %v, %v; want none, no error", rs, err)
		}
		return nil
	}
	view(t, s, check)
	update(t, s, check)
}

func testReplace(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error {
		for i, want := range []bool{false, true} {
			p := owner
			p.GivenName = []string{"Азамат", "Бакыт"}[i]
			d := house
			d.Address.House = fmt.Sprint(i + 1)
			r := residence("RG-1", owner.PIN, house.ID, registry.NewDate(2020, 1, 1+i))
			if got, err := tx.PutPerson(p); err != nil || got != want {
				t.Errorf("put %d: PutPerson replaced = %v, %v; want %v", i, got, err, want)
			}
			if got, err := tx.PutDwelling(d); err != nil || got != want {
				t.Errorf("put %d: PutDwelling replaced = %v, %v; want %v", i, got, err, want)
			}
			if got, err := tx.PutRegistration(r); err != nil || got != want {
				t.Errorf("put %d: PutRegistration replaced = %v, %v; want %v", i, got, err, want)
			}
		}
		return nil
	})
	view(t, s, func(tx registry.Tx) error {
		p, _ := tx.Person(owner.PIN)
		d, _ := tx.Dwelling(house.ID)
		r, _ := tx.Registration("RG-1")
		if p.GivenName != "Бакыт" || d.Address.House != "2" || r.Since != registry.NewDate(2020, 1, 2) {
			t.Errorf("after replacing: %+v, %+v, %+v; want the second values", p, d, r)
		}
		if rs, _ := tx.RegistrationsOf(owner.PIN); len(rs) != 1 {
			t.Errorf("RegistrationsOf = %v, want the one registration once", ids(rs))
		}
		if st, err := tx.Stats(); err != nil || st != (registry.Stats{Persons: 1, Dwellings: 1, Registrations: 1}) {
			t.Errorf("Stats = %+v, %v; want one of each", st, err)
		}
		return nil
	})
}

func testIndexes(t *testing.T, s registry.Store) {
	regs := []registry.Registration{
		residence("RG-1", owner.PIN, house.ID, registry.NewDate(2010, 1, 1)),
		residence("RG-2", wife.PIN, house.ID, registry.NewDate(2011, 1, 1)),
		residence("RG-3", owner.PIN, flat.ID, registry.NewDate(2012, 1, 1)),
		residence("RG-4", child.PIN, flat.ID, registry.NewDate(2016, 7, 1)),
		{ID: "RG-5", PIN: child.PIN, DwellingID: house.ID, Type: registry.Stay, Since: registry.NewDate(2026, 6, 1), Until: registry.NewDate(2026, 8, 31)},
	}
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, []registry.Person{owner, wife, child}, []registry.Dwelling{house, flat}, regs)
	})
	view(t, s, func(tx registry.Tx) error {
		for _, tt := range []struct {
			name string
			get  func() ([]registry.Registration, error)
			want []string
		}{
			{"of the owner", func() ([]registry.Registration, error) { return tx.RegistrationsOf(owner.PIN) }, []string{"RG-1", "RG-3"}},
			{"of the child", func() ([]registry.Registration, error) { return tx.RegistrationsOf(child.PIN) }, []string{"RG-4", "RG-5"}},
			{"of a PIN's prefix", func() ([]registry.Registration, error) { return tx.RegistrationsOf(owner.PIN[:13]) }, []string{}},
			{"at DW-1, not DW-10", func() ([]registry.Registration, error) { return tx.RegistrationsAt(house.ID) }, []string{"RG-1", "RG-2", "RG-5"}},
			{"at DW-10", func() ([]registry.Registration, error) { return tx.RegistrationsAt(flat.ID) }, []string{"RG-3", "RG-4"}},
			{"at DW-", func() ([]registry.Registration, error) { return tx.RegistrationsAt("DW-") }, []string{}},
		} {
			rs, err := tt.get()
			if got := ids(rs); err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("registrations %s = %v, %v; want %v", tt.name, got, err, tt.want)
			}
			for _, r := range rs {
				if i := slices.IndexFunc(regs, func(w registry.Registration) bool { return w.ID == r.ID }); i < 0 || regs[i] != r {
					t.Errorf("registrations %s: %+v is not the stored record", tt.name, r)
				}
			}
		}
		return nil
	})
}

func testIndexFollowsReplace(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, []registry.Person{owner, wife}, []registry.Dwelling{house, flat},
			[]registry.Registration{residence("RG-1", owner.PIN, house.ID, registry.NewDate(2010, 1, 1))})
	})
	update(t, s, func(tx registry.Tx) error {
		_, err := tx.PutRegistration(residence("RG-1", wife.PIN, flat.ID, registry.NewDate(2010, 1, 1)))
		return err
	})
	view(t, s, func(tx registry.Tx) error {
		of := func(pin string) []string {
			rs, err := tx.RegistrationsOf(pin)
			if err != nil {
				t.Errorf("RegistrationsOf(%s): %v", pin, err)
			}
			return ids(rs)
		}
		at := func(id string) []string {
			rs, err := tx.RegistrationsAt(id)
			if err != nil {
				t.Errorf("RegistrationsAt(%s): %v", id, err)
			}
			return ids(rs)
		}
		if len(of(owner.PIN)) != 0 || len(at(house.ID)) != 0 {
			t.Errorf("old entries remain: of owner %v, at DW-1 %v", of(owner.PIN), at(house.ID))
		}
		if !slices.Equal(of(wife.PIN), []string{"RG-1"}) || !slices.Equal(at(flat.ID), []string{"RG-1"}) {
			t.Errorf("new entries missing: of wife %v, at DW-10 %v", of(wife.PIN), at(flat.ID))
		}
		return nil
	})
}

func testReadYourWrites(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error {
		if err := putAll(tx, []registry.Person{owner}, []registry.Dwelling{house},
			[]registry.Registration{residence("RG-1", owner.PIN, house.ID, registry.NewDate(2010, 1, 1))}); err != nil {
			return err
		}
		if _, err := tx.Person(owner.PIN); err != nil {
			t.Errorf("Person after PutPerson: %v", err)
		}
		if _, err := tx.Dwelling(house.ID); err != nil {
			t.Errorf("Dwelling after PutDwelling: %v", err)
		}
		of, err1 := tx.RegistrationsOf(owner.PIN)
		at, err2 := tx.RegistrationsAt(house.ID)
		if len(of) != 1 || len(at) != 1 || err1 != nil || err2 != nil {
			t.Errorf("indexes after PutRegistration: of %v (%v), at %v (%v)", ids(of), err1, ids(at), err2)
		}
		if st, err := tx.Stats(); err != nil || st != (registry.Stats{Persons: 1, Dwellings: 1, Registrations: 1}) {
			t.Errorf("Stats = %+v, %v", st, err)
		}
		return nil
	})
	// Moving a registration twice in one transaction leaves it in the
	// indexes once, under its last person and dwelling, also after commit.
	moved := residence("RG-2", wife.PIN, flat.ID, registry.NewDate(2011, 1, 1))
	check := func(when string, tx registry.Tx) {
		for _, c := range []struct {
			name string
			get  func() ([]registry.Registration, error)
			want []string
		}{
			{"of the owner", func() ([]registry.Registration, error) { return tx.RegistrationsOf(owner.PIN) }, []string{"RG-1"}},
			{"of the wife", func() ([]registry.Registration, error) { return tx.RegistrationsOf(wife.PIN) }, []string{"RG-2"}},
			{"at DW-1", func() ([]registry.Registration, error) { return tx.RegistrationsAt(house.ID) }, []string{"RG-1"}},
			{"at DW-10", func() ([]registry.Registration, error) { return tx.RegistrationsAt(flat.ID) }, []string{"RG-2"}},
		} {
			rs, err := c.get()
			if got := ids(rs); err != nil || !slices.Equal(got, c.want) {
				t.Errorf("%s: registrations %s = %v, %v; want %v", when, c.name, got, err, c.want)
			}
		}
	}
	update(t, s, func(tx registry.Tx) error {
		if err := putAll(tx, []registry.Person{wife}, []registry.Dwelling{flat}, []registry.Registration{
			residence("RG-2", owner.PIN, house.ID, registry.NewDate(2011, 1, 1)),
			residence("RG-2", owner.PIN, flat.ID, registry.NewDate(2011, 1, 1)),
			moved,
		}); err != nil {
			return err
		}
		check("in the transaction", tx)
		return nil
	})
	view(t, s, func(tx registry.Tx) error { check("after commit", tx); return nil })
}

func testStats(t *testing.T, s registry.Store) {
	view(t, s, func(tx registry.Tx) error {
		if st, err := tx.Stats(); err != nil || st != (registry.Stats{}) {
			t.Errorf("empty store Stats = %+v, %v", st, err)
		}
		return nil
	})
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, []registry.Person{owner, wife, child}, []registry.Dwelling{house, flat}, []registry.Registration{
			residence("RG-1", owner.PIN, house.ID, registry.NewDate(2010, 1, 1)),
			residence("RG-2", wife.PIN, house.ID, registry.NewDate(2011, 1, 1)),
			residence("RG-3", child.PIN, house.ID, registry.NewDate(2016, 7, 1)),
			residence("RG-4", child.PIN, flat.ID, registry.NewDate(2017, 7, 1)),
		})
	})
	view(t, s, func(tx registry.Tx) error {
		if st, err := tx.Stats(); err != nil || st != (registry.Stats{Persons: 3, Dwellings: 2, Registrations: 4}) {
			t.Errorf("Stats = %+v, %v; want 3, 2, 4", st, err)
		}
		return nil
	})
}

func testViewIsReadOnly(t *testing.T, s registry.Store) {
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.PutPerson(owner); !errors.Is(err, registry.ErrReadOnly) {
			t.Errorf("PutPerson in View: error = %v, want ErrReadOnly", err)
		}
		if _, err := tx.PutDwelling(house); !errors.Is(err, registry.ErrReadOnly) {
			t.Errorf("PutDwelling in View: error = %v, want ErrReadOnly", err)
		}
		if _, err := tx.PutRegistration(residence("RG-1", owner.PIN, house.ID, registry.NewDate(2010, 1, 1))); !errors.Is(err, registry.ErrReadOnly) {
			t.Errorf("PutRegistration in View: error = %v, want ErrReadOnly", err)
		}
		return nil
	})
	assertEmpty(t, s)
}

func assertEmpty(t *testing.T, s registry.Store) {
	t.Helper()
	view(t, s, func(tx registry.Tx) error {
		if st, err := tx.Stats(); err != nil || st != (registry.Stats{}) {
			t.Errorf("Stats = %+v, %v; want an empty store", st, err)
		}
		if rs, err := tx.RegistrationsOf(owner.PIN); err != nil || len(rs) != 0 {
			t.Errorf("RegistrationsOf = %v, %v; want none", ids(rs), err)
		}
		if rs, err := tx.RegistrationsAt(house.ID); err != nil || len(rs) != 0 {
			t.Errorf("RegistrationsAt = %v, %v; want none", ids(rs), err)
		}
		return nil
	})
}

var errBoom = errors.New("storetest: the function fails")

func testUpdateRollsBack(t *testing.T, s registry.Store) {
	err := s.Update(context.Background(), func(tx registry.Tx) error {
		if err := putAll(tx, []registry.Person{owner}, []registry.Dwelling{house},
			[]registry.Registration{residence("RG-1", owner.PIN, house.ID, registry.NewDate(2010, 1, 1))}); err != nil {
			return err
		}
		return fmt.Errorf("late: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update error = %v, want the function's error", err)
	}
	assertEmpty(t, s)
}

func testUpdatePanics(t *testing.T, s registry.Store) {
	func() {
		defer func() {
			if r := recover(); r != errBoom {
				t.Errorf("recovered %v, want the function's panic", r)
			}
		}()
		_ = s.Update(context.Background(), func(tx registry.Tx) error {
			if _, err := tx.PutPerson(owner); err != nil {
				return err
			}
			panic(errBoom)
		})
	}()
	assertEmpty(t, s)
	// The store is still usable.
	update(t, s, func(tx registry.Tx) error { _, err := tx.PutPerson(owner); return err })
}

func testViewSeesCommittedOnly(t *testing.T, s registry.Store) {
	written, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(tx registry.Tx) error {
			if _, err := tx.PutPerson(owner); err != nil {
				return err
			}
			close(written)
			<-release
			return nil
		})
	}()
	select {
	case <-written:
	case err := <-done:
		t.Fatalf("Update ended early: %v", err)
	}
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.Person(owner.PIN); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("a View during the Update sees its write: error = %v, want ErrNotFound", err)
		}
		return nil
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.Person(owner.PIN); err != nil {
			t.Errorf("a View after the commit: %v", err)
		}
		return nil
	})

	// A View's snapshot does not change when an Update commits meanwhile.
	committed := make(chan error, 1)
	view(t, s, func(tx registry.Tx) error {
		go func() {
			committed <- s.Update(context.Background(), func(tx registry.Tx) error { _, err := tx.PutPerson(wife); return err })
		}()
		select {
		case err := <-committed:
			if err != nil {
				t.Errorf("Update during a View: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("an Update waits for an open View to end")
		}
		if _, err := tx.Person(wife.PIN); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("a View sees a commit made after it began: error = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testUpdatesSerialise(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, []registry.Person{owner}, []registry.Dwelling{house}, nil)
	})
	// Each Update reads how many registrations the dwelling has and adds
	// the next one: an Update that ran on a stale read would reuse an ID
	// and overwrite, and the count would come short.
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				errs <- s.Update(context.Background(), func(tx registry.Tx) error {
					rs, err := tx.RegistrationsAt(house.ID)
					if err != nil {
						return err
					}
					r := residence(fmt.Sprintf("RG-%03d", len(rs)+1), owner.PIN, house.ID, registry.NewDate(2010, 1, 1))
					r.Ended, r.EndReason = r.Since, registry.EndDeregistered
					_, err = tx.PutRegistration(r)
					return err
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	view(t, s, func(tx registry.Tx) error {
		if rs, err := tx.RegistrationsAt(house.ID); err != nil || len(rs) != workers*each {
			t.Errorf("%d registrations, %v; want %d", len(rs), err, workers*each)
		}
		return nil
	})
}

func testCancelledContext(t *testing.T, s registry.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := s.View(ctx, func(registry.Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("View on a cancelled context: error = %v, ran = %v; want context.Canceled, not run", err, ran)
	}
	if err := s.Update(ctx, func(registry.Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Update on a cancelled context: error = %v, ran = %v; want context.Canceled, not run", err, ran)
	}
}

func testCopies(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, []registry.Person{owner, wife}, []registry.Dwelling{flat}, nil)
	})
	var d registry.Dwelling
	view(t, s, func(tx registry.Tx) error {
		var err error
		d, err = tx.Dwelling(flat.ID)
		return err
	})
	d.Owners[0].PIN = "mutated"
	view(t, s, func(tx registry.Tx) error {
		if again, err := tx.Dwelling(flat.ID); err != nil || !reflect.DeepEqual(again, flat) {
			t.Errorf("Dwelling after mutating a copy = %+v, %v", again, err)
		}
		return nil
	})
}

// batch is an import file: the family, both dwellings, the owner's old
// residence, current residence and current stay, the wife's and the
// child's residence.
func batch(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	add := func(rec registry.Record) {
		line, err := registry.EncodeLine(rec)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	for _, p := range []registry.Person{owner, wife, child} {
		add(registry.Record{Kind: registry.KindPerson, Person: p})
	}
	for _, d := range []registry.Dwelling{house, flat} {
		add(registry.Record{Kind: registry.KindDwelling, Dwelling: d})
	}
	old := residence("RG-1", owner.PIN, flat.ID, registry.NewDate(2010, 1, 1))
	old.Ended, old.EndReason = registry.NewDate(2015, 3, 10), registry.EndNewResidence
	for _, r := range []registry.Registration{
		old,
		residence("RG-2", owner.PIN, house.ID, registry.NewDate(2015, 3, 10)),
		{ID: "RG-3", PIN: owner.PIN, DwellingID: flat.ID, Type: registry.Stay, Since: registry.NewDate(2026, 9, 1), Until: registry.NewDate(2027, 8, 31)},
		residence("RG-4", wife.PIN, house.ID, registry.NewDate(2015, 3, 10)),
		residence("RG-5", child.PIN, house.ID, registry.NewDate(2016, 6, 21)),
	} {
		add(registry.Record{Kind: registry.KindRegistration, Registration: r})
	}
	return b.String()
}

// newRegistry puts the rules over s; the registry does not close s, the
// caller of Run does.
func newRegistry(s registry.Store) *registry.Registry {
	return registry.New(s, registry.Options{Now: func() time.Time { return Now }})
}

func testImportAndViews(t *testing.T, s registry.Store) {
	reg := newRegistry(s)
	ctx := context.Background()
	rep, err := reg.Import(ctx, strings.NewReader(batch(t)))
	if err != nil || rep.Persons != 3 || rep.Dwellings != 2 || rep.Registrations != 5 {
		t.Fatalf("Import = %+v, %v", rep, err)
	}
	v, err := reg.Registrations(ctx, owner.PIN)
	if err != nil {
		t.Fatal(err)
	}
	if v.Residence == nil || v.Residence.ID != "RG-2" || v.Residence.Address != house.Address ||
		v.Stay == nil || v.Stay.ID != "RG-3" || v.Stay.DwellingType != flat.Type ||
		len(v.History) != 1 || v.History[0].ID != "RG-1" {
		t.Errorf("Registrations = %+v", v)
	}
	res, err := reg.DwellingResidents(ctx, house.ID)
	if err != nil || res.Persons != 3 || len(res.Residents) != 3 {
		t.Errorf("DwellingResidents(DW-1) = %+v, %v; want 3 persons", res, err)
	}
	res, err = reg.DwellingResidents(ctx, flat.ID)
	if err != nil || res.Persons != 1 || len(res.Residents) != 1 || res.Residents[0].Type != registry.Stay {
		t.Errorf("DwellingResidents(DW-10) = %+v, %v; want the owner's stay only", res, err)
	}
	if st, err := reg.Stats(ctx); err != nil || st != (registry.Stats{Persons: 3, Dwellings: 2, Registrations: 5}) {
		t.Errorf("Stats = %+v, %v", st, err)
	}
}

func testRejectedBatch(t *testing.T, s registry.Store) {
	reg := newRegistry(s)
	ctx := context.Background()
	bad := batch(t) + `{"kind":"registration","id":"RG-9","pin":"` + owner.PIN + `","dwelling_id":"DW-404","type":"residence","since":"2026-11-01","ended":"2026-11-10","end_reason":"deregistered"}` + "\n"
	rep, err := reg.Import(ctx, strings.NewReader(bad))
	if !errors.Is(err, registry.ErrInvalidBatch) || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], registry.ErrUnknownDwelling) {
		t.Fatalf("Import = %v, %v; want one unknown dwelling", err, rep.Errors)
	}
	assertEmpty(t, s)
}

func testNewResidence(t *testing.T, s registry.Store) {
	reg := newRegistry(s)
	ctx := context.Background()
	if _, err := reg.Import(ctx, strings.NewReader(batch(t))); err != nil {
		t.Fatal(err)
	}
	move := residence("RG-10", owner.PIN, flat.ID, registry.NewDate(2026, 11, 1))
	var done registry.Registered
	update(t, s, func(tx registry.Tx) error {
		var err error
		done, err = registry.Register(tx, move, today)
		return err
	})
	if len(done.Ended) != 1 || done.Ended[0].ID != "RG-2" || done.Replaced {
		t.Errorf("Register = %+v; want RG-2 ended", done)
	}
	v, err := reg.Registrations(ctx, owner.PIN)
	if err != nil || v.Residence == nil || v.Residence.ID != "RG-10" || v.Stay == nil {
		t.Fatalf("Registrations = %+v, %v; want RG-10 and the stay kept", v, err)
	}
	i := slices.IndexFunc(v.History, func(e registry.RegistrationEntry) bool { return e.ID == "RG-2" })
	if i < 0 || v.History[i].Ended != move.Since || v.History[i].EndReason != registry.EndNewResidence {
		t.Errorf("History = %+v; want RG-2 ended on %s for a new residence", v.History, move.Since)
	}
	// One that starts before the current residence is refused and changes nothing.
	early := residence("RG-11", owner.PIN, house.ID, registry.NewDate(2026, 10, 1))
	err = s.Update(ctx, func(tx registry.Tx) error { _, err := registry.Register(tx, early, today); return err })
	if !errors.Is(err, registry.ErrConflict) {
		t.Errorf("Register of an earlier residence: error = %v, want ErrConflict", err)
	}
	if again, _ := reg.Registrations(ctx, owner.PIN); again.Residence == nil || again.Residence.ID != "RG-10" {
		t.Errorf("the refused registration changed the residence: %+v", again.Residence)
	}
}

// testLastPlace fires registrations at a dwelling with one place left
// under a limit the test enforces in the same Update (the shape of the
// "10 or more registered" refusal of seed 000 §5): exactly one may pass.
func testLastPlace(t *testing.T, s registry.Store) {
	const limit, racers = 10, 6
	var persons []registry.Person
	var regs []registry.Registration
	for i := range limit - 1 + racers {
		p := mustPerson(registry.SexFemale, registry.NewDate(1990, 1, 1+i), 1000+i, "Асанова", "Айжан")
		persons = append(persons, p)
		if i < limit-1 {
			regs = append(regs, residence(fmt.Sprintf("RG-%d", i), p.PIN, house.ID, registry.NewDate(2020, 1, 1)))
		}
	}
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, append(persons, owner), []registry.Dwelling{house}, regs)
	})
	errFull := errors.New("storetest: the dwelling is full")
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			p := persons[limit-1+i]
			errs[i] = s.Update(context.Background(), func(tx registry.Tx) error {
				res, err := registry.ReadResidents(tx, house.ID, today)
				if err != nil {
					return err
				}
				if res.Persons >= limit {
					return errFull
				}
				_, err = registry.Register(tx, residence(fmt.Sprintf("RG-NEW-%d", i), p.PIN, house.ID, registry.NewDate(2026, 11, 1)), today)
				return err
			})
		})
	}
	wg.Wait()
	passed := 0
	for _, err := range errs {
		switch {
		case err == nil:
			passed++
		case !errors.Is(err, errFull):
			t.Errorf("Update: %v", err)
		}
	}
	var res registry.DwellingResidents
	view(t, s, func(tx registry.Tx) error {
		var err error
		res, err = registry.ReadResidents(tx, house.ID, today)
		return err
	})
	if passed != 1 || res.Persons != limit {
		t.Errorf("%d registrations passed, %d persons registered; want 1 and %d", passed, res.Persons, limit)
	}
}
