package registry_test

import (
	"testing"

	"github.com/darbaza/darbaza/registry"
)

// FuzzParseINN: an accepted INN is 14 digits, an entity's when it starts
// with 0, else a valid PIN.
func FuzzParseINN(f *testing.F) {
	for _, s := range []string{"21505198500123", "01205201010017", "2150519850012X", "09999999999999", "", "31505198500123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, err := registry.ParseINN(s, testNow)
		if err != nil {
			return
		}
		if len(s) != registry.INNLength {
			t.Fatalf("accepted %q of length %d", s, len(s))
		}
		switch kind {
		case registry.TaxpayerEntity:
			if s[0] != '0' {
				t.Fatalf("%q is an entity's but does not start with 0", s)
			}
		case registry.TaxpayerIndividual:
			if _, err := registry.ParsePIN(s, testNow); err != nil {
				t.Fatalf("%q is an individual's but no PIN: %v", s, err)
			}
		default:
			t.Fatalf("%q: kind %q", s, kind)
		}
	})
}

// FuzzParseApostilleNumber: an accepted number is written back the same.
func FuzzParseApostilleNumber(f *testing.F) {
	for _, s := range []string{"2026-000001", "26/000001", "2026-009999", "+026-000001", "2026-00000１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		year, seq, err := registry.ParseApostilleNumber(s)
		if err != nil {
			return
		}
		if back := registry.FormatApostilleNumber(year, seq); back != s {
			t.Fatalf("ParseApostilleNumber(%q) = %d, %d, written back as %q", s, year, seq, back)
		}
	})
}
