package registry

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sex is the holder's sex as encoded in the first PIN digit.
type Sex string

// Sex values.
const (
	SexFemale Sex = "female" // PIN starts with 1
	SexMale   Sex = "male"   // PIN starts with 2
)

// Citizenship is a person's status with respect to Kyrgyz citizenship.
type Citizenship string

// Citizenship values. A person who renounced citizenship may not be
// registered online (seed 000 §5).
const (
	CitizenshipCitizen   Citizenship = "citizen"
	CitizenshipRenounced Citizenship = "renounced"
)

// IDCardModel is the model year of a Kyrgyz ID card (паспорт ID-карта).
// Only these models allow applying online (seed 000 §2). The zero value,
// [IDCardNone], means the person holds no ID card of these models.
type IDCardModel string

// ID card models.
const (
	IDCardNone IDCardModel = ""
	IDCard2004 IDCardModel = "2004"
	IDCard2017 IDCardModel = "2017"
	IDCard2024 IDCardModel = "2024"
)

// Limits on textual fields.
const (
	maxNameRunes     = 100
	idCardNumberLen  = 9 // two capital Latin letters and seven digits
	maxAddressRunes  = 200
	maxIdentifierLen = 40
)

// IDCard is the identity document a person holds. Its zero value means "no ID
// card of an eligible model".
type IDCard struct {
	Model   IDCardModel `json:"model"`
	Number  string      `json:"number"`  // e.g. ID1234567: two capital Latin letters, seven digits
	Issued  Date        `json:"issued"`  // on or after the holder's birth date, not in the future
	Expires Date        `json:"expires"` // after Issued
}

// Present reports whether the person holds an ID card of an eligible model.
func (c IDCard) Present() bool { return c.Model != IDCardNone }

// Person is an individual in the population registry, keyed by PIN.
type Person struct {
	PIN              string      `json:"pin"`
	Surname          string      `json:"surname"`
	GivenName        string      `json:"given_name"`
	Patronymic       string      `json:"patronymic,omitempty"` // many Kyrgyz names have none
	BirthDate        Date        `json:"birth_date"`           // must equal the PIN's date
	Sex              Sex         `json:"sex"`                  // must equal the PIN's first digit
	Citizenship      Citizenship `json:"citizenship"`
	ConsularRegister bool        `json:"consular_register,omitempty"` // lives abroad, on the consular register
	IDCard           IDCard      `json:"id_card,omitzero"`            // omitted: no eligible ID card
	// Parents are the PINs of the person's mother and father as the civil
	// registry knows them (at most two, never the person's own). An
	// application for a minor must name them (seed 000 §6).
	Parents []string `json:"parents,omitempty"`
}

// MinorOn reports whether p is under 18 on day.
func (p Person) MinorOn(day Date) bool { return day.Before(p.BirthDate.AddDate(AdultAge, 0, 0)) }

// AdultAge is the age of majority in the Kyrgyz Republic.
const AdultAge = 18

// MayApplyOnline reports whether p satisfies the applicant conditions of
// seed 000 that the registry can check by itself: a citizen, not on the
// consular register, holding an ID card of the 2004, 2017 or 2024 model that
// has not expired on the given day.
func (p Person) MayApplyOnline(on Date) bool {
	return p.Citizenship == CitizenshipCitizen && !p.ConsularRegister &&
		p.IDCard.Present() && !p.IDCard.Expires.Before(on)
}

// Validate checks p on its own: the PIN per [ParsePIN] at now, names, enum
// values, that birth date and sex agree with the PIN, and the ID card. It
// does not look at other records.
func (p Person) Validate(now time.Time) error {
	info, err := ParsePIN(p.PIN, now)
	if err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	if err := checkName("surname", p.Surname, true); err != nil {
		return err
	}
	if err := checkName("given_name", p.GivenName, true); err != nil {
		return err
	}
	if err := checkName("patronymic", p.Patronymic, false); err != nil {
		return err
	}
	if p.BirthDate.IsZero() {
		return fmt.Errorf("%w: birth_date", ErrMissingField)
	}
	if p.BirthDate != info.BirthDate {
		return fmt.Errorf("%w: birth_date %s, PIN says %s", ErrPINMismatch, p.BirthDate, info.BirthDate)
	}
	switch p.Sex {
	case "":
		return fmt.Errorf("%w: sex", ErrMissingField)
	case SexFemale, SexMale:
	default:
		return fmt.Errorf("%w: sex %q (want female or male)", ErrInvalidValue, p.Sex)
	}
	if p.Sex != info.Sex {
		return fmt.Errorf("%w: sex %s, PIN says %s", ErrPINMismatch, p.Sex, info.Sex)
	}
	switch p.Citizenship {
	case "":
		return fmt.Errorf("%w: citizenship", ErrMissingField)
	case CitizenshipCitizen, CitizenshipRenounced:
	default:
		return fmt.Errorf("%w: citizenship %q (want citizen or renounced)", ErrInvalidValue, p.Citizenship)
	}
	if len(p.Parents) > 2 {
		return fmt.Errorf("%w: parents: %d PINs (at most two)", ErrInvalidValue, len(p.Parents))
	}
	for i, pin := range p.Parents {
		if err := checkPINSyntax(pin); err != nil {
			return fmt.Errorf("parents[%d]: %w", i, err)
		}
		if pin == p.PIN || i == 1 && pin == p.Parents[0] {
			return fmt.Errorf("%w: parents[%d] %s repeats a PIN", ErrInvalidValue, i, pin)
		}
	}
	return p.IDCard.validate(p.BirthDate, DateOf(now))
}

func (c IDCard) validate(birth, today Date) error {
	if c == (IDCard{}) {
		return nil
	}
	switch c.Model {
	case IDCardNone:
		return fmt.Errorf("%w: id_card.model (omit id_card when there is none)", ErrMissingField)
	case IDCard2004, IDCard2017, IDCard2024:
	default:
		return fmt.Errorf("%w: id_card.model %q (want 2004, 2017 or 2024)", ErrInvalidValue, c.Model)
	}
	if !validCardNumber(c.Number) {
		return fmt.Errorf("%w: id_card.number %q (want two capital Latin letters and seven digits)", ErrInvalidValue, c.Number)
	}
	if c.Issued.IsZero() {
		return fmt.Errorf("%w: id_card.issued", ErrMissingField)
	}
	if c.Expires.IsZero() {
		return fmt.Errorf("%w: id_card.expires", ErrMissingField)
	}
	if c.Issued.Before(birth) {
		return fmt.Errorf("%w: id_card.issued %s before birth %s", ErrDateOrder, c.Issued, birth)
	}
	if c.Issued.After(today) {
		return fmt.Errorf("%w: id_card.issued %s", ErrFutureDate, c.Issued)
	}
	if !c.Expires.After(c.Issued) {
		return fmt.Errorf("%w: id_card.expires %s not after issued %s", ErrDateOrder, c.Expires, c.Issued)
	}
	return nil
}

func validCardNumber(s string) bool {
	if len(s) != idCardNumberLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i < 2 && (c < 'A' || c > 'Z') || i >= 2 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// checkName accepts letters of any script, single inner spaces, hyphens and
// apostrophes (Kyrgyz compound names such as "Асан уулу"), up to 100 runes,
// without surrounding spaces.
func checkName(field, v string, required bool) error {
	if v == "" {
		if required {
			return fmt.Errorf("%w: %s", ErrMissingField, field)
		}
		return nil
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxNameRunes {
		return fmt.Errorf("%w: %s is not valid UTF-8 of at most %d characters", ErrInvalidValue, field, maxNameRunes)
	}
	prev := ' '
	for _, r := range v {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
		case r == ' ' || r == '-' || r == '\'' || r == '’':
			if prev == ' ' || prev == '-' || prev == '\'' || prev == '’' {
				return fmt.Errorf("%w: %s %q has a misplaced separator", ErrInvalidValue, field, v)
			}
		default:
			return fmt.Errorf("%w: %s %q contains %q", ErrInvalidValue, field, v, r)
		}
		prev = r
	}
	if prev == ' ' || prev == '-' || prev == '\'' || prev == '’' {
		return fmt.Errorf("%w: %s %q ends with a separator", ErrInvalidValue, field, v)
	}
	return nil
}
