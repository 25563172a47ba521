package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
)

// The rules are tested through a real store: boltstore. The contract itself
// is pinned by registry/storetest, which every store runs.

// testNow is the clock of every test registry: 2026-11-22 10:00 UTC.
var testNow = time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// testRegistry is a registry with its store at hand.
type testRegistry struct {
	*registry.Registry
	store registry.Store
}

// openTestStore opens a fresh registry in a temporary directory on testNow.
func openTestStore(tb testing.TB) testRegistry {
	tb.Helper()
	return openTestStoreAt(tb, fixedClock)
}

// openTestStoreAt opens a fresh registry on the given clock.
func openTestStoreAt(tb testing.TB, now func() time.Time) testRegistry {
	tb.Helper()
	st, err := boltstore.Open(filepath.Join(tb.TempDir(), "registry.db"), boltstore.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	reg := registry.New(st, registry.Options{Now: now})
	tb.Cleanup(func() { reg.Close() })
	return testRegistry{reg, st}
}

// readTestdata returns the bytes of testdata/name.
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustImport imports data and fails the test on any error.
func mustImport(tb testing.TB, s testRegistry, data []byte) registry.ImportReport {
	tb.Helper()
	rep, err := s.Import(context.Background(), bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("Import: %v; line errors: %v", err, rep.Errors)
	}
	return rep
}

// storeDump renders, through the storage contract, every record whose key
// appears in testdata/valid.jsonl, the indexes of those persons and
// dwellings, and the record counts, for comparisons.
func storeDump(tb testing.TB, s testRegistry) string {
	tb.Helper()
	var pins, dwellings, regs []string
	for _, line := range bytes.Split(bytes.TrimSpace(readTestdata(tb, "valid.jsonl")), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		rec, err := registry.ParseLine(line, testNow)
		if err != nil {
			tb.Fatal(err)
		}
		switch rec.Kind {
		case registry.KindPerson:
			pins = append(pins, rec.Key())
		case registry.KindDwelling:
			dwellings = append(dwellings, rec.Key())
		case registry.KindRegistration:
			regs = append(regs, rec.Key())
		}
	}
	var out []string
	add := func(what string, v any, err error) {
		b, _ := json.Marshal(v)
		out = append(out, fmt.Sprintf("%s %s %v", what, b, err))
	}
	ids := func(rs []registry.Registration) []string {
		var s []string
		for _, r := range rs {
			s = append(s, r.ID)
		}
		slices.Sort(s)
		return s
	}
	err := s.store.View(context.Background(), func(tx registry.Tx) error {
		for _, k := range pins {
			p, err := tx.Person(k)
			add("person "+k, p, err)
			rs, err := tx.RegistrationsOf(k)
			add("of "+k, ids(rs), err)
		}
		for _, k := range dwellings {
			d, err := tx.Dwelling(k)
			add("dwelling "+k, d, err)
			rs, err := tx.RegistrationsAt(k)
			add("at "+k, ids(rs), err)
		}
		for _, k := range regs {
			r, err := tx.Registration(k)
			add("registration "+k, r, err)
		}
		stats, err := tx.Stats()
		add("stats", stats, err)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Join(out, "\n")
}

func backupBytes(tb testing.TB, s testRegistry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if _, err := s.Backup(context.Background(), &buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
