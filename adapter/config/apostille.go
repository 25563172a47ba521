package config

import (
	"github.com/darbaza/darbaza/registry"
)

// Apostille configures the apostille register: where an apostille has
// effect. Empty means the list this build ships (registry.DefaultHague,
// dated); operators who follow the depositary's status table set all
// three keys (docs/domain.md, "Apostilles").
type Apostille struct {
	// HagueAsOf is the date the list below was taken, YYYY-MM-DD.
	HagueAsOf string `yaml:"hague_as_of"`
	// HagueParties are the parties to the Apostille Convention, ISO 3166-1
	// alpha-2 codes, the Kyrgyz Republic excluded.
	HagueParties []string `yaml:"hague_parties"`
	// HagueObjectors are the parties whose objection to Kyrgyzstan's
	// accession stands.
	HagueObjectors []string `yaml:"hague_objectors"`
}

// Hague returns the list the register examines destinations against.
func (a Apostille) Hague() (registry.HagueList, error) {
	if a.HagueAsOf == "" && len(a.HagueParties) == 0 && len(a.HagueObjectors) == 0 {
		return registry.DefaultHague(), nil
	}
	asOf, err := registry.ParseDate(a.HagueAsOf)
	if err != nil {
		return registry.HagueList{}, err
	}
	h := registry.HagueList{AsOf: asOf, Parties: a.HagueParties, Objectors: a.HagueObjectors}
	return h, h.Validate()
}

// validate names the first bad key.
func (a Apostille) validate(bad func(key, format string, args ...any) error) error {
	if _, err := a.Hague(); err != nil {
		return bad("apostille", "hague_as_of, hague_parties and hague_objectors go together: %v", err)
	}
	return nil
}
