package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// applicationTests are the cases of the application register.
var applicationTests = []struct {
	name string
	fn   func(t *testing.T, s registry.Store)
}{
	{"applications: a stored application reads back with every field", testApplicationRoundTrip},
	{"applications: a number not stored is not found", testApplicationNotFound},
	{"applications: a put replaces the application under its number and says so", testApplicationReplace},
	{"applications: a put in View fails as read-only", testApplicationReadOnly},
	{"applications: an application and its registration commit together or not at all", testApplicationAtomic},
	{"applications: two applications racing for the last place cannot both register", testApplicationsRace},
}

// card is an ID card of the 2017 model valid on today.
var card = registry.IDCard{Model: registry.IDCard2017, Number: "ID7654321", Issued: registry.NewDate(2020, 1, 10), Expires: registry.NewDate(2030, 1, 10)}

func sampleApplication() registry.Application {
	at := Now.Add(-time.Hour)
	return registry.Application{
		Number: "AP-2026-1", Kind: registry.ApplyRegistration, Digest: "ab12", Received: at,
		Role: registry.RoleOtherMinor, Purpose: registry.Stay, OwnerPIN: owner.PIN, ApplicantPIN: child.PIN,
		ParentPINs: []string{wife.PIN, owner.PIN}, Until: registry.NewDate(2027, 5, 1),
		Owner:     &registry.Party{PIN: owner.PIN, FaceIDMatched: true, EmailCodeConfirmed: true, Signature: []byte{1, 2, 3}, At: at},
		Applicant: &registry.Party{PIN: wife.PIN, FaceIDMatched: true, Consent: true, Signature: []byte{4}, At: Now},
		LapsesAt:  at.Add(72 * time.Hour), ConfirmDigest: "cd34",
		DwellingID: house.ID, DwellingType: house.Type, Address: house.Address,
		History: []registry.StatusChange{{Status: registry.StatusDelivered, At: at}, {Status: registry.StatusInProcessing, At: at},
			{Status: registry.StatusProcessed, At: Now}},
		Decision: registry.DecisionRefused, Refusal: registry.RefuseDwellingFull, NoticeDue: Now.Add(24 * time.Hour),
		RegistrationID: "R-AP-2026-1", Records: []string{"rec-1", "rec-2"},
	}
}

func testApplicationRoundTrip(t *testing.T, s registry.Store) {
	a := sampleApplication()
	update(t, s, func(tx registry.Tx) error { _, err := tx.PutApplication(a); return err })
	view(t, s, func(tx registry.Tx) error {
		got, err := tx.Application(a.Number)
		if err != nil {
			return err
		}
		// Times come back equal as instants; compare them so.
		if !got.Received.Equal(a.Received) || !got.NoticeDue.Equal(a.NoticeDue) || !got.LapsesAt.Equal(a.LapsesAt) {
			t.Errorf("times differ: %+v", got)
		}
		got.Received, got.NoticeDue, got.LapsesAt = a.Received, a.NoticeDue, a.LapsesAt
		for i := range got.History {
			if !got.History[i].At.Equal(a.History[i].At) {
				t.Errorf("history[%d] at %v, want %v", i, got.History[i].At, a.History[i].At)
			}
			got.History[i].At = a.History[i].At
		}
		got.Owner.At, got.Applicant.At = a.Owner.At, a.Applicant.At
		if !reflect.DeepEqual(got, a) {
			t.Errorf("Application = %+v\nwant %+v", got, a)
		}
		return nil
	})
}

func testApplicationNotFound(t *testing.T, s registry.Store) {
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.Application("AP-NONE"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Application of an unknown number: %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testApplicationReplace(t *testing.T, s registry.Store) {
	a := sampleApplication()
	update(t, s, func(tx registry.Tx) error {
		if replaced, err := tx.PutApplication(a); err != nil || replaced {
			t.Errorf("first put: replaced %v, %v", replaced, err)
		}
		a.Records = append(a.Records, "rec-3")
		if replaced, err := tx.PutApplication(a); err != nil || !replaced {
			t.Errorf("second put: replaced %v, %v", replaced, err)
		}
		got, err := tx.Application(a.Number)
		if err != nil || len(got.Records) != 3 {
			t.Errorf("read in the same transaction: %v, %v", got.Records, err)
		}
		return nil
	})
}

func testApplicationReadOnly(t *testing.T, s registry.Store) {
	err := s.View(context.Background(), func(tx registry.Tx) error {
		_, err := tx.PutApplication(sampleApplication())
		return err
	})
	if !errors.Is(err, registry.ErrReadOnly) {
		t.Errorf("PutApplication in View: %v, want ErrReadOnly", err)
	}
}

func testApplicationAtomic(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, []registry.Person{owner, wife, child}, []registry.Dwelling{house}, nil)
	})
	errAbort := errors.New("storetest: abort")
	a := sampleApplication()
	err := s.Update(context.Background(), func(tx registry.Tx) error {
		if _, err := registry.Register(tx, residence("R-AP-2026-1", wife.PIN, house.ID, today), today); err != nil {
			return err
		}
		if _, err := tx.PutApplication(a); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update: %v", err)
	}
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.Application(a.Number); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("the rolled-back application is there: %v", err)
		}
		if _, err := tx.Registration("R-AP-2026-1"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("the rolled-back registration is there: %v", err)
		}
		return nil
	})
}

// witness records what the rules sealed, as the adapter's pipeline would.
type witness struct {
	mu     sync.Mutex
	id     string
	sealed []registry.Application
}

func (w *witness) RecordID() string { return w.id }

func (w *witness) Seal(_ registry.Tx, a registry.Application) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sealed = append(w.sealed, a)
	return nil
}

// testApplicationsRace races the confirmations of several adults'
// applications at a dwelling where 9 citizens are registered: through the
// real rules (Registry.Confirm), exactly one registers, the others are
// refused as the dwelling is full, and 10 are registered.
func testApplicationsRace(t *testing.T, s registry.Store) {
	const racers = 6
	o := owner
	o.IDCard = card
	var persons []registry.Person
	var regs []registry.Registration
	for i := range registry.MaxCitizens - 1 + racers {
		p := mustPerson(registry.SexFemale, registry.NewDate(1990, 1, 1+i), 2000+i, "Асанова", "Айжан")
		p.IDCard = card
		persons = append(persons, p)
		if i < registry.MaxCitizens-1 {
			regs = append(regs, residence(fmt.Sprintf("RG-%d", i), p.PIN, house.ID, registry.NewDate(2020, 1, 1)))
		}
	}
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, append(persons, o), []registry.Dwelling{house}, regs)
	})
	reg := registry.New(s, registry.Options{Now: func() time.Time { return Now }})
	// The owner files for each adult; each application awaits its
	// applicant. Then the applicants confirm at once.
	filings := make([]registry.RegistrationFiling, racers)
	for i := range racers {
		filings[i] = registry.RegistrationFiling{
			Number: fmt.Sprintf("AP-RACE-%d", i), Role: registry.RoleOtherAdult, Purpose: registry.Residence,
			DwellingID: house.ID, ApplicantPIN: persons[registry.MaxCitizens-1+i].PIN,
			Owner: registry.Party{PIN: o.PIN, FaceIDMatched: true, EmailCodeConfirmed: true, Signature: []byte{1}},
		}
		a, err := reg.Submit(context.Background(), filings[i], &witness{id: fmt.Sprintf("rec-s%d", i)})
		if err != nil || a.Status() != registry.StatusInProcessing {
			t.Fatalf("Submit %d: %s %s, %v", i, a.Status(), a.Refusal, err)
		}
	}
	var wg sync.WaitGroup
	apps := make([]registry.Application, racers)
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			apps[i], errs[i] = reg.Confirm(context.Background(), registry.Confirmation{
				Number: filings[i].Number, Purpose: registry.Residence,
				Party: registry.Party{PIN: filings[i].ApplicantPIN, FaceIDMatched: true, EmailCodeConfirmed: true, Consent: true, Signature: []byte{2}},
			}, &witness{id: fmt.Sprintf("rec-c%d", i)})
		})
	}
	wg.Wait()
	registered := 0
	for i, a := range apps {
		switch {
		case errs[i] != nil:
			t.Errorf("racer %d: %v", i, errs[i])
		case a.Decision == registry.DecisionRegistered:
			registered++
		case a.Refusal != registry.RefuseDwellingFull:
			t.Errorf("racer %d: decision %s, refusal %s; want registered or dwelling_full", i, a.Decision, a.Refusal)
		}
	}
	var res registry.DwellingResidents
	view(t, s, func(tx registry.Tx) error {
		var err error
		res, err = registry.ReadResidents(tx, house.ID, today)
		return err
	})
	if registered != 1 || res.Persons != registry.MaxCitizens {
		t.Errorf("%d applications registered, %d persons registered; want 1 and %d", registered, res.Persons, registry.MaxCitizens)
	}
}
