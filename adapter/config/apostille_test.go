package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/registry"
)

func TestTheApostilleSectionSetsTheHagueList(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		parties int // of the list, when valid
		wantErr bool
	}{
		{"no section is the built-in list", "", len(registry.DefaultHague().Parties), false},
		{"a dated list replaces it", "apostille:\n  hague_as_of: 2026-01-01\n  hague_parties: [DE, KZ, AT]\n  hague_objectors: [AT]\n", 3, false},
		{"a list without its date is refused", "apostille:\n  hague_parties: [DE]\n", 0, true},
		{"an unknown country code is refused", "apostille:\n  hague_as_of: 2026-01-01\n  hague_parties: [XX]\n", 0, true},
		{"an objector that is no party is refused", "apostille:\n  hague_as_of: 2026-01-01\n  hague_parties: [DE]\n  hague_objectors: [AT]\n", 0, true},
		{"an unknown key is refused", "apostille:\n  hague_members: [DE]\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml))
			if err == nil {
				err = c.Validate()
			}
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "apostille") && !strings.Contains(err.Error(), "hague_members") {
					t.Fatalf("error %v, want ErrInvalid naming the key", err)
				}
				return
			}
			h, herr := c.Apostille.Hague()
			if err != nil || herr != nil || len(h.Parties) != tt.parties {
				t.Fatalf("Validate %v, Hague = %+v, %v", err, h, herr)
			}
		})
	}
}
