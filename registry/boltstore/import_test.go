package boltstore_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/demo"
	bolt "go.etcd.io/bbolt"
)

// demoLines returns the demo dataset with persons persons, as import lines,
// and its records parsed.
func demoLines(tb testing.TB, persons int) ([][]byte, []registry.Record) {
	tb.Helper()
	var buf bytes.Buffer
	if err := demo.Write(&buf, demo.Options{Persons: persons, Reference: registry.DateOf(importNow)}); err != nil {
		tb.Fatal(err)
	}
	lines := bytes.SplitAfter(buf.Bytes(), []byte("\n"))
	lines = slices.DeleteFunc(lines, func(l []byte) bool { return len(l) == 0 })
	recs := make([]registry.Record, len(lines))
	for i, l := range lines {
		var err error
		if recs[i], err = registry.ParseLine(bytes.TrimSuffix(l, []byte("\n")), importNow); err != nil {
			tb.Fatalf("line %d: %v", i+1, err)
		}
	}
	return lines, recs
}

var importNow = time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)

func importLines(tb testing.TB, s registry.Store, lines [][]byte) (registry.ImportReport, error) {
	tb.Helper()
	reg := registry.New(s, registry.Options{Now: func() time.Time { return importNow }})
	return reg.Import(context.Background(), bytes.NewReader(bytes.Join(lines, nil)))
}

// TestALargeImportReadsBackAsImported imports enough records that the
// transaction's held writes are flushed as a bulk load (dense pages, records
// encoded in parallel), and reads every record, both indexes and the counts
// back.
func TestALargeImportReadsBackAsImported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s := openStore(t, path)
	lines, recs := demoLines(t, 3000)
	rep, err := importLines(t, s, lines)
	if err != nil {
		t.Fatalf("Import: %v %v", err, rep.Errors)
	}
	var want registry.Stats
	byPIN, byDwelling := map[string][]string{}, map[string][]string{}
	for _, rec := range recs {
		switch rec.Kind {
		case registry.KindPerson:
			want.Persons++
		case registry.KindDwelling:
			want.Dwellings++
		case registry.KindRegistration:
			want.Registrations++
			r := rec.Registration
			byPIN[r.PIN] = append(byPIN[r.PIN], r.ID)
			byDwelling[r.DwellingID] = append(byDwelling[r.DwellingID], r.ID)
		}
	}
	if want.Registrations < 1024 || want.Persons < 1024 || want.Dwellings >= 1024 {
		t.Fatalf("the dataset no longer has buckets on both sides of a bulk load: %+v", want)
	}
	ids := func(regs []registry.Registration) []string {
		var out []string
		for _, r := range regs {
			out = append(out, r.ID)
		}
		slices.Sort(out)
		return out
	}
	err = s.View(context.Background(), func(tx registry.Tx) error {
		if got, err := tx.Stats(); err != nil || got != want {
			t.Errorf("Stats = %+v, %v; want %+v", got, err, want)
		}
		for _, rec := range recs {
			var got, exp any
			var err error
			switch rec.Kind {
			case registry.KindPerson:
				exp = rec.Person
				got, err = tx.Person(rec.Person.PIN)
				regs, rerr := tx.RegistrationsOf(rec.Person.PIN)
				wantIDs := slices.Sorted(slices.Values(byPIN[rec.Person.PIN]))
				if rerr != nil || !slices.Equal(ids(regs), wantIDs) {
					t.Errorf("RegistrationsOf(%s) = %v, %v; want %v", rec.Person.PIN, ids(regs), rerr, wantIDs)
				}
			case registry.KindDwelling:
				exp = rec.Dwelling
				got, err = tx.Dwelling(rec.Dwelling.ID)
				regs, rerr := tx.RegistrationsAt(rec.Dwelling.ID)
				wantIDs := slices.Sorted(slices.Values(byDwelling[rec.Dwelling.ID]))
				if rerr != nil || !slices.Equal(ids(regs), wantIDs) {
					t.Errorf("RegistrationsAt(%s) = %v, %v; want %v", rec.Dwelling.ID, ids(regs), rerr, wantIDs)
				}
			case registry.KindRegistration:
				exp = rec.Registration
				got, err = tx.Registration(rec.Registration.ID)
			default:
				continue
			}
			if err != nil || !reflect.DeepEqual(got, exp) {
				t.Fatalf("%s %s read back as %+v, %v; want %+v", rec.Kind, rec.Key(), got, err, exp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// The leaf pages of the buckets bulk-loaded (a thousand entries or more:
	// all but dwellings here) are nearly full, where bbolt's default fill
	// would leave them half empty.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for _, name := range []string{"persons", "dwellings", "registrations", "registrations_by_pin", "registrations_by_dwelling"} {
			st := tx.Bucket([]byte(name)).Stats()
			if st.KeyN < 1024 {
				continue
			}
			if fill := float64(st.LeafInuse) / float64(st.LeafAlloc); fill < 0.85 {
				t.Errorf("bucket %s: leaf pages %.0f%% full (%d of %d bytes)", name, 100*fill, st.LeafInuse, st.LeafAlloc)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestALargeImportWithABadLineHalfwayWritesNothing checks all or nothing
// on a batch large enough for a bulk load: a bad line in its middle leaves
// the file's records exactly as they were.
func TestALargeImportWithABadLineHalfwayWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s := openStore(t, path)
	importFamily(t, s)
	s.Close()
	before := dump(t, path)

	s = openStore(t, path)
	lines, recs := demoLines(t, 3000)
	// A registration halfway through names a dwelling the batch lacks: it is
	// refused when the rules check it against the store, after every person
	// and dwelling of the batch was put in the transaction.
	half := len(lines) / 2
	for recs[half].Kind != registry.KindRegistration {
		half++
	}
	bad := recs[half]
	bad.Registration.DwellingID = "DW-NOWHERE"
	line, err := registry.EncodeLine(bad)
	if err != nil {
		t.Fatal(err)
	}
	lines[half] = append(line, '\n')
	rep, err := importLines(t, s, lines)
	if !errors.Is(err, registry.ErrInvalidBatch) || len(rep.Errors) != 1 || rep.Errors[0].Line != half+1 ||
		!errors.Is(rep.Errors[0].Err, registry.ErrUnknownDwelling) {
		t.Fatalf("Import = %v, %+v; want line %d refused for its unknown dwelling", err, rep.Errors, half+1)
	}
	s.Close()
	if after := dump(t, path); !reflect.DeepEqual(after, before) {
		t.Errorf("the refused import changed the file: %d entries before, %d after", len(before), len(after))
	}
}

// TestALargeImportTwiceLeavesTheSameRecords imports the same large batch
// into a store that holds it already: every record is replaced by itself.
func TestALargeImportTwiceLeavesTheSameRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s := openStore(t, path)
	lines, _ := demoLines(t, 1500)
	first, err := importLines(t, s, lines)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := dump(t, path)
	s = openStore(t, path)
	second, err := importLines(t, s, lines)
	if err != nil {
		t.Fatal(err)
	}
	written := first.Persons + first.Dwellings + first.Registrations + first.Taxpayers + first.Bindings + first.Officials + first.Apostilles
	if second.Replaced != written || first.Replaced != 0 {
		t.Errorf("Replaced = %d then %d; want 0 then %d", first.Replaced, second.Replaced, written)
	}
	s.Close()
	if after := dump(t, path); !reflect.DeepEqual(after, before) {
		t.Errorf("importing the batch again changed the file: %d entries before, %d after", len(before), len(after))
	}
}
