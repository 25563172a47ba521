package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/darbaza/darbaza/registry"
	bolt "go.etcd.io/bbolt"
)

func TestThePersonEncodingHoldsEveryFieldOfPerson(t *testing.T) {
	if n := reflect.TypeFor[registry.Person]().NumField(); n != personFields {
		t.Fatalf("registry.Person has %d fields, the compact encoding holds %d: a new field needs a new format byte", n, personFields)
	}
	p := registry.Person{PIN: "21505198500123", Surname: "Асанов", GivenName: "Азамат", Patronymic: "Бакытович",
		BirthDate: registry.NewDate(1985, 5, 15), Sex: registry.SexMale, Citizenship: registry.CitizenshipCitizen,
		ConsularRegister: true, IDCard: registry.IDCard{Model: registry.IDCard2017, Number: "ID1234567",
			Issued: registry.NewDate(2018, 3, 1), Expires: registry.NewDate(2028, 3, 1)},
		Parents: []string{"10101196000011", "20202195900022"}}
	raw, err := encode(p)
	if err != nil || raw[0] != formatPerson {
		t.Fatalf("encode = %q, %v", raw, err)
	}
	var got registry.Person
	if err := decode(raw, &got); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("decode = %+v, %v; want %+v", got, err, p)
	}
	json, err := roundTripJSON(p)
	if err != nil || !reflect.DeepEqual(json, p) {
		t.Fatalf("the JSON round trip = %+v, %v", json, err)
	}
	// A person JSON cannot write fails as before.
	if raw, err := encode(registry.Person{PIN: p.PIN}); err == nil {
		t.Errorf("a person without a birth date encoded as %q", raw)
	}
}

// roundTripJSON is a person written as before the compact encoding, and
// read back.
func roundTripJSON(p registry.Person) (registry.Person, error) {
	var out registry.Person
	b, err := json.Marshal(p)
	if err != nil {
		return out, err
	}
	return out, decode(append([]byte{formatV1}, b...), &out)
}

// TestPersonsWrittenAsJSONReadAsBefore: files written before the compact
// encoding hold every person as JSON (formatV1); they read back unchanged,
// and a person replaced is written compactly beside them.
func TestPersonsWrittenAsJSONReadAsBefore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	const old = "\x01" + `{"pin":"21505198500123","surname":"Асанов","given_name":"Азамат","birth_date":"1985-05-15","sex":"male","citizenship":"citizen","id_card":{"model":"2017","number":"ID1234567","issued":"2018-03-01","expires":"2028-03-01"},"parents":["10101196000011"]}`
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketPersons))
		if err := b.Put([]byte("21505198500123"), []byte(old)); err != nil {
			return err
		}
		return b.Put([]byte("21505198500124"), []byte("\x02\x0e21505198500124"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := registry.Person{PIN: "21505198500123", Surname: "Асанов", GivenName: "Азамат",
		BirthDate: registry.NewDate(1985, 5, 15), Sex: registry.SexMale, Citizenship: registry.CitizenshipCitizen,
		IDCard: registry.IDCard{Model: registry.IDCard2017, Number: "ID1234567",
			Issued: registry.NewDate(2018, 3, 1), Expires: registry.NewDate(2028, 3, 1)},
		Parents: []string{"10101196000011"}}
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	err = s.View(ctx, func(tx registry.Tx) error {
		if got, err := tx.Person(want.PIN); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Person = %+v, %v; want %+v", got, err, want)
		}
		if _, err := tx.Person("21505198500124"); !errors.Is(err, registry.ErrCorrupt) {
			t.Errorf("a truncated compact record: Person error = %v, want ErrCorrupt", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx registry.Tx) error { _, err := tx.PutPerson(want); return err }); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(rtx registry.Tx) error {
		raw := rtx.(*tx).btx.Bucket([]byte(bucketPersons)).Get([]byte(want.PIN))
		if len(raw) == 0 || raw[0] != formatPerson {
			t.Errorf("the replaced person is stored as %q", raw)
		}
		if got, err := rtx.Person(want.PIN); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Person after the put = %+v, %v; want %+v", got, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzPersonRecord: any bytes decode as a person or fail as ErrCorrupt,
// and what decodes is exactly what the encoder writes for that person (one
// encoding per person, so nothing is read that was not written).
func FuzzPersonRecord(f *testing.F) {
	for _, p := range []registry.Person{
		{PIN: "21505198500123", Surname: "Асанов", GivenName: "Азамат", BirthDate: registry.NewDate(1985, 5, 15),
			Sex: registry.SexMale, Citizenship: registry.CitizenshipCitizen},
		{PIN: "1", BirthDate: registry.NewDate(1, 1, 2), ConsularRegister: true, Parents: []string{"", "x"},
			IDCard: registry.IDCard{Number: "\xff", Issued: registry.NewDate(9999, 12, 31), Expires: registry.NewDate(1969, 12, 31)}},
	} {
		raw, ok := encodePerson(nil, p)
		if !ok {
			f.Fatalf("encodePerson refused %+v", p)
		}
		f.Add(raw)
	}
	f.Add([]byte("\x02\x00\x00\x00\x00\x80\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p registry.Person
		err := decode(raw, &p)
		if err != nil {
			if !errors.Is(err, registry.ErrCorrupt) {
				t.Fatalf("decode error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if len(raw) > 0 && raw[0] != formatPerson {
			return // JSON
		}
		again, ok := encodePerson(nil, p)
		if !ok || !bytes.Equal(again, raw) {
			t.Fatalf("%q decodes as %+v, which encodes as %q (%v)", raw, p, again, ok)
		}
	})
}
