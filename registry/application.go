package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// An application is a request filed through the portal or the "Tunduk"
// app to register a person at a dwelling (seed 000 §5–8) or to end a
// registration, kept under the number it was filed with. Its status is one
// of the three of seed 001 §26; a refusal is part of the processed
// application, with its reason and the time its notice is due (§29).
//
// The rules here are pure functions over [Tx]; [Registry] runs them in one
// transaction each, together with the caller's side of the write contract
// ([Witness]).

// ApplicationKind says what an application asks for.
type ApplicationKind string

// Application kinds.
const (
	ApplyRegistration   ApplicationKind = "registration"
	ApplyDeregistration ApplicationKind = "deregistration"
)

// ApplicantRole is whom the dwelling owner files for (seed 000 §6(2)).
type ApplicantRole string

// Applicant roles.
const (
	RoleSelf       ApplicantRole = "self"        // өзүн
	RoleOwnChild   ApplicantRole = "own_child"   // өзүнүн баласын
	RoleOtherAdult ApplicantRole = "other_adult" // башка жаранды (жашы жеткен)
	RoleOtherMinor ApplicantRole = "other_minor" // башка жаранды (жашы жете элек)
)

// ApplicationStatus is one of exactly three statuses (seed 001 §26).
type ApplicationStatus string

// Application statuses.
const (
	// StatusDelivered: the application reached the registry (жеткирилген).
	StatusDelivered ApplicationStatus = "delivered"
	// StatusInProcessing: taken up, awaiting the applicant's part
	// (иштетилүүдө).
	StatusInProcessing ApplicationStatus = "in_processing"
	// StatusProcessed: done (иштетилген); Decision says how.
	StatusProcessed ApplicationStatus = "processed"
)

// Decision is how a processed application ended.
type Decision string

// Decisions.
const (
	DecisionRegistered   Decision = "registered"
	DecisionDeregistered Decision = "deregistered"
	DecisionRefused      Decision = "refused"
	// DecisionLapsed: the applicant did not confirm in time (our design:
	// the period is config, registration.confirm_within).
	DecisionLapsed Decision = "lapsed"
)

// RefusalReason is why an application was refused. Each is a stable code:
// the adapter answers each with its own outcome code.
type RefusalReason string

// Refusal reasons. The first six are the blocking conditions of seed 000
// §5, in its order; the rest follow from seed 000 §2, §3 and §6 and from
// the registration rules ([Register]).
const (
	RefuseDwellingFull        RefusalReason = "dwelling_full"          // 10 or more citizens registered there
	RefuseSeveralOwners       RefusalReason = "several_owners"         // the dwelling has more than one owner
	RefuseConsularRegister    RefusalReason = "consular_register"      // the applicant is on the consular register
	RefuseOwnerOnlyUser       RefusalReason = "owner_only_user"        // the owner is recorded only as a user (unlawful construction)
	RefuseCitizenshipRenounce RefusalReason = "citizenship_renounced"  // the applicant renounced Kyrgyz citizenship
	RefuseFaceIDNotMatched    RefusalReason = "face_id_not_matched"    // owner's or applicant's Face ID did not match
	RefuseNoEligibleIDCard    RefusalReason = "no_eligible_id_card"    // no valid ID card of the 2004, 2017 or 2024 model (§2)
	RefuseStayTooLong         RefusalReason = "stay_too_long"          // a stay longer than one year (§3)
	RefuseStayPeriod          RefusalReason = "stay_period_invalid"    // a stay without a last day, or ending before today; a residence with one
	RefuseParentsMissing      RefusalReason = "parents_missing"        // a minor without the parents' PINs (§6(2))
	RefuseParentsMismatch     RefusalReason = "parents_mismatch"       // parents' PINs that do not match the registry
	RefuseNotOwner            RefusalReason = "not_owner"              // the filer holds no title to the dwelling (§2: the owner files)
	RefuseRoleMismatch        RefusalReason = "role_mismatch"          // the role does not fit the applicant (self, own child, adult, minor)
	RefusePersonNotFound      RefusalReason = "person_not_found"       // owner or applicant not in the registry
	RefuseDwellingNotFound    RefusalReason = "dwelling_not_found"     // the dwelling is not in the registry
	RefuseConflict            RefusalReason = "registration_conflict"  // the registration rules refuse ([ErrConflict]): a current stay, an earlier residence
	RefuseConsentNotGiven     RefusalReason = "consent_not_given"      // the applicant did not consent to processing personal data (§7(2))
	RefusePurposeMismatch     RefusalReason = "purpose_mismatch"       // the applicant confirmed another purpose than the owner filed (§7(1))
	RefuseNotEntitled         RefusalReason = "not_entitled"           // a deregistration asked by neither the person nor the dwelling's owner
	RefuseRegistrationEnded   RefusalReason = "registration_ended"     // a deregistration of a registration no longer current
	RefuseRegistrationUnknown RefusalReason = "registration_not_found" // a deregistration of a registration the registry does not hold
	RefuseInvalidGround       RefusalReason = "invalid_ground"         // a deregistration ground not in [DeregistrationGrounds]
)

// RefusalReasons lists every refusal reason, in the order above.
var RefusalReasons = []RefusalReason{
	RefuseDwellingFull, RefuseSeveralOwners, RefuseConsularRegister, RefuseOwnerOnlyUser,
	RefuseCitizenshipRenounce, RefuseFaceIDNotMatched, RefuseNoEligibleIDCard, RefuseStayTooLong,
	RefuseStayPeriod, RefuseParentsMissing, RefuseParentsMismatch, RefuseNotOwner, RefuseRoleMismatch,
	RefusePersonNotFound, RefuseDwellingNotFound, RefuseConflict, RefuseConsentNotGiven,
	RefusePurposeMismatch, RefuseNotEntitled, RefuseRegistrationEnded, RefuseRegistrationUnknown,
	RefuseInvalidGround,
}

// DeregistrationGround is why a registration is ended on request. Seed 000
// is silent on deregistration; the grounds are modelled on the Kazakh
// regulation (seed 003, annex 4 §4), plus the person's or owner's own
// request.
type DeregistrationGround string

// Deregistration grounds.
const (
	GroundLeftAbroad   DeregistrationGround = "left_abroad"  // left to live abroad permanently
	GroundImprisonment DeregistrationGround = "imprisonment" // sentenced to imprisonment
	GroundCourtRuling  DeregistrationGround = "court_ruling" // a court found the right to use the dwelling lost
	GroundOwnRequest   DeregistrationGround = "own_request"  // the person or the owner asked (our design)
	GroundMovedOut     DeregistrationGround = "moved_out"    // left the dwelling without a new registration (our design)
)

// DeregistrationGrounds lists the valid grounds.
var DeregistrationGrounds = []DeregistrationGround{GroundLeftAbroad, GroundImprisonment, GroundCourtRuling, GroundOwnRequest, GroundMovedOut}

// Party is one party's part of an application as the portal checked it:
// Face ID (liveness) against the passport register, the e-mail code, the
// consent to processing personal data (the applicant's, seed 000 §7(2)) and
// the electronic signature, which Darbaza keeps as evidence without
// checking it (the portal did).
type Party struct {
	PIN                string    `json:"pin"`
	FaceIDMatched      bool      `json:"face_id_matched"`
	EmailCodeConfirmed bool      `json:"email_code_confirmed"`
	Consent            bool      `json:"consent,omitempty"`
	Signature          []byte    `json:"signature"`
	At                 time.Time `json:"at"` // when Darbaza received this part
}

// RegistrationFiling is the owner's application (seed 000 §6).
type RegistrationFiling struct {
	Number       string           `json:"number"`
	Role         ApplicantRole    `json:"role"`
	Purpose      RegistrationType `json:"purpose"`
	DwellingID   string           `json:"dwelling_id"`
	ApplicantPIN string           `json:"applicant_pin"` // the owner's for RoleSelf
	ParentPINs   []string         `json:"parent_pins,omitempty"`
	Until        Date             `json:"until,omitzero"` // a stay's last day
	Owner        Party            `json:"owner"`
}

// Confirmation is the applicant's part (seed 000 §7): for an adult the
// applicant, for a minor one of the parents named in the application (our
// design: the source does not say who acts for a minor).
type Confirmation struct {
	Number  string           `json:"number"`
	Purpose RegistrationType `json:"purpose"`
	Party   Party            `json:"party"`
}

// DeregistrationFiling asks to end a registration.
type DeregistrationFiling struct {
	Number         string               `json:"number"`
	RegistrationID string               `json:"registration_id"`
	Ground         DeregistrationGround `json:"ground"`
	Requester      Party                `json:"requester"`
}

// StatusChange is one step of an application's history.
type StatusChange struct {
	Status ApplicationStatus `json:"status"`
	At     time.Time         `json:"at"`
}

// Application is an application as the registry keeps it, keyed by its
// number. The fields of a filing that is not its kind are empty.
type Application struct {
	Number string          `json:"number"`
	Kind   ApplicationKind `json:"kind"`
	// Digest is the hex SHA-256 of the filing's content ([RegistrationFiling.Digest],
	// [DeregistrationFiling.Digest]): the same number with another digest
	// is another application under a number already used.
	Digest   string    `json:"digest"`
	Received time.Time `json:"received"`

	// A registration application.
	Role         ApplicantRole    `json:"role,omitempty"`
	Purpose      RegistrationType `json:"purpose,omitempty"`
	OwnerPIN     string           `json:"owner_pin,omitempty"`
	ApplicantPIN string           `json:"applicant_pin,omitempty"`
	ParentPINs   []string         `json:"parent_pins,omitempty"`
	Until        Date             `json:"until,omitzero"`
	Owner        *Party           `json:"owner,omitempty"`
	Applicant    *Party           `json:"applicant,omitempty"` // the confirmation, once made
	// ConfirmDigest is the digest of the confirmation ([Confirmation.Digest]).
	ConfirmDigest string `json:"confirm_digest,omitempty"`
	// LapsesAt is when an application awaiting the applicant lapses;
	// zero when none is awaited.
	LapsesAt time.Time `json:"lapses_at,omitzero"`

	// A deregistration application.
	Ground    DeregistrationGround `json:"ground,omitempty"`
	Requester *Party               `json:"requester,omitempty"`

	// Where: the dwelling and its address as the registry holds them (the
	// owner's address is filled in from the registry, seed 000 §6(2)).
	DwellingID   string       `json:"dwelling_id,omitempty"`
	DwellingType DwellingType `json:"dwelling_type,omitempty"`
	Address      Address      `json:"address,omitzero"`

	History   []StatusChange `json:"history"`
	Decision  Decision       `json:"decision,omitempty"`
	Refusal   RefusalReason  `json:"refusal,omitempty"`
	NoticeDue time.Time      `json:"notice_due,omitzero"`
	// RegistrationID is the registration made (or ended) by the application.
	RegistrationID string `json:"registration_id,omitempty"`
	// Records are the access-log records of the requests that changed the
	// application, in order (the write contract: a change names its record).
	Records []string `json:"records"`
}

// Status is the application's latest status.
func (a Application) Status() ApplicationStatus {
	if len(a.History) == 0 {
		return ""
	}
	return a.History[len(a.History)-1].Status
}

// At returns a as seen at now: an application still awaiting its applicant
// whose LapsesAt has passed is processed, lapsed, from LapsesAt on.
func (a Application) At(now time.Time) Application {
	if a.Status() == StatusInProcessing && !a.LapsesAt.IsZero() && !now.Before(a.LapsesAt) {
		a.History = append(slices.Clip(a.History), StatusChange{StatusProcessed, a.LapsesAt})
		a.Decision = DecisionLapsed
	}
	return a
}

// Digest is the hex SHA-256 of f's content with the parents' PINs in
// order; Party.At is not content.
func (f RegistrationFiling) Digest() string {
	f.ParentPINs = slices.Sorted(slices.Values(f.ParentPINs))
	f.Owner.At = time.Time{}
	return digestOf(f)
}

// Digest is the hex SHA-256 of f's content; Party.At is not content.
func (f DeregistrationFiling) Digest() string {
	f.Requester.At = time.Time{}
	return digestOf(f)
}

// Digest is the hex SHA-256 of c's content; Party.At is not content.
func (c Confirmation) Digest() string {
	c.Party.At = time.Time{}
	return digestOf(c)
}

func digestOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("registry: digest of %T: %v", v, err)) // plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ApplicationRules are the settings of the application rules.
type ApplicationRules struct {
	// ConfirmWithin is how long an application awaits its applicant's
	// confirmation before it lapses; zero means [DefaultConfirmWithin].
	ConfirmWithin time.Duration
	// Calendar gives the working days for refusal notices; its zero value
	// has weekends but no holidays.
	Calendar Calendar
}

// DefaultConfirmWithin is how long an application awaits the applicant by
// default: 72 hours (our design; the sources set no period).
const DefaultConfirmWithin = 72 * time.Hour

func (r ApplicationRules) confirmWithin() time.Duration {
	if r.ConfirmWithin <= 0 {
		return DefaultConfirmWithin
	}
	return r.ConfirmWithin
}

// Application errors that are not refusals of an application: the request
// cannot be taken as an application at all, and nothing is kept.
var (
	// ErrNumberReused: the number is taken by an application with other
	// content.
	ErrNumberReused = errors.New("registry: application number already used for another application")
	// ErrNotAwaiting: the application awaits no confirmation (none needed,
	// already processed, or a deregistration).
	ErrNotAwaiting = errors.New("registry: application awaits no confirmation")
	// ErrLapsed: the application lapsed before the confirmation came.
	ErrLapsed = errors.New("registry: application lapsed")
	// ErrNotConfirmer: the person confirming is neither the applicant nor,
	// for a minor, a parent named in the application.
	ErrNotConfirmer = errors.New("registry: not the applicant of this application")
	// ErrInvalidNumber: the application number is malformed.
	ErrInvalidNumber = errors.New("registry: invalid application number")
)

// MaxNumberLen bounds an application number: [ValidID]'s form, short enough
// that the registration it makes can be named "R-" + number.
const MaxNumberLen = maxIdentifierLen - 2

// ValidNumber checks an application number: [ValidID]'s form, at most
// [MaxNumberLen] characters. Errors wrap [ErrInvalidNumber].
func ValidNumber(n string) error {
	if err := ValidID(n); err != nil || len(n) > MaxNumberLen {
		return fmt.Errorf("%w: %q (want 1 to %d capital Latin letters, digits, inner hyphens)", ErrInvalidNumber, n, MaxNumberLen)
	}
	return nil
}

// registrationIDFor names the registration an application makes.
func registrationIDFor(number string) string { return "R-" + number }

// MaxCitizens is the first blocking condition of seed 000 §5: an
// application cannot be filed when this many Kyrgyz citizens or more are
// already registered in the dwelling.
const MaxCitizens = 10

// checked is what the filing rules found: the persons and the dwelling.
type checked struct {
	owner, applicant Person
	dwelling         Dwelling
}

// CheckFiling applies every refusal rule to f against tx on today and
// returns the first reason that refuses it, or "" when none does. The
// order: the persons and the dwelling exist; the owner's Face ID; the
// owner's title (not an owner; only a user; several owners); the owner's
// ID card; the role fits the applicant; the applicant's Face ID is checked
// at confirmation; the applicant's citizenship, consular register and ID
// card (an adult's); a minor's parents; the stay's period; and last the
// dwelling's count of citizens. It writes nothing.
func CheckFiling(tx PopulationTx, f RegistrationFiling, today Date) (RefusalReason, error) {
	_, reason, err := checkFiling(tx, f, today)
	return reason, err
}

func checkFiling(tx PopulationTx, f RegistrationFiling, today Date) (checked, RefusalReason, error) {
	var c checked
	var err error
	lookup := func(pin string) (Person, RefusalReason, error) {
		p, err := tx.Person(pin)
		if errors.Is(err, ErrNotFound) {
			return p, RefusePersonNotFound, nil
		}
		return p, "", err
	}
	var reason RefusalReason
	if c.owner, reason, err = lookup(f.Owner.PIN); reason != "" || err != nil {
		return c, reason, err
	}
	applicantPIN := f.ApplicantPIN
	if applicantPIN == "" {
		applicantPIN = f.Owner.PIN
	}
	if c.applicant, reason, err = lookup(applicantPIN); reason != "" || err != nil {
		return c, reason, err
	}
	c.dwelling, err = tx.Dwelling(f.DwellingID)
	switch {
	case errors.Is(err, ErrNotFound):
		return c, RefuseDwellingNotFound, nil
	case err != nil:
		return c, "", err
	}
	if !f.Owner.FaceIDMatched {
		return c, RefuseFaceIDNotMatched, nil
	}
	if r := ownerRule(c.dwelling, f.Owner.PIN); r != "" {
		return c, r, nil
	}
	if !eligibleCard(c.owner, today) {
		return c, RefuseNoEligibleIDCard, nil
	}
	if r := roleRule(f.Role, c.owner, c.applicant, today); r != "" {
		return c, r, nil
	}
	if r := applicantRule(c.applicant, today); r != "" {
		return c, r, nil
	}
	if c.applicant.MinorOn(today) {
		if r := parentsRule(c.applicant, f.ParentPINs); r != "" {
			return c, r, nil
		}
	}
	if r := periodRule(f.Purpose, f.Until, today); r != "" {
		return c, r, nil
	}
	full, err := dwellingFull(tx, c.dwelling.ID, c.applicant.PIN, today)
	if err != nil || full {
		return c, RefuseDwellingFull, err
	}
	return c, "", nil
}

// ownerRule: the filer holds the dwelling as owner (not only as user,
// seed 000 §5 condition 4), and is its only owner (condition 2).
func ownerRule(d Dwelling, pin string) RefusalReason {
	i := slices.IndexFunc(d.Owners, func(o Owner) bool { return o.PIN == pin })
	switch {
	case i < 0:
		return RefuseNotOwner
	case d.Owners[i].Title == TitleUser:
		return RefuseOwnerOnlyUser
	case len(d.Owners) > 1:
		return RefuseSeveralOwners
	}
	return ""
}

// eligibleCard: an ID card of the 2004, 2017 or 2024 model, not expired
// (seed 000 §2).
func eligibleCard(p Person, today Date) bool {
	return p.IDCard.Present() && !p.IDCard.Expires.Before(today)
}

// roleRule: self is the owner; an adult is not a minor; own child is a
// minor whose recorded parents include the owner; other minor is a minor.
func roleRule(role ApplicantRole, owner, applicant Person, today Date) RefusalReason {
	self := owner.PIN == applicant.PIN
	minor := applicant.MinorOn(today)
	ok := false
	switch role {
	case RoleSelf:
		ok = self
	case RoleOwnChild:
		ok = !self && minor && slices.Contains(applicant.Parents, owner.PIN)
	case RoleOtherAdult:
		ok = !self && !minor
	case RoleOtherMinor:
		ok = !self && minor
	}
	if !ok {
		return RefuseRoleMismatch
	}
	return ""
}

// applicantRule: a citizen (seed 000 §5 condition 5), not on the consular
// register (condition 3), and an adult holds an eligible ID card (§2). A
// minor needs no card: the owner and a parent sign for them.
func applicantRule(p Person, today Date) RefusalReason {
	switch {
	case p.Citizenship != CitizenshipCitizen:
		return RefuseCitizenshipRenounce
	case p.ConsularRegister:
		return RefuseConsularRegister
	case !p.MinorOn(today) && !eligibleCard(p, today):
		return RefuseNoEligibleIDCard
	}
	return ""
}

// parentsRule: an application for a minor names the parents' PINs (seed
// 000 §6(2)), and each is a parent the registry records for the child.
func parentsRule(child Person, given []string) RefusalReason {
	if len(given) == 0 {
		return RefuseParentsMissing
	}
	for i, pin := range given {
		if !slices.Contains(child.Parents, pin) || slices.Contains(given[:i], pin) {
			return RefuseParentsMismatch
		}
	}
	return ""
}

// periodRule: a stay has a last day, not before today and at most one year
// after it (seed 000 §3); a residence has none.
func periodRule(purpose RegistrationType, until, today Date) RefusalReason {
	switch {
	case purpose == Residence && !until.IsZero():
		return RefuseStayPeriod
	case purpose == Residence:
		return ""
	case until.IsZero() || until.Before(today):
		return RefuseStayPeriod
	case until.After(today.AddDate(MaxStayYears, 0, 0)):
		return RefuseStayTooLong
	}
	return ""
}

// dwellingFull reports whether MaxCitizens or more Kyrgyz citizens other
// than applicant are registered at the dwelling today (seed 000 §5
// condition 1): the applicant already registered there takes no new place.
func dwellingFull(tx PopulationTx, dwellingID, applicant string, today Date) (bool, error) {
	res, err := ReadResidents(tx, dwellingID, today)
	if err != nil {
		return false, err
	}
	citizens := map[string]bool{}
	for _, r := range res.Residents {
		if r.PIN == applicant || citizens[r.PIN] {
			continue
		}
		p, err := tx.Person(r.PIN)
		if err != nil {
			return false, err
		}
		if p.Citizenship == CitizenshipCitizen {
			citizens[r.PIN] = true
		}
	}
	return len(citizens) >= MaxCitizens, nil
}

// ApplicationTx is the storage contract of applications. Application fails
// with an error wrapping [ErrNotFound] for a number not stored, and
// [ErrCorrupt] for a value that cannot be read. PutApplication stores a
// under a.Number, replacing what was there, and reports whether it did.
type ApplicationTx interface {
	Application(number string) (Application, error)
	PutApplication(a Application) (replaced bool, err error)
}

// Witness is the caller's side of the write contract (docs/protocol.md,
// "Writes"), which the application rules run inside their transaction:
// RecordID names the access-log record the next Seal makes, and the change
// stores it; Seal makes the answer for a and its record durable (the record
// may join tx, the rules' transaction), and only if it returns nil does
// the transaction commit. A Seal error is returned as is, and nothing is
// committed.
type Witness interface {
	RecordID() string
	Seal(tx Tx, a Application) error
}

// Submit files f at now: the owner's application (seed 000 §6). In one
// transaction it
//
//   - returns the stored application unchanged, without sealing, when the
//     number is taken by the same content (a retry); fails with
//     [ErrNumberReused] when taken by other content;
//   - refuses f when a rule refuses it ([CheckFiling], then [Register]):
//     the application is kept, processed, with its [RefusalReason] and the
//     time its notice is due, and nothing else changes;
//   - registers at once when the owner files for self or own child (the
//     owner signed as both parties: our design for the own child);
//   - else keeps it in processing until the applicant confirms
//     ([Registry.Confirm]) or it lapses.
//
// Whatever it keeps, it seals through w before the commit.
func (g *Registry) Submit(ctx context.Context, f RegistrationFiling, w Witness) (Application, error) {
	now := g.now()
	f.Owner.At = now
	var out Application
	err := g.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = submit(tx, f, now, g.rules, w)
		return err
	})
	return out.At(now), err
}

func submit(tx Tx, f RegistrationFiling, now time.Time, rules ApplicationRules, w Witness) (Application, error) {
	if err := ValidNumber(f.Number); err != nil {
		return Application{}, err
	}
	digest := f.Digest()
	switch old, err := tx.Application(f.Number); {
	case err == nil && old.Digest == digest:
		return old, nil
	case err == nil:
		return Application{}, fmt.Errorf("%w: %s", ErrNumberReused, f.Number)
	case !errors.Is(err, ErrNotFound):
		return Application{}, err
	}
	today := DateOf(now)
	applicant := f.ApplicantPIN
	if applicant == "" {
		applicant = f.Owner.PIN
	}
	owner := f.Owner
	a := Application{
		Number: f.Number, Kind: ApplyRegistration, Digest: digest, Received: now,
		Role: f.Role, Purpose: f.Purpose, OwnerPIN: f.Owner.PIN, ApplicantPIN: applicant,
		ParentPINs: f.ParentPINs, Until: f.Until, Owner: &owner, DwellingID: f.DwellingID,
		History: []StatusChange{{StatusDelivered, now}, {StatusInProcessing, now}},
	}
	c, reason, err := checkFiling(tx, f, today)
	if err != nil {
		return Application{}, err
	}
	a.DwellingType, a.Address = c.dwelling.Type, c.dwelling.Address
	switch {
	case reason != "":
		a.refuse(reason, now, rules)
	case f.Role == RoleSelf || f.Role == RoleOwnChild:
		if err := a.register(tx, today, now, rules, w.RecordID()); err != nil {
			return Application{}, err
		}
	default:
		a.LapsesAt = now.Add(rules.confirmWithin())
	}
	return a, keep(tx, a, w)
}

// refuse ends a as processed, refused for reason, with its notice due
// (seed 001 §29).
func (a *Application) refuse(reason RefusalReason, now time.Time, rules ApplicationRules) {
	a.History = append(a.History, StatusChange{StatusProcessed, now})
	a.Decision, a.Refusal, a.NoticeDue, a.LapsesAt = DecisionRefused, reason, rules.Calendar.NoticeDue(now), time.Time{}
}

// register makes a's registration by [Register], since today, naming
// record; a conflict refuses a instead.
func (a *Application) register(tx Tx, today Date, now time.Time, rules ApplicationRules, record string) error {
	r := Registration{
		ID: registrationIDFor(a.Number), PIN: a.ApplicantPIN, DwellingID: a.DwellingID,
		Type: a.Purpose, Since: today, Until: a.Until, Record: record,
	}
	switch _, err := tx.Registration(r.ID); {
	case err == nil:
		a.refuse(RefuseConflict, now, rules)
		return nil
	case !errors.Is(err, ErrNotFound):
		return err
	}
	if err := r.Validate(now); err != nil {
		return fmt.Errorf("registry: application %s makes an invalid registration: %w", a.Number, err)
	}
	_, err := Register(tx, r, today)
	switch {
	case isRefusal(err):
		a.refuse(RefuseConflict, now, rules)
		return nil
	case err != nil:
		return err
	}
	a.History = append(a.History, StatusChange{StatusProcessed, now})
	a.Decision, a.RegistrationID, a.LapsesAt = DecisionRegistered, r.ID, time.Time{}
	return nil
}

// keep stores a, naming the record the seal makes, and seals it.
func keep(tx Tx, a Application, w Witness) error {
	a.Records = append(slices.Clip(a.Records), w.RecordID())
	if _, err := tx.PutApplication(a); err != nil {
		return err
	}
	return w.Seal(tx, a)
}

// Confirm applies the applicant's part c at now (seed 000 §7–8). It fails
// with [ErrNotFound] for an unknown number, [ErrNotAwaiting] for an
// application that awaits no confirmation (a retry of the confirmation
// that processed it gets the application back, unsealed), [ErrLapsed]
// after LapsesAt, and [ErrNotConfirmer] for a person who may not confirm;
// these change nothing. Otherwise the application is processed: refused
// (Face ID, consent, purpose, or any filing rule judged again now, since
// the registry may have changed since the owner filed) or registered, and
// sealed through w before the commit.
func (g *Registry) Confirm(ctx context.Context, c Confirmation, w Witness) (Application, error) {
	now := g.now()
	c.Party.At = now
	var out Application
	err := g.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = confirm(tx, c, now, g.rules, w)
		return err
	})
	return out.At(now), err
}

func confirm(tx Tx, c Confirmation, now time.Time, rules ApplicationRules, w Witness) (Application, error) {
	if err := ValidNumber(c.Number); err != nil {
		return Application{}, err
	}
	a, err := tx.Application(c.Number)
	if err != nil {
		return Application{}, err
	}
	if a.ConfirmDigest != "" && a.ConfirmDigest == c.Digest() {
		return a, nil // a retry of the confirmation that processed it
	}
	if a.Kind != ApplyRegistration || a.Status() != StatusInProcessing {
		return Application{}, fmt.Errorf("%w: %s", ErrNotAwaiting, c.Number)
	}
	if !now.Before(a.LapsesAt) {
		return Application{}, fmt.Errorf("%w: %s at %s", ErrLapsed, c.Number, a.LapsesAt.In(Bishkek).Format(time.RFC3339))
	}
	minor := a.Role == RoleOtherMinor
	if minor && !slices.Contains(a.ParentPINs, c.Party.PIN) || !minor && c.Party.PIN != a.ApplicantPIN {
		return Application{}, fmt.Errorf("%w: %s", ErrNotConfirmer, c.Number)
	}
	party := c.Party
	a.Applicant, a.ConfirmDigest = &party, c.Digest()
	today := DateOf(now)
	confirmer, err := tx.Person(c.Party.PIN)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Application{}, err
	}
	f := RegistrationFiling{
		Number: a.Number, Role: a.Role, Purpose: a.Purpose, DwellingID: a.DwellingID,
		ApplicantPIN: a.ApplicantPIN, ParentPINs: a.ParentPINs, Until: a.Until, Owner: *a.Owner,
	}
	_, reason, err := checkFiling(tx, f, today)
	if err != nil {
		return Application{}, err
	}
	switch {
	case !c.Party.FaceIDMatched:
		reason = RefuseFaceIDNotMatched
	case !c.Party.Consent:
		reason = RefuseConsentNotGiven
	case c.Purpose != a.Purpose:
		reason = RefusePurposeMismatch
	case minor && !eligibleCard(confirmer, today):
		reason = RefuseNoEligibleIDCard
	}
	if reason != "" {
		a.refuse(reason, now, rules)
	} else if err := a.register(tx, today, now, rules, w.RecordID()); err != nil {
		return Application{}, err
	}
	return a, keep(tx, a, w)
}

// Deregister files d at now: ends a registration on request. Retries and
// reused numbers are as for [Registry.Submit]. It is refused, with nothing
// but the application kept, when the requester's Face ID did not match,
// the requester is neither the registered person nor an owner of the
// dwelling, the registration is unknown or no longer current, or the
// ground is not one of [DeregistrationGrounds].
// Otherwise the registration ends today with reason [EndDeregistered],
// naming the record, and the application is processed, deregistered.
func (g *Registry) Deregister(ctx context.Context, d DeregistrationFiling, w Witness) (Application, error) {
	now := g.now()
	d.Requester.At = now
	var out Application
	err := g.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = deregister(tx, d, now, g.rules, w)
		return err
	})
	return out, err
}

func deregister(tx Tx, d DeregistrationFiling, now time.Time, rules ApplicationRules, w Witness) (Application, error) {
	if err := ValidNumber(d.Number); err != nil {
		return Application{}, err
	}
	digest := d.Digest()
	switch old, err := tx.Application(d.Number); {
	case err == nil && old.Digest == digest:
		return old, nil
	case err == nil:
		return Application{}, fmt.Errorf("%w: %s", ErrNumberReused, d.Number)
	case !errors.Is(err, ErrNotFound):
		return Application{}, err
	}
	requester := d.Requester
	a := Application{
		Number: d.Number, Kind: ApplyDeregistration, Digest: digest, Received: now,
		Ground: d.Ground, Requester: &requester, RegistrationID: d.RegistrationID,
		History: []StatusChange{{StatusDelivered, now}, {StatusInProcessing, now}},
	}
	reason, r, err := checkDeregistration(tx, d, DateOf(now))
	if err != nil {
		return Application{}, err
	}
	if r.ID != "" {
		dw, err := tx.Dwelling(r.DwellingID)
		if err != nil {
			return Application{}, fmt.Errorf("%w: registration %s names dwelling %s: %w", ErrCorrupt, r.ID, r.DwellingID, err)
		}
		a.ApplicantPIN, a.Purpose, a.DwellingID, a.DwellingType, a.Address = r.PIN, r.Type, dw.ID, dw.Type, dw.Address
	}
	if reason != "" {
		a.refuse(reason, now, rules)
		return a, keep(tx, a, w)
	}
	r.Ended, r.EndReason, r.EndRecord = DateOf(now), EndDeregistered, w.RecordID()
	if _, err := tx.PutRegistration(r); err != nil {
		return Application{}, err
	}
	a.History = append(a.History, StatusChange{StatusProcessed, now})
	a.Decision = DecisionDeregistered
	return a, keep(tx, a, w)
}

// checkDeregistration applies the deregistration rules and returns the
// registration to end, or the reason it is refused.
func checkDeregistration(tx PopulationTx, d DeregistrationFiling, today Date) (RefusalReason, Registration, error) {
	if _, err := tx.Person(d.Requester.PIN); errors.Is(err, ErrNotFound) {
		return RefusePersonNotFound, Registration{}, nil
	} else if err != nil {
		return "", Registration{}, err
	}
	r, err := tx.Registration(d.RegistrationID)
	switch {
	case errors.Is(err, ErrNotFound):
		return RefuseRegistrationUnknown, Registration{}, nil
	case err != nil:
		return "", Registration{}, err
	}
	dw, err := tx.Dwelling(r.DwellingID)
	if err != nil {
		return "", Registration{}, fmt.Errorf("%w: registration %s names dwelling %s: %w", ErrCorrupt, r.ID, r.DwellingID, err)
	}
	entitled := d.Requester.PIN == r.PIN || slices.ContainsFunc(dw.Owners, func(o Owner) bool {
		return o.PIN == d.Requester.PIN && o.Title == TitleOwner
	})
	switch {
	case !d.Requester.FaceIDMatched:
		return RefuseFaceIDNotMatched, r, nil
	case !entitled:
		return RefuseNotEntitled, r, nil
	case !r.CurrentOn(today) || r.Since.After(today):
		return RefuseRegistrationEnded, r, nil
	case !slices.Contains(DeregistrationGrounds, d.Ground):
		return RefuseInvalidGround, r, nil
	}
	return "", r, nil
}

// Application returns the application with the given number as it stands
// now (a lapse is applied, [Application.At]). It fails with
// [ErrInvalidNumber] for a malformed number and [ErrNotFound] for an
// unknown one.
func (g *Registry) Application(ctx context.Context, number string) (Application, error) {
	if err := ValidNumber(number); err != nil {
		return Application{}, err
	}
	now := g.now()
	var a Application
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		a, err = tx.Application(number)
		return err
	})
	return a.At(now), err
}
