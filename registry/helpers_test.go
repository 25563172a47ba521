package registry

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testNow is the clock of every test store: 2026-11-22 10:00 UTC.
var testNow = time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// openTestStore opens a fresh store in a temporary directory on testNow.
func openTestStore(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(filepath.Join(tb.TempDir(), "registry.db"), Options{Now: fixedClock, NoSync: true})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
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
func mustImport(tb testing.TB, s *Store, data []byte) ImportReport {
	tb.Helper()
	rep, err := s.Import(context.Background(), bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("Import: %v; line errors: %v", err, rep.Errors)
	}
	return rep
}
