package registry

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testNow is the clock of the tests: 2026-11-22 10:00 UTC.
var testNow = time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)

// readTestdata returns the bytes of testdata/name.
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
