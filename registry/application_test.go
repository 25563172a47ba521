package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// The application rules: one table case per refusal ground, each on a
// fixture that passes every other rule, through the real rules and store.

var (
	appCard   = registry.IDCard{Model: registry.IDCard2017, Number: "ID1000001", Issued: registry.NewDate(2019, 4, 1), Expires: registry.NewDate(2029, 4, 1)}
	appOwner  = appPerson("21505198500123", registry.NewDate(1985, 5, 15), registry.SexMale, "Асанов", "Азамат")
	appWife   = appPerson("10302198700456", registry.NewDate(1987, 2, 3), registry.SexFemale, "Асанова", "Айгүл")
	appAdult  = appPerson("21111199000789", registry.NewDate(1990, 11, 11), registry.SexMale, "Беков", "Нурлан")
	appChild  = appPerson("22106201600019", registry.NewDate(2016, 6, 21), registry.SexMale, "Азамат уулу", "Бекзат")
	appNephew = appPerson("12003201800020", registry.NewDate(2018, 3, 20), registry.SexFemale, "Бекова", "Айпери")

	appHouse = registry.Dwelling{ID: "DW-1", Type: registry.DwellingHouse,
		Address: registry.Address{Region: registry.RegionTalas, Settlement: "Талас шаары", Street: "Ленин көчөсү", House: "1"},
		Owners:  []registry.Owner{{PIN: appOwner.PIN, Title: registry.TitleOwner}}}
)

func appPerson(pin string, birth registry.Date, sex registry.Sex, surname, given string) registry.Person {
	p := registry.Person{PIN: pin, Surname: surname, GivenName: given, BirthDate: birth, Sex: sex, Citizenship: registry.CitizenshipCitizen}
	if !birth.AddDate(18, 0, 0).After(registry.DateOf(testNow)) {
		p.IDCard = appCard
	}
	return p
}

// appFixture is the family: the owner of appHouse, his wife, their child,
// an unrelated adult and a niece whose parents are the adult and the wife.
func appFixture() ([]registry.Person, []registry.Dwelling) {
	child, nephew := appChild, appNephew
	child.Parents = []string{appOwner.PIN, appWife.PIN}
	nephew.Parents = []string{appAdult.PIN}
	return []registry.Person{appOwner, appWife, appAdult, child, nephew}, []registry.Dwelling{appHouse}
}

func store(tb testing.TB, reg testRegistry, ps []registry.Person, ds []registry.Dwelling, rs []registry.Registration) {
	tb.Helper()
	err := reg.store.Update(context.Background(), func(tx registry.Tx) error {
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
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func party(pin string) registry.Party {
	return registry.Party{PIN: pin, FaceIDMatched: true, EmailCodeConfirmed: true, Consent: true, Signature: []byte("sig")}
}

func adultFiling() registry.RegistrationFiling {
	return registry.RegistrationFiling{Number: "AP-1", Role: registry.RoleOtherAdult, Purpose: registry.Residence,
		DwellingID: appHouse.ID, ApplicantPIN: appAdult.PIN, Owner: party(appOwner.PIN)}
}

// witness seals by recording.
type witness struct {
	id     string
	sealed []registry.Application
	fail   error
}

func (w *witness) RecordID() string { return w.id }
func (w *witness) Seal(_ registry.Tx, a registry.Application) error {
	if w.fail != nil {
		return w.fail
	}
	w.sealed = append(w.sealed, a)
	return nil
}

func TestEachFilingRuleRefusesWithItsOwnReason(t *testing.T) {
	today := registry.DateOf(testNow)
	tests := []struct {
		name   string
		change func(ps []registry.Person, d *registry.Dwelling, f *registry.RegistrationFiling, rs *[]registry.Registration)
		want   registry.RefusalReason
	}{
		{"an application that breaks no rule is accepted", func([]registry.Person, *registry.Dwelling, *registry.RegistrationFiling, *[]registry.Registration) {}, ""},
		{"10 citizens registered in the dwelling refuse it", func(ps []registry.Person, d *registry.Dwelling, f *registry.RegistrationFiling, rs *[]registry.Registration) {
			for i := range 10 {
				pin, _ := registry.FormatPIN(registry.SexFemale, registry.NewDate(1970, 1, 1+i), 500+i)
				*rs = append(*rs, registry.Registration{ID: "RG-T" + string(rune('A'+i)), PIN: pin, DwellingID: d.ID, Type: registry.Residence, Since: registry.NewDate(2000, 1, 1)})
			}
		}, registry.RefuseDwellingFull},
		{"more than one owner refuses it", func(_ []registry.Person, d *registry.Dwelling, _ *registry.RegistrationFiling, _ *[]registry.Registration) {
			d.Owners = append(d.Owners, registry.Owner{PIN: appWife.PIN, Title: registry.TitleOwner})
		}, registry.RefuseSeveralOwners},
		{"an applicant on the consular register is refused", func(ps []registry.Person, _ *registry.Dwelling, _ *registry.RegistrationFiling, _ *[]registry.Registration) {
			ps[2].ConsularRegister = true
		}, registry.RefuseConsularRegister},
		{"an owner recorded only as user is refused", func(_ []registry.Person, d *registry.Dwelling, _ *registry.RegistrationFiling, _ *[]registry.Registration) {
			d.Owners[0].Title = registry.TitleUser
		}, registry.RefuseOwnerOnlyUser},
		{"an applicant who renounced citizenship is refused", func(ps []registry.Person, _ *registry.Dwelling, _ *registry.RegistrationFiling, _ *[]registry.Registration) {
			ps[2].Citizenship = registry.CitizenshipRenounced
		}, registry.RefuseCitizenshipRenounce},
		{"the owner's Face ID not matched refuses it", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Owner.FaceIDMatched = false
		}, registry.RefuseFaceIDNotMatched},
		{"an adult applicant without an eligible ID card is refused", func(ps []registry.Person, _ *registry.Dwelling, _ *registry.RegistrationFiling, _ *[]registry.Registration) {
			ps[2].IDCard = registry.IDCard{}
		}, registry.RefuseNoEligibleIDCard},
		{"an expired ID card is no eligible card", func(ps []registry.Person, _ *registry.Dwelling, _ *registry.RegistrationFiling, _ *[]registry.Registration) {
			ps[2].IDCard.Expires = today.AddDate(0, 0, -1)
		}, registry.RefuseNoEligibleIDCard},
		{"an owner without an eligible ID card is refused", func(ps []registry.Person, _ *registry.Dwelling, _ *registry.RegistrationFiling, _ *[]registry.Registration) {
			ps[0].IDCard = registry.IDCard{}
		}, registry.RefuseNoEligibleIDCard},
		{"a stay longer than one year is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Purpose, f.Until = registry.Stay, today.AddDate(1, 0, 1)
		}, registry.RefuseStayTooLong},
		{"a stay of exactly one year is accepted", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Purpose, f.Until = registry.Stay, today.AddDate(1, 0, 0)
		}, ""},
		{"a stay without a last day is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Purpose = registry.Stay
		}, registry.RefuseStayPeriod},
		{"a residence with a last day is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Until = today.AddDate(0, 1, 0)
		}, registry.RefuseStayPeriod},
		{"a minor without the parents' PINs is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Role, f.ApplicantPIN = registry.RoleOtherMinor, appNephew.PIN
		}, registry.RefuseParentsMissing},
		{"a minor with parents' PINs the registry does not record is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Role, f.ApplicantPIN, f.ParentPINs = registry.RoleOtherMinor, appNephew.PIN, []string{appWife.PIN}
		}, registry.RefuseParentsMismatch},
		{"a minor with the recorded parents' PINs is accepted", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Role, f.ApplicantPIN, f.ParentPINs = registry.RoleOtherMinor, appNephew.PIN, []string{appAdult.PIN}
		}, ""},
		{"a filer who holds no title to the dwelling is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Owner.PIN, f.ApplicantPIN = appWife.PIN, appAdult.PIN
		}, registry.RefuseNotOwner},
		{"an adult filed as a minor is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Role = registry.RoleOtherMinor
		}, registry.RefuseRoleMismatch},
		{"someone else's child filed as own child is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Role, f.ApplicantPIN, f.ParentPINs = registry.RoleOwnChild, appNephew.PIN, []string{appAdult.PIN}
		}, registry.RefuseRoleMismatch},
		{"self for another person is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.Role = registry.RoleSelf
		}, registry.RefuseRoleMismatch},
		{"an applicant not in the registry is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.ApplicantPIN = "20101200099999"
		}, registry.RefusePersonNotFound},
		{"a dwelling not in the registry is refused", func(_ []registry.Person, _ *registry.Dwelling, f *registry.RegistrationFiling, _ *[]registry.Registration) {
			f.DwellingID = "DW-404"
		}, registry.RefuseDwellingNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := openTestStore(t)
			ps, ds := appFixture()
			d := ds[0]
			d.Owners = append([]registry.Owner(nil), d.Owners...)
			f := adultFiling()
			var rs []registry.Registration
			tc.change(ps, &d, &f, &rs)
			for _, r := range rs {
				p := registry.Person{PIN: r.PIN, Surname: "Токтосунова", GivenName: "Гүлнара", Sex: registry.SexFemale, Citizenship: registry.CitizenshipCitizen}
				p.BirthDate, _ = pinBirth(r.PIN)
				ps = append(ps, p)
			}
			store(t, reg, ps, []registry.Dwelling{d}, rs)
			w := &witness{id: "rec-1"}
			a, err := reg.Submit(context.Background(), f, w)
			if err != nil {
				t.Fatal(err)
			}
			if a.Refusal != tc.want {
				t.Fatalf("refusal %q, want %q", a.Refusal, tc.want)
			}
			if len(w.sealed) != 1 {
				t.Fatalf("%d seals, want 1", len(w.sealed))
			}
			regs, err := reg.Registrations(context.Background(), f.ApplicantPIN)
			if tc.want != "" {
				if a.Status() != registry.StatusProcessed || a.Decision != registry.DecisionRefused || a.NoticeDue.IsZero() {
					t.Errorf("status %s decision %s notice due %v; want processed, refused, a due time", a.Status(), a.Decision, a.NoticeDue)
				}
				if err == nil && (regs.Residence != nil || regs.Stay != nil) {
					t.Errorf("a refused application registered: %+v", regs)
				}
				return
			}
			if a.Status() != registry.StatusInProcessing || !a.LapsesAt.Equal(testNow.Add(registry.DefaultConfirmWithin)) {
				t.Errorf("status %s lapses at %v; want in_processing until %v", a.Status(), a.LapsesAt, testNow.Add(registry.DefaultConfirmWithin))
			}
		})
	}
}

func pinBirth(pin string) (registry.Date, error) {
	info, err := registry.ParsePIN(pin, testNow)
	return info.BirthDate, err
}

func TestEachConfirmationRuleRefusesWithItsOwnReason(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *registry.Confirmation)
		want   registry.RefusalReason
	}{
		{"a confirmation that breaks no rule registers", func(*registry.Confirmation) {}, ""},
		{"the applicant's Face ID not matched refuses it", func(c *registry.Confirmation) { c.Party.FaceIDMatched = false }, registry.RefuseFaceIDNotMatched},
		{"no consent to processing personal data refuses it", func(c *registry.Confirmation) { c.Party.Consent = false }, registry.RefuseConsentNotGiven},
		{"another purpose than the owner filed refuses it", func(c *registry.Confirmation) { c.Purpose = registry.Stay }, registry.RefusePurposeMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := openTestStore(t)
			ps, ds := appFixture()
			store(t, reg, ps, ds, nil)
			ctx := context.Background()
			if _, err := reg.Submit(ctx, adultFiling(), &witness{id: "rec-1"}); err != nil {
				t.Fatal(err)
			}
			c := registry.Confirmation{Number: "AP-1", Purpose: registry.Residence, Party: party(appAdult.PIN)}
			tc.change(&c)
			w := &witness{id: "rec-2"}
			a, err := reg.Confirm(ctx, c, w)
			if err != nil {
				t.Fatal(err)
			}
			if a.Refusal != tc.want || a.Status() != registry.StatusProcessed || len(w.sealed) != 1 {
				t.Fatalf("refusal %q status %s seals %d; want %q, processed, 1", a.Refusal, a.Status(), len(w.sealed), tc.want)
			}
			view, _ := reg.Registrations(ctx, appAdult.PIN)
			if registered := view.Residence != nil; registered != (tc.want == "") {
				t.Errorf("registered %v, want %v", registered, tc.want == "")
			}
			if tc.want == "" && (view.Residence.Record != "rec-2" || a.RegistrationID != view.Residence.ID) {
				t.Errorf("the registration %+v names record %q, want rec-2 and id %s", view.Residence, view.Residence.Record, a.RegistrationID)
			}
		})
	}
}

func TestAConfirmationThatCannotBeTakenChangesNothing(t *testing.T) {
	tests := []struct {
		name string
		c    registry.Confirmation
		at   time.Time
		want error
	}{
		{"an unknown number", registry.Confirmation{Number: "AP-9", Purpose: registry.Residence, Party: party(appAdult.PIN)}, testNow, registry.ErrNotFound},
		{"a person who is not the applicant", registry.Confirmation{Number: "AP-1", Purpose: registry.Residence, Party: party(appWife.PIN)}, testNow, registry.ErrNotConfirmer},
		{"after the application lapsed", registry.Confirmation{Number: "AP-1", Purpose: registry.Residence, Party: party(appAdult.PIN)}, testNow.Add(registry.DefaultConfirmWithin), registry.ErrLapsed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := testNow
			reg := openTestStoreAt(t, func() time.Time { return now })
			ps, ds := appFixture()
			store(t, reg, ps, ds, nil)
			if _, err := reg.Submit(context.Background(), adultFiling(), &witness{id: "rec-1"}); err != nil {
				t.Fatal(err)
			}
			now = tc.at
			w := &witness{id: "rec-2"}
			if _, err := reg.Confirm(context.Background(), tc.c, w); !errors.Is(err, tc.want) {
				t.Fatalf("Confirm: %v, want %v", err, tc.want)
			}
			a, err := reg.Application(context.Background(), "AP-1")
			if err != nil || len(w.sealed) != 0 || len(a.Records) != 1 {
				t.Errorf("the refused confirmation changed the application: %v, %d seals, records %v", err, len(w.sealed), a.Records)
			}
		})
	}
}

func TestAnUnconfirmedApplicationLapsesAfterTheConfiguredPeriod(t *testing.T) {
	now := testNow
	st := openTestStoreAt(t, func() time.Time { return now })
	reg := registry.New(st.store, registry.Options{Now: func() time.Time { return now }, Applications: registry.ApplicationRules{ConfirmWithin: time.Hour}})
	ps, ds := appFixture()
	store(t, st, ps, ds, nil)
	ctx := context.Background()
	if _, err := reg.Submit(ctx, adultFiling(), &witness{id: "rec-1"}); err != nil {
		t.Fatal(err)
	}
	now = testNow.Add(time.Hour - time.Second)
	if a, _ := reg.Application(ctx, "AP-1"); a.Status() != registry.StatusInProcessing {
		t.Errorf("a second before the period ends: %s, want in_processing", a.Status())
	}
	now = testNow.Add(time.Hour)
	a, err := reg.Application(ctx, "AP-1")
	if err != nil || a.Status() != registry.StatusProcessed || a.Decision != registry.DecisionLapsed {
		t.Errorf("when the period ends: %s %s %v, want processed, lapsed", a.Status(), a.Decision, err)
	}
}

func TestTheSameNumberRegistersOnceAndOtherContentIsRefused(t *testing.T) {
	reg := openTestStore(t)
	ps, ds := appFixture()
	store(t, reg, ps, ds, nil)
	ctx := context.Background()
	f := adultFiling()
	f.Role, f.ApplicantPIN = registry.RoleSelf, ""
	w := &witness{id: "rec-1"}
	first, err := reg.Submit(ctx, f, w)
	if err != nil || first.Decision != registry.DecisionRegistered {
		t.Fatalf("first: %s %v", first.Decision, err)
	}
	again, err := reg.Submit(ctx, f, &witness{id: "rec-2"})
	if err != nil || again.Digest != first.Digest || len(again.Records) != 1 || again.Records[0] != "rec-1" {
		t.Errorf("the retry: %+v, %v; want the first application unchanged", again, err)
	}
	f.Purpose, f.Until = registry.Stay, registry.DateOf(testNow).AddDate(0, 1, 0)
	if _, err := reg.Submit(ctx, f, &witness{id: "rec-3"}); !errors.Is(err, registry.ErrNumberReused) {
		t.Errorf("other content under the number: %v, want ErrNumberReused", err)
	}
	view, _ := reg.Registrations(ctx, appOwner.PIN)
	if view.Residence == nil || len(view.History) != 0 || view.Stay != nil {
		t.Errorf("after the retries: %+v, want one residence", view)
	}
}

func TestASealThatFailsCommitsNothing(t *testing.T) {
	reg := openTestStore(t)
	ps, ds := appFixture()
	store(t, reg, ps, ds, nil)
	f := adultFiling()
	f.Role, f.ApplicantPIN = registry.RoleSelf, ""
	errSeal := errors.New("the access log is gone")
	if _, err := reg.Submit(context.Background(), f, &witness{id: "rec-1", fail: errSeal}); !errors.Is(err, errSeal) {
		t.Fatalf("Submit: %v, want the seal's error", err)
	}
	if _, err := reg.Application(context.Background(), "AP-1"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("the application was kept: %v", err)
	}
	if view, _ := reg.Registrations(context.Background(), appOwner.PIN); view.Residence != nil {
		t.Errorf("the registration was committed: %+v", view.Residence)
	}
}

func TestEachDeregistrationRuleRefusesWithItsOwnReason(t *testing.T) {
	reg0 := registry.Registration{ID: "RG-1", PIN: appAdult.PIN, DwellingID: appHouse.ID, Type: registry.Residence, Since: registry.NewDate(2020, 1, 1)}
	ended := reg0
	ended.ID, ended.Ended, ended.EndReason = "RG-2", registry.NewDate(2021, 1, 1), registry.EndDeregistered
	tests := []struct {
		name string
		d    registry.DeregistrationFiling
		want registry.RefusalReason
	}{
		{"the registered person ends their registration", registry.DeregistrationFiling{RegistrationID: "RG-1", Ground: registry.GroundLeftAbroad, Requester: party(appAdult.PIN)}, ""},
		{"the dwelling's owner ends it", registry.DeregistrationFiling{RegistrationID: "RG-1", Ground: registry.GroundCourtRuling, Requester: party(appOwner.PIN)}, ""},
		{"anyone else is not entitled", registry.DeregistrationFiling{RegistrationID: "RG-1", Ground: registry.GroundOwnRequest, Requester: party(appWife.PIN)}, registry.RefuseNotEntitled},
		{"a Face ID not matched refuses it", registry.DeregistrationFiling{RegistrationID: "RG-1", Ground: registry.GroundOwnRequest, Requester: registry.Party{PIN: appAdult.PIN}}, registry.RefuseFaceIDNotMatched},
		{"an unknown registration is refused", registry.DeregistrationFiling{RegistrationID: "RG-9", Ground: registry.GroundOwnRequest, Requester: party(appAdult.PIN)}, registry.RefuseRegistrationUnknown},
		{"an ended registration is refused", registry.DeregistrationFiling{RegistrationID: "RG-2", Ground: registry.GroundOwnRequest, Requester: party(appAdult.PIN)}, registry.RefuseRegistrationEnded},
		{"an unknown ground is refused", registry.DeregistrationFiling{RegistrationID: "RG-1", Ground: "bored", Requester: party(appAdult.PIN)}, registry.RefuseInvalidGround},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := openTestStore(t)
			ps, ds := appFixture()
			store(t, reg, ps, ds, []registry.Registration{reg0, ended})
			tc.d.Number = "DR-1"
			w := &witness{id: "rec-1"}
			a, err := reg.Deregister(context.Background(), tc.d, w)
			if err != nil {
				t.Fatal(err)
			}
			if a.Refusal != tc.want || len(w.sealed) != 1 {
				t.Fatalf("refusal %q, %d seals; want %q, 1", a.Refusal, len(w.sealed), tc.want)
			}
			view, _ := reg.Registrations(context.Background(), appAdult.PIN)
			if open := view.Residence != nil; open != (tc.want != "") {
				t.Errorf("residence open %v, want %v", open, tc.want != "")
			}
			if tc.want == "" {
				var r registry.Registration
				for _, h := range view.History {
					if h.ID == "RG-1" {
						r = h.Registration
					}
				}
				if r.EndReason != registry.EndDeregistered || r.EndRecord != "rec-1" || r.Ended != registry.DateOf(testNow) {
					t.Errorf("ended registration %+v: want deregistered today, naming rec-1", r)
				}
			}
		})
	}
}

func TestTheRefusalNoticeIsDueWithinADayOrOnTheNextWorkingWeek(t *testing.T) {
	cal, err := registry.NewCalendar(append([]string{"2026-05-27"}, registry.DefaultHolidays...))
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, registry.Bishkek)
	}
	endOf := func(y int, m time.Month, d int) time.Time { return at(y, m, d+1, 0, 0) }
	tests := []struct {
		name     string
		received time.Time
		want     time.Time
	}{
		{"a Wednesday morning: within 24 hours", at(2026, 11, 25, 10, 0), at(2026, 11, 26, 10, 0)},
		{"a Thursday evening: within 24 hours", at(2026, 11, 26, 18, 0), at(2026, 11, 27, 18, 0)},
		{"a Friday at 15:00 exactly: not after 15:00, within 24 hours", at(2026, 11, 27, 15, 0), at(2026, 11, 28, 15, 0)},
		{"a Friday after 15:00: the next Monday", at(2026, 11, 27, 15, 1), endOf(2026, 11, 30)},
		{"a Saturday: the next Monday", at(2026, 11, 28, 9, 0), endOf(2026, 11, 30)},
		{"a Sunday at 15:00 (09:00 UTC): the next Monday", time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), endOf(2026, 11, 23)},
		{"Friday 6 November after 15:00, Monday 9 November the first working day after the 7-8 November holidays", at(2026, 11, 6, 16, 0), endOf(2026, 11, 9)},
		{"Thursday before a Friday holiday (1 May 2026) after 15:00: the next Monday", at(2026, 4, 30, 16, 0), endOf(2026, 5, 4)},
		{"a configured dated holiday (Kurman Ait) is no working day", at(2026, 5, 26, 16, 0), endOf(2026, 5, 28)},
		{"New Year's Day: the next working day", at(2026, 1, 1, 12, 0), endOf(2026, 1, 2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cal.NoticeDue(tc.received); !got.Equal(tc.want) {
				t.Errorf("NoticeDue(%v) = %v, want %v", tc.received.In(registry.Bishkek), got.In(registry.Bishkek), tc.want)
			}
		})
	}
}

func TestACalendarRefusesMalformedHolidays(t *testing.T) {
	for _, bad := range []string{"13-01", "2026-02-30", "1-1", "christmas"} {
		if _, err := registry.NewCalendar([]string{bad}); !errors.Is(err, registry.ErrInvalidDate) {
			t.Errorf("NewCalendar(%q): %v, want ErrInvalidDate", bad, err)
		}
	}
}

func TestAnImportLineCarriesAPersonsParents(t *testing.T) {
	line := func(parents string) []byte {
		return []byte(`{"kind":"person","pin":"22106201600019","surname":"Азамат уулу","given_name":"Бекзат","birth_date":"2016-06-21","sex":"male","citizenship":"citizen","parents":` + parents + `}`)
	}
	rec, err := registry.ParseLine(line(`["21505198500123","10302198700456"]`), testNow)
	if err != nil || len(rec.Person.Parents) != 2 || rec.Person.Parents[1] != "10302198700456" {
		t.Fatalf("parents %v, %v", rec.Person.Parents, err)
	}
	for name, parents := range map[string]string{
		"three parents":      `["21505198500123","10302198700456","21111199000789"]`,
		"the person himself": `["22106201600019"]`,
		"one parent twice":   `["21505198500123","21505198500123"]`,
		"a malformed PIN":    `["2150519850012"]`,
	} {
		if _, err := registry.ParseLine(line(parents), testNow); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
