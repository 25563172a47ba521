package boltstore

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/demo"
)

// roundTrip is what a read of v gives after a commit: v encoded and decoded.
func roundTrip[T any](v T) (T, error) {
	var out T
	raw, err := encode(v)
	if err != nil {
		return out, err
	}
	return out, decode(raw, &out)
}

// checkHeld fails unless a held v reads back as v read back after a commit,
// whenever [decoded] holds it as a value.
func checkHeld[T any](t *testing.T, v T) (held bool) {
	t.Helper()
	h := decoded(v)
	if h == nil {
		return false
	}
	want, err := roundTrip(v)
	if err != nil {
		t.Fatalf("decoded holds %+v, whose round trip fails: %v", v, err)
	}
	var got T
	if !(heldRecord{val: h}).copyTo(&got) {
		t.Fatalf("copyTo refused a %T", got)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("held value reads back as\n%#v\nafter a commit as\n%#v", got, want)
	}
	return true
}

func TestHeldRecordsReadBackAsCommittedOnes(t *testing.T) {
	now := time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	if err := demo.Write(&buf, demo.Options{Persons: 500, Reference: registry.DateOf(now)}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range bytes.Lines(buf.Bytes()) {
		rec, err := registry.ParseLine(bytes.TrimSuffix(line, []byte("\n")), now)
		if err != nil {
			t.Fatal(err)
		}
		var held bool
		switch rec.Kind {
		case registry.KindPerson:
			held = checkHeld(t, rec.Person)
		case registry.KindDwelling:
			held = checkHeld(t, rec.Dwelling)
		case registry.KindRegistration:
			held = checkHeld(t, rec.Registration)
		default:
			continue
		}
		if !held {
			t.Errorf("%s %s is not held as a value", rec.Kind, rec.Key())
		}
		n++
	}
	if n < 1000 {
		t.Fatalf("only %d records checked", n)
	}

	// Values whose round trip changes them are held as they read back, or
	// not as values at all.
	p := registry.Person{PIN: "21505198500123", Surname: "Асанов", GivenName: "Азамат", BirthDate: registry.NewDate(1985, 5, 15),
		Sex: registry.SexMale, Citizenship: registry.CitizenshipCitizen, Parents: []string{}}
	checkHeld(t, p) // an empty list reads back as none
	bad := p
	bad.Surname = "\xff"
	if checkHeld(t, bad) {
		t.Error("a person with invalid UTF-8 is held as a value")
	}
	old := p
	old.BirthDate = registry.NewDate(1700, 1, 1)
	if checkHeld(t, old) {
		t.Error("a person born before MinYear is held as a value")
	}
	for _, unwritable := range []any{
		registry.Person{PIN: p.PIN},
		registry.Person{PIN: p.PIN, BirthDate: p.BirthDate, IDCard: registry.IDCard{Number: "ID1234567"}},
		registry.Registration{ID: "RG-1"},
	} {
		if decoded(unwritable) != nil {
			t.Errorf("%+v, which cannot be encoded, is held as a value", unwritable)
		}
	}
}

// FuzzHeldRecord holds decoded to encode-then-decode on records built
// from arbitrary strings and dates.
func FuzzHeldRecord(f *testing.F) {
	f.Add("Асанов", "21505198500123", "DW-1", uint8(1), int16(1985), int16(2018), true)
	f.Add("\xff", "", "", uint8(0), int16(0), int16(10000), false)
	f.Add("<&>\u2028", "x", "DW\x00", uint8(2), int16(1799), int16(-1), true)
	f.Fuzz(func(t *testing.T, name, pin, dwelling string, parents uint8, birth, issued int16, stay bool) {
		date := func(y int16) registry.Date {
			if y == 0 {
				return registry.Date{}
			}
			return registry.NewDate(int(y), time.March, 1)
		}
		p := registry.Person{PIN: pin, Surname: name, GivenName: name, Patronymic: name, BirthDate: date(birth),
			Sex: registry.Sex(name), Citizenship: registry.CitizenshipCitizen, Parents: make([]string, parents%3)}
		for i := range p.Parents {
			p.Parents[i] = pin + name
		}
		if issued != 0 {
			p.IDCard = registry.IDCard{Model: registry.IDCardModel(name), Number: name, Issued: date(issued), Expires: date(issued / 2)}
		}
		checkHeld(t, p)
		d := registry.Dwelling{ID: dwelling, Type: registry.DwellingType(name),
			Address: registry.Address{Region: registry.Region(name), District: name, Settlement: name, Street: name, House: name, Apartment: name}}
		for range parents % 3 {
			d.Owners = append(d.Owners, registry.Owner{PIN: pin, Title: registry.OwnerTitle(name)})
		}
		checkHeld(t, d)
		r := registry.Registration{ID: dwelling, PIN: pin, DwellingID: dwelling, Type: registry.Residence, Since: date(birth),
			Ended: date(issued), EndReason: registry.EndReason(name), Record: name, EndRecord: name}
		if stay {
			r.Type, r.Until = registry.Stay, date(issued/2)
		}
		checkHeld(t, r)
	})
}
