package registry

import (
	"fmt"
	"time"
)

// RegistrationType says whether a registration is at the place of residence
// (жашаган жери) or at the place of stay (барган жери), seed 000 §2.
type RegistrationType string

// Registration types.
const (
	Residence RegistrationType = "residence"
	Stay      RegistrationType = "stay"
)

// EndReason says why a registration ended.
type EndReason string

// End reasons.
const (
	// EndNewResidence: registering at a new residence ended this one
	// automatically (seed 003, annex 3 §4). [Store.Import] sets it.
	EndNewResidence EndReason = "new_residence"
	// EndDeregistered: the person or the owner asked to end it.
	EndDeregistered EndReason = "deregistered"
	// EndDeath: the person died.
	EndDeath EndReason = "death"
)

// MaxStayYears is how long a stay registration may last: one year (seed 000 §3).
// A stay from Since may run until Since.AddDate(MaxStayYears, 0, 0) inclusive.
const MaxStayYears = 1

// Registration is one registration of a person at a dwelling, keyed by ID.
// Ended registrations are kept as history.
type Registration struct {
	ID         string           `json:"id"` // see [ValidID]
	PIN        string           `json:"pin"`
	DwellingID string           `json:"dwelling_id"`
	Type       RegistrationType `json:"type"`
	Since      Date             `json:"since"`          // first day, not in the future
	Until      Date             `json:"until,omitzero"` // stay only (required): last day, at most one year after Since
	Ended      Date             `json:"ended,omitzero"` // set when ended early (or replaced); not in the future
	EndReason  EndReason        `json:"end_reason,omitempty"`
}

// Open reports whether r has not been ended. An open stay whose Until has
// passed is no longer current; see [Registration.CurrentOn].
func (r Registration) Open() bool { return r.Ended.IsZero() }

// CurrentOn reports whether r is in force on day: not ended, and for a stay,
// day is not after Until.
func (r Registration) CurrentOn(day Date) bool {
	return r.Open() && (r.Type != Stay || !day.After(r.Until))
}

// Validate checks r on its own: identifiers, type, the order of its dates,
// that none of Since and Ended is after today (the UTC date of now), and that
// a stay lasts at most one year. Whether the person and the dwelling exist is
// checked by [Store.Import].
func (r Registration) Validate(now time.Time) error {
	if err := ValidID(r.ID); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if err := checkPINSyntax(r.PIN); err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	if err := ValidID(r.DwellingID); err != nil {
		return fmt.Errorf("dwelling_id: %w", err)
	}
	today := DateOf(now)
	if r.Since.IsZero() {
		return fmt.Errorf("%w: since", ErrMissingField)
	}
	if r.Since.After(today) {
		return fmt.Errorf("%w: since %s", ErrFutureDate, r.Since)
	}
	switch r.Type {
	case "":
		return fmt.Errorf("%w: type", ErrMissingField)
	case Residence:
		if !r.Until.IsZero() {
			return fmt.Errorf("%w: until is only for a stay", ErrInvalidValue)
		}
	case Stay:
		if r.Until.IsZero() {
			return fmt.Errorf("%w: until (a stay needs an end date)", ErrMissingField)
		}
		if r.Until.Before(r.Since) {
			return fmt.Errorf("%w: until %s before since %s", ErrDateOrder, r.Until, r.Since)
		}
		if r.Until.After(r.Since.AddDate(MaxStayYears, 0, 0)) {
			return fmt.Errorf("%w: %s to %s", ErrStayTooLong, r.Since, r.Until)
		}
	default:
		return fmt.Errorf("%w: type %q (want residence or stay)", ErrInvalidValue, r.Type)
	}
	switch {
	case r.Ended.IsZero() && r.EndReason != "":
		return fmt.Errorf("%w: ended (end_reason is set)", ErrMissingField)
	case r.Ended.IsZero():
		return nil
	case r.EndReason == "":
		return fmt.Errorf("%w: end_reason (ended is set)", ErrMissingField)
	}
	switch r.EndReason {
	case EndNewResidence, EndDeregistered, EndDeath:
	default:
		return fmt.Errorf("%w: end_reason %q (want new_residence, deregistered or death)", ErrInvalidValue, r.EndReason)
	}
	if r.Ended.Before(r.Since) {
		return fmt.Errorf("%w: ended %s before since %s", ErrDateOrder, r.Ended, r.Since)
	}
	if r.Ended.After(today) {
		return fmt.Errorf("%w: ended %s", ErrFutureDate, r.Ended)
	}
	if r.Type == Stay && r.Ended.After(r.Until) {
		return fmt.Errorf("%w: ended %s after until %s", ErrDateOrder, r.Ended, r.Until)
	}
	return nil
}

// RegistrationEntry is a registration joined with its dwelling, so that it
// can be rendered without further lookups.
type RegistrationEntry struct {
	Registration
	DwellingType DwellingType
	Address      Address
}

// RegistrationView is what getRegistration answers for one person.
type RegistrationView struct {
	PIN string
	// Residence is the open residence registration, nil if there is none.
	Residence *RegistrationEntry
	// Stay is the stay registration current today (open, Until not
	// passed), nil if there is none.
	Stay *RegistrationEntry
	// History holds every other registration (ended ones and stays whose
	// Until has passed), newest Since first, ties by ID.
	History []RegistrationEntry
}

// Resident is a person currently registered at a dwelling.
type Resident struct {
	PIN            string
	Surname        string
	GivenName      string
	Patronymic     string
	Type           RegistrationType
	Since          Date
	Until          Date // stays only
	RegistrationID string
}

// DwellingResidents is what getDwellingResidents answers for one dwelling.
type DwellingResidents struct {
	Dwelling Dwelling
	// Residents are the registrations current today, ordered by PIN then
	// registration ID. A person with both a residence and a stay there
	// appears twice.
	Residents []Resident
	// Persons is the number of distinct persons among Residents: the count
	// behind the "10 or more registered" refusal (seed 000 §5).
	Persons int
}
