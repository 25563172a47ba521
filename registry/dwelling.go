package registry

import (
	"fmt"
	"unicode/utf8"
)

// DwellingType is a unit of the housing fund, as enumerated in seed 000
// §2(1) (турак жай).
type DwellingType string

// Dwelling types, in the order of seed 000 §2(1).
const (
	DwellingHouse            DwellingType = "house"                       // жеке турак үй
	DwellingPartOfHouse      DwellingType = "part_of_house"               // жеке турак үйдүн бөлүгү
	DwellingApartment        DwellingType = "apartment"                   // көп батирлүү үйдөгү батир
	DwellingCommunalFlat     DwellingType = "communal_flat"               // коммуналдык батир
	DwellingRoomCommunalFlat DwellingType = "room_in_communal_flat"       // коммуналдык батирдеги бөлмө
	DwellingRoomSpecialized  DwellingType = "room_in_specialized_housing" // адистештирилген турак жай фондунун үйлөрүндөгү бөлмө
	DwellingMobile           DwellingType = "mobile_dwelling"             // көчмө турак жай фондунун турак үйү
)

// DwellingTypes lists every dwelling type in the order of seed 000 §2(1).
var DwellingTypes = []DwellingType{
	DwellingHouse, DwellingPartOfHouse, DwellingApartment, DwellingCommunalFlat,
	DwellingRoomCommunalFlat, DwellingRoomSpecialized, DwellingMobile,
}

// needsApartment reports whether an address of this type must name the
// apartment or room.
func (t DwellingType) needsApartment() bool {
	switch t {
	case DwellingApartment, DwellingCommunalFlat, DwellingRoomCommunalFlat, DwellingRoomSpecialized:
		return true
	}
	return false
}

func (t DwellingType) valid() bool {
	for _, v := range DwellingTypes {
		if t == v {
			return true
		}
	}
	return false
}

// Region is a first-level division of the Kyrgyz Republic: the two cities of
// republican significance and the seven regions (облус).
type Region string

// Regions.
const (
	RegionBishkek   Region = "bishkek"
	RegionOshCity   Region = "osh_city"
	RegionChuy      Region = "chuy"
	RegionOsh       Region = "osh"
	RegionJalalAbad Region = "jalal_abad"
	RegionBatken    Region = "batken"
	RegionNaryn     Region = "naryn"
	RegionIssykKul  Region = "issyk_kul"
	RegionTalas     Region = "talas"
)

// Regions lists every region.
var Regions = []Region{
	RegionBishkek, RegionOshCity, RegionChuy, RegionOsh, RegionJalalAbad,
	RegionBatken, RegionNaryn, RegionIssykKul, RegionTalas,
}

var regionNames = map[Region][2]string{
	RegionBishkek:   {"Бишкек шаары", "город Бишкек"},
	RegionOshCity:   {"Ош шаары", "город Ош"},
	RegionChuy:      {"Чүй облусу", "Чуйская область"},
	RegionOsh:       {"Ош облусу", "Ошская область"},
	RegionJalalAbad: {"Жалал-Абад облусу", "Джалал-Абадская область"},
	RegionBatken:    {"Баткен облусу", "Баткенская область"},
	RegionNaryn:     {"Нарын облусу", "Нарынская область"},
	RegionIssykKul:  {"Ысык-Көл облусу", "Иссык-Кульская область"},
	RegionTalas:     {"Талас облусу", "Таласская область"},
}

// NameKy returns the region's name in Kyrgyz, or "" for an unknown region.
func (r Region) NameKy() string { return regionNames[r][0] }

// NameRu returns the region's name in Russian, or "" for an unknown region.
func (r Region) NameRu() string { return regionNames[r][1] }

// Address locates a dwelling. Region is a code; the other parts are text as
// written in the registry (Kyrgyz, Cyrillic).
type Address struct {
	Region     Region `json:"region"`
	District   string `json:"district,omitempty"` // район; empty in cities without districts
	Settlement string `json:"settlement"`         // city, town or village
	Street     string `json:"street,omitempty"`   // may be empty for a mobile dwelling
	House      string `json:"house,omitempty"`    // may be empty for a mobile dwelling
	Apartment  string `json:"apartment,omitempty"`
}

// OwnerTitle is the legal ground on which an owner holds a dwelling.
type OwnerTitle string

// Owner titles. [TitleUser] marks an unlawful construction: the person is
// recorded only as its user, and may not register others there (seed 000 §5).
const (
	TitleOwner OwnerTitle = "owner"
	TitleUser  OwnerTitle = "user"
)

// Owner is one holder of a dwelling.
type Owner struct {
	PIN   string     `json:"pin"`
	Title OwnerTitle `json:"title"`
}

// Dwelling is a unit of the housing fund, keyed by ID.
type Dwelling struct {
	ID      string       `json:"id"` // see [ValidID]
	Type    DwellingType `json:"type"`
	Address Address      `json:"address"`
	// Owners are the persons holding the dwelling. An empty list means it
	// belongs to the state or a legal entity (typical of specialised housing).
	Owners []Owner `json:"owners,omitempty"`
}

// Validate checks d on its own: identifier, type, address and owners' PIN
// syntax and titles. Whether the owners exist is checked by [Registry.Import].
func (d Dwelling) Validate() error {
	if err := ValidID(d.ID); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	switch {
	case d.Type == "":
		return fmt.Errorf("%w: type", ErrMissingField)
	case !d.Type.valid():
		return fmt.Errorf("%w: type %q (want one of %v)", ErrInvalidValue, d.Type, DwellingTypes)
	}
	a := d.Address
	switch {
	case a.Region == "":
		return fmt.Errorf("%w: address.region", ErrMissingField)
	case a.Region.NameKy() == "":
		return fmt.Errorf("%w: address.region %q (want one of %v)", ErrInvalidValue, a.Region, Regions)
	}
	parts := []struct {
		name, v  string
		required bool
	}{
		{"address.district", a.District, false},
		{"address.settlement", a.Settlement, true},
		{"address.street", a.Street, d.Type != DwellingMobile},
		{"address.house", a.House, d.Type != DwellingMobile},
		{"address.apartment", a.Apartment, d.Type.needsApartment()},
	}
	for _, p := range parts {
		if err := checkText(p.name, p.v, p.required); err != nil {
			return err
		}
	}
	seen := make(map[string]bool, len(d.Owners))
	for i, o := range d.Owners {
		if err := checkPINSyntax(o.PIN); err != nil {
			return fmt.Errorf("owners[%d].pin: %w", i, err)
		}
		if seen[o.PIN] {
			return fmt.Errorf("%w: owners[%d].pin %s listed twice", ErrInvalidValue, i, o.PIN)
		}
		seen[o.PIN] = true
		switch o.Title {
		case "":
			return fmt.Errorf("%w: owners[%d].title", ErrMissingField, i)
		case TitleOwner, TitleUser:
		default:
			return fmt.Errorf("%w: owners[%d].title %q (want owner or user)", ErrInvalidValue, i, o.Title)
		}
	}
	return nil
}

// ValidID checks a dwelling or registration identifier: 1 to 40 characters,
// capital Latin letters, digits and inner hyphens. Errors wrap [ErrInvalidID].
func ValidID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrInvalidID)
	}
	if len(id) > maxIdentifierLen {
		return fmt.Errorf("%w: longer than %d characters", ErrInvalidID, maxIdentifierLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(id)-1:
		default:
			return fmt.Errorf("%w: %q (want capital Latin letters, digits, inner hyphens)", ErrInvalidID, id)
		}
	}
	return nil
}

// checkPINSyntax checks a PIN's shape without reference to the clock; the
// referenced person's record carries the full check.
func checkPINSyntax(pin string) error {
	_, err := ParsePIN(pin, maxTime)
	return err
}

// checkText accepts printable UTF-8 of at most 200 characters without
// surrounding spaces.
func checkText(field, v string, required bool) error {
	if v == "" {
		if required {
			return fmt.Errorf("%w: %s", ErrMissingField, field)
		}
		return nil
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxAddressRunes {
		return fmt.Errorf("%w: %s is not valid UTF-8 of at most %d characters", ErrInvalidValue, field, maxAddressRunes)
	}
	if v[0] == ' ' || v[len(v)-1] == ' ' {
		return fmt.Errorf("%w: %s %q has surrounding spaces", ErrInvalidValue, field, v)
	}
	for _, r := range v {
		if r < ' ' || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("%w: %s contains control character %U", ErrInvalidValue, field, r)
		}
	}
	return nil
}
