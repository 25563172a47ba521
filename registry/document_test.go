package registry_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/registry"
)

func TestDocumentNumbersHaveElevenDigitsAndDoNotRepeat(t *testing.T) {
	seen := map[string]bool{}
	firsts := map[byte]int{}
	for range 2000 {
		n, err := registry.NewDocumentNumber(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := registry.ValidDocumentNumber(n); err != nil {
			t.Fatalf("%q: %v", n, err)
		}
		if seen[n] {
			t.Fatalf("%s drawn twice in 2000 draws", n)
		}
		seen[n] = true
		firsts[n[0]]++
	}
	// Uniform over 1..9: each first digit about 222 times in 2000.
	for d := byte('1'); d <= '9'; d++ {
		if firsts[d] < 120 {
			t.Errorf("first digit %c drawn %d times in 2000", d, firsts[d])
		}
	}
}

func TestAMalformedDocumentNumberIsInvalid(t *testing.T) {
	for _, n := range []string{"", "2429997120", "242999712060", "04299971206", "2429997120x", "２４２９９９７１２０６"} {
		if err := registry.ValidDocumentNumber(n); !errors.Is(err, registry.ErrInvalidID) {
			t.Errorf("ValidDocumentNumber(%q) = %v, want ErrInvalidID", n, err)
		}
	}
}

func TestNumbersFromABrokenSourceFail(t *testing.T) {
	if _, err := registry.NewDocumentNumber(strings.NewReader("")); err == nil {
		t.Error("an empty source gave a number")
	}
}
