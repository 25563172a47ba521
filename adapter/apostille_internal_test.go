package adapter

import (
	"testing"

	"github.com/darbaza/darbaza/registry"
)

func TestEveryApostilleGroundHasItsOwnCodeAndTexts(t *testing.T) {
	seen := map[string]registry.Ground{}
	for _, g := range registry.Grounds {
		code, ok := groundCodes[g]
		if !ok {
			t.Errorf("ground %s has no outcome code", g)
			continue
		}
		if other, dup := seen[code]; dup {
			t.Errorf("grounds %s and %s share the code %s", g, other, code)
		}
		seen[code] = g
		o, ok := outcomeOf(verdict{code: OutcomeApostilleRefused, grounds: []string{code}})
		if !ok || len(o.grounds) != 1 || o.grounds[0].ky == "" || o.grounds[0].ru == "" || o.grounds[0].ky == o.grounds[0].ru {
			t.Errorf("ground %s (%s): %+v", g, code, o)
		}
	}
	if len(groundCodes) != len(registry.Grounds) {
		t.Errorf("%d ground codes for %d grounds", len(groundCodes), len(registry.Grounds))
	}
	if _, ok := outcomeOf(verdict{code: OutcomeApostilleRefused, grounds: []string{"NoSuchGround"}}); ok {
		t.Error("a ground without texts was accepted")
	}
}
