package registry_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
)

func TestPerson(t *testing.T) {
	s := openTestStore(t)
	mustImport(t, s, readTestdata(t, "valid.jsonl"))
	tests := []struct {
		name    string
		pin     string
		want    string // surname when found
		wantErr error
	}{
		{"a stored person is found", "21505198500123", "Асанов", nil},
		{"a person without patronymic is found", "21606201600019", "Азамат уулу", nil},
		{"a valid PIN not stored is not found", "20101200099999", "", registry.ErrNotFound},
		{"a malformed PIN is invalid, not merely not found", "2150519850012", "", registry.ErrInvalidPIN},
		{"a PIN born in the future is invalid", "20101209900001", "", registry.ErrPINBirthFuture},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.Person(context.Background(), tt.pin)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Person(%s) error = %v, want %v", tt.pin, err, tt.wantErr)
				}
				return
			}
			if err != nil || p.Surname != tt.want || p.PIN != tt.pin {
				t.Errorf("Person(%s) = %+v, %v", tt.pin, p, err)
			}
		})
	}
}

func TestPersonRoundTripsEveryField(t *testing.T) {
	s := openTestStore(t)
	mustImport(t, s, readTestdata(t, "valid.jsonl"))
	p, err := s.Person(context.Background(), "21505198500123")
	if err != nil {
		t.Fatal(err)
	}
	want := registry.Person{
		PIN: "21505198500123", Surname: "Асанов", GivenName: "Азамат", Patronymic: "Бакытович",
		BirthDate: registry.NewDate(1985, 5, 15), Sex: registry.SexMale, Citizenship: registry.CitizenshipCitizen,
		IDCard: registry.IDCard{Model: registry.IDCard2017, Number: "ID1234567", Issued: registry.NewDate(2018, 3, 1), Expires: registry.NewDate(2028, 3, 1)},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Person = %+v\nwant %+v", p, want)
	}
	if !p.MayApplyOnline(registry.DateOf(testNow)) {
		t.Error("a citizen with a valid 2017 card may apply online")
	}
	c, _ := s.Person(context.Background(), "10203199000456")
	if !c.ConsularRegister || c.MayApplyOnline(registry.DateOf(testNow)) {
		t.Errorf("consular person %+v may not apply online", c)
	}
}

func TestRegistrationsJoinsAddressesAndSplitsCurrentFromHistory(t *testing.T) {
	s := openTestStore(t)
	mustImport(t, s, readTestdata(t, "valid.jsonl"))
	v, err := s.Registrations(context.Background(), "21505198500123")
	if err != nil {
		t.Fatal(err)
	}
	if v.Residence == nil || v.Residence.ID != "RG-2" || v.Residence.DwellingType != registry.DwellingHouse ||
		v.Residence.Address.Settlement != "Кара-Суу шаары" {
		t.Errorf("Residence = %+v, want RG-2 at the Kara-Suu house", v.Residence)
	}
	if v.Stay == nil || v.Stay.ID != "RG-3" || v.Stay.Address.Region != registry.RegionNaryn {
		t.Errorf("Stay = %+v, want RG-3 in Naryn", v.Stay)
	}
	var hist []string
	for _, e := range v.History {
		hist = append(hist, e.ID)
	}
	if len(hist) != 2 || hist[0] != "RG-4" || hist[1] != "RG-1" {
		t.Errorf("History = %v, want [RG-4 RG-1] (expired stay, ended residence; newest first)", hist)
	}
}

func TestAStayMovesToHistoryAfterItsUntilDate(t *testing.T) {
	now := testNow
	s := openTestStoreAt(t, func() time.Time { return now })
	mustImport(t, s, readTestdata(t, "valid.jsonl"))
	for _, tt := range []struct {
		now     time.Time
		current bool
	}{
		{time.Date(2027, 8, 31, 23, 59, 0, 0, time.UTC), true}, // last day of RG-3
		{time.Date(2027, 9, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		now = tt.now
		v, err := s.Registrations(context.Background(), "21505198500123")
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Stay != nil; got != tt.current {
			t.Errorf("at %s: current stay present = %v, want %v", tt.now, got, tt.current)
		}
		if len(v.History) != 3-boolInt(tt.current) {
			t.Errorf("at %s: %d history entries", tt.now, len(v.History))
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRegistrationsOfAPersonWithNoneIsEmpty(t *testing.T) {
	s := openTestStore(t)
	mustImport(t, s, []byte(`{"kind":"person","pin":"10707196500321","surname":"Мамытова","given_name":"Бурул","birth_date":"1965-07-07","sex":"female","citizenship":"citizen"}`))
	v, err := s.Registrations(context.Background(), "10707196500321")
	if err != nil || v.Residence != nil || v.Stay != nil || len(v.History) != 0 || v.PIN != "10707196500321" {
		t.Errorf("Registrations = %+v, %v; want an empty view", v, err)
	}
	if _, err := s.Registrations(context.Background(), "20101200099999"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("unknown person: error = %v, want ErrNotFound", err)
	}
	if _, err := s.Registrations(context.Background(), "x"); !errors.Is(err, registry.ErrInvalidPIN) {
		t.Errorf("bad PIN: error = %v, want ErrInvalidPIN", err)
	}
}

func TestDwellingResidents(t *testing.T) {
	s := openTestStore(t)
	mustImport(t, s, readTestdata(t, "valid.jsonl"))
	res, err := s.DwellingResidents(context.Background(), "DW-2")
	if err != nil {
		t.Fatal(err)
	}
	var pins []string
	for _, r := range res.Residents {
		pins = append(pins, r.PIN+"/"+string(r.Type))
	}
	want := []string{"10203199000456/residence", "21505198500123/residence", "21606201600019/residence"}
	if len(pins) != 3 || pins[0] != want[0] || pins[1] != want[1] || pins[2] != want[2] || res.Persons != 3 {
		t.Errorf("residents = %v (%d persons), want %v", pins, res.Persons, want)
	}
	if len(res.Dwelling.Owners) != 2 || res.Dwelling.Owners[1].Title != registry.TitleUser {
		t.Errorf("dwelling owners = %+v", res.Dwelling.Owners)
	}
	// DW-1 only has an ended residence: nobody is registered there now.
	if res, err := s.DwellingResidents(context.Background(), "DW-1"); err != nil || len(res.Residents) != 0 {
		t.Errorf("DW-1 residents = %+v, %v; want none", res.Residents, err)
	}
	if _, err := s.DwellingResidents(context.Background(), "DW-404"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("unknown dwelling: error = %v, want ErrNotFound", err)
	}
	if _, err := s.DwellingResidents(context.Background(), "dw 1"); !errors.Is(err, registry.ErrInvalidID) {
		t.Errorf("malformed id: error = %v, want ErrInvalidID", err)
	}
}

func TestEmptyAndStats(t *testing.T) {
	s := openTestStore(t)
	if empty, err := s.Empty(context.Background()); err != nil || !empty {
		t.Errorf("new store Empty = %v, %v", empty, err)
	}
	mustImport(t, s, readTestdata(t, "valid.jsonl"))
	if empty, err := s.Empty(context.Background()); err != nil || empty {
		t.Errorf("filled store Empty = %v, %v", empty, err)
	}
}

func TestReadsFailOnACancelledContext(t *testing.T) {
	s := openTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Person(ctx, "21505198500123"); !errors.Is(err, context.Canceled) {
		t.Errorf("Person error = %v, want context.Canceled", err)
	}
	if _, err := s.Stats(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stats error = %v, want context.Canceled", err)
	}
}
