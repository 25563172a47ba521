package registry

import (
	"fmt"
	"slices"
	"strings"
)

// isoCountries are the ISO 3166-1 alpha-2 codes of every country and
// territory: a destination must be one of them.
const isoCountries = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

var countrySet = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(isoCountries) {
		m[c] = true
	}
	return m
}()

// KnownCountry reports whether code is an ISO 3166-1 alpha-2 code.
func KnownCountry(code string) bool { return countrySet[code] }

// HagueList says where an apostille placed in the Kyrgyz Republic has
// effect: the states party to the Hague Convention of 5 October 1961
// abolishing the requirement of legalisation (the Apostille Convention),
// less those that objected to Kyrgyzstan's accession under its Article
// 12. It is data: operators keep it current from the depositary's status
// table (docs/domain.md, "Apostilles").
type HagueList struct {
	AsOf      Date     // the date the list was taken
	Parties   []string // ISO 3166-1 alpha-2, the Kyrgyz Republic excluded
	Objectors []string // parties whose objection stands
}

// DefaultHague is the list this build ships, as of 1 November 2024: the
// parties then in force, and the objections to Kyrgyzstan's accession
// (2011) then standing: Austria, Belgium and Greece. Germany withdrew its
// objection on 7 October 2024.
func DefaultHague() HagueList {
	return HagueList{
		AsOf: NewDate(2024, 11, 1),
		Parties: strings.Fields("AD AG AL AM AR AT AU AZ BA BB BE BG BH BI BN BO BR BS BW BY BZ CA CH CK CL CN CO CR CV CY CZ " +
			"DE DK DM DO EC EE ES FI FJ FR GB GD GE GR GT GY HN HR HU ID IE IL IN IS IT JP KN KR KZ LC LI LR LS LT LU LV " +
			"MA MC MD ME MH MK MN MT MU MW MX NA NI NL NO NU NZ OM PA PE PH PK PL PT PW PY RO RS RU RW SA SC SE SG SI SK SM " +
			"SN SR ST SV SZ TJ TN TO TR TT UA US UY UZ VC VE WS ZA"),
		Objectors: []string{"AT", "BE", "GR"},
	}
}

// Party reports whether code is a party to the Convention on the list.
func (h HagueList) Party(code string) bool { return slices.Contains(h.Parties, code) }

// Objects reports whether code objected to Kyrgyzstan's accession.
func (h HagueList) Objects(code string) bool { return slices.Contains(h.Objectors, code) }

// IsZero reports whether h is the empty list (no date, no parties).
func (h HagueList) IsZero() bool {
	return h.AsOf.IsZero() && len(h.Parties) == 0 && len(h.Objectors) == 0
}

// Validate checks that every code is a known one, that the Kyrgyz
// Republic is not its own party, and that every objector is a party.
func (h HagueList) Validate() error {
	if h.AsOf.IsZero() {
		return fmt.Errorf("%w: as_of", ErrMissingField)
	}
	for _, c := range slices.Concat(h.Parties, h.Objectors) {
		if !KnownCountry(c) {
			return fmt.Errorf("%w: %q is not an ISO 3166-1 alpha-2 code", ErrInvalidValue, c)
		}
		if c == "KG" {
			return fmt.Errorf("%w: KG: an apostille is placed for use abroad", ErrInvalidValue)
		}
	}
	for _, c := range h.Objectors {
		if !h.Party(c) {
			return fmt.Errorf("%w: objector %s is not a party", ErrInvalidValue, c)
		}
	}
	return nil
}
