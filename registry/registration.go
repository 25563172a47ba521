package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// automatically (seed 003, annex 3 §4). [Register] sets it.
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
	// Record is the id of the access-log record of the online request that
	// made this registration (the write contract: a change names its
	// record); empty for a registration that was imported.
	Record string `json:"record,omitempty"`
	// EndRecord is the id of the access-log record of the online request
	// that ended this registration (a deregistration, or a new residence
	// registered online); empty when it is open or was ended by an import.
	EndRecord string `json:"end_record,omitempty"`
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
// checked by [Register].
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

// Registered says what [Register] did.
type Registered struct {
	// Replaced is true when a registration with the same ID was stored:
	// the new one took its place.
	Replaced bool
	// Ended lists the person's residences that the new one ended, as now
	// stored, ordered by ID.
	Ended []Registration
}

// Register applies the registration rules to r against what tx holds, then
// stores r. It is the one write path for registrations: an import applies
// it to each registration of its batch, and an online registration calls it
// in its own transaction. r must satisfy [Registration.Validate]; today is
// the day "current" is judged on. The rules:
//
//   - r's person and dwelling are stored ([ErrUnknownPerson],
//     [ErrUnknownDwelling]), and r does not start before the person's birth
//     ([ErrDateOrder]);
//   - an open residence ends the person's other open residence on r.Since,
//     with reason [EndNewResidence] (seed 003, annex 3 §4, our design for
//     Kyrgyzstan); if r starts before that one, r is refused ([ErrConflict]);
//   - a stay current today is refused while the person has another current
//     stay ([ErrConflict]): that one must be ended first, since a stay does not
//     end a stay, and a stay never ends the residence (seed 000 §3);
//   - a stored registration with r's ID is being replaced by r, so it never
//     counts against r.
//
// A refusal wraps one of the four sentinels above and writes nothing; any
// other error comes from the store.
func Register(tx PopulationTx, r Registration, today Date) (Registered, error) {
	p, err := tx.Person(r.PIN)
	switch {
	case errors.Is(err, ErrNotFound):
		return Registered{}, fmt.Errorf("%w: %s", ErrUnknownPerson, r.PIN)
	case err != nil:
		return Registered{}, err
	}
	if r.Since.Before(p.BirthDate) {
		return Registered{}, fmt.Errorf("%w: since %s before birth %s", ErrDateOrder, r.Since, p.BirthDate)
	}
	switch _, err := tx.Dwelling(r.DwellingID); {
	case errors.Is(err, ErrNotFound):
		return Registered{}, fmt.Errorf("%w: %s", ErrUnknownDwelling, r.DwellingID)
	case err != nil:
		return Registered{}, err
	}
	others, err := tx.RegistrationsOf(r.PIN)
	if err != nil {
		return Registered{}, err
	}
	var done Registered
	for _, old := range others {
		switch {
		case old.ID == r.ID:
		case r.Type == Residence && r.Open() && old.Type == Residence && old.Open():
			if r.Since.Before(old.Since) {
				return Registered{}, fmt.Errorf("%w: new residence since %s starts before the current one %s (since %s)", ErrConflict, r.Since, old.ID, old.Since)
			}
			old.Ended, old.EndReason, old.EndRecord = r.Since, EndNewResidence, r.Record
			done.Ended = append(done.Ended, old)
		case r.Type == Stay && r.CurrentOn(today) && old.Type == Stay && old.CurrentOn(today):
			return Registered{}, fmt.Errorf("%w: %s already has current stay %s; end it first", ErrConflict, r.PIN, old.ID)
		}
	}
	slices.SortFunc(done.Ended, func(a, b Registration) int { return strings.Compare(a.ID, b.ID) })
	for _, old := range done.Ended {
		if _, err := tx.PutRegistration(old); err != nil {
			return Registered{}, err
		}
	}
	if done.Replaced, err = tx.PutRegistration(r); err != nil {
		return Registered{}, err
	}
	return done, nil
}

// isRefusal reports whether err is one of [Register]'s refusals rather than
// a storage failure.
func isRefusal(err error) bool {
	return errors.Is(err, ErrUnknownPerson) || errors.Is(err, ErrUnknownDwelling) ||
		errors.Is(err, ErrDateOrder) || errors.Is(err, ErrConflict)
}

// ReadRegistrations returns the person's registrations as getRegistration
// shows them on today: the open residence, the stay current today, and the
// rest as history, each joined with its dwelling. It fails with
// [ErrNotFound] for a person not stored; a person with no registrations
// gets an empty view.
func ReadRegistrations(tx PopulationTx, pin string, today Date) (RegistrationView, error) {
	if _, err := tx.Person(pin); err != nil {
		return RegistrationView{}, err
	}
	regs, err := tx.RegistrationsOf(pin)
	if err != nil {
		return RegistrationView{}, err
	}
	slices.SortFunc(regs, func(a, b Registration) int {
		return cmpOr(b.Since.t.Compare(a.Since.t), strings.Compare(a.ID, b.ID))
	})
	view := RegistrationView{PIN: pin}
	for _, r := range regs {
		d, err := tx.Dwelling(r.DwellingID)
		if err != nil {
			return RegistrationView{}, fmt.Errorf("%w: registration %s names dwelling %s: %w", ErrCorrupt, r.ID, r.DwellingID, err)
		}
		e := RegistrationEntry{Registration: r, DwellingType: d.Type, Address: d.Address}
		switch {
		case r.Type == Residence && r.Open() && view.Residence == nil:
			view.Residence = &e
		case r.Type == Stay && r.CurrentOn(today) && view.Stay == nil:
			view.Stay = &e
		default:
			view.History = append(view.History, e)
		}
	}
	return view, nil
}

// ReadResidents returns the dwelling and the registrations current at it on
// today, with the number of distinct persons among them. It fails with
// [ErrNotFound] for a dwelling not stored.
func ReadResidents(tx PopulationTx, dwellingID string, today Date) (DwellingResidents, error) {
	d, err := tx.Dwelling(dwellingID)
	if err != nil {
		return DwellingResidents{}, err
	}
	regs, err := tx.RegistrationsAt(dwellingID)
	if err != nil {
		return DwellingResidents{}, err
	}
	out := DwellingResidents{Dwelling: d}
	persons := map[string]bool{}
	for _, r := range regs {
		if !r.CurrentOn(today) {
			continue
		}
		p, err := tx.Person(r.PIN)
		if err != nil {
			return DwellingResidents{}, fmt.Errorf("%w: registration %s names person: %w", ErrCorrupt, r.ID, err)
		}
		persons[r.PIN] = true
		out.Residents = append(out.Residents, Resident{
			PIN: p.PIN, Surname: p.Surname, GivenName: p.GivenName, Patronymic: p.Patronymic,
			Type: r.Type, Since: r.Since, Until: r.Until, RegistrationID: r.ID,
		})
	}
	out.Persons = len(persons)
	slices.SortFunc(out.Residents, func(a, b Resident) int {
		return cmpOr(strings.Compare(a.PIN, b.PIN), strings.Compare(a.RegistrationID, b.RegistrationID))
	})
	return out, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
