package registry

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"
	"unicode/utf8"
)

// The apostille register: the Interior Ministry's register book of
// apostilles placed on Kyrgyz official documents (seed 004, annex 3), the
// examination that precedes an entry (seed 004 §9–13) and the register of
// officials authorised to sign documents. docs/domain.md, "Apostilles",
// restates the rules and marks what is our design (the numbering, the
// lookup by number and date).

// BishkekDate returns the calendar date of t in Bishkek.
func BishkekDate(t time.Time) Date {
	y, m, d := t.In(Bishkek).Date()
	return NewDate(y, m, d)
}

// Register errors of the apostille register.
var (
	// ErrUnknownTaxpayer means a binding names an INN that is in neither
	// the batch nor the register.
	ErrUnknownTaxpayer = errors.New("registry: taxpayer not in the batch or the store")
	// ErrApplicationReused means an application number already entered in
	// the register came again with other content.
	ErrApplicationReused = errors.New("registry: application number already used for another application")
)

// OfficialDocumentKind is what an official document is, as far as the rules on
// what may be apostilled need to know (seed 004 §8, §10).
type OfficialDocumentKind string

// Document kinds.
const (
	DocOfficial     OfficialDocumentKind = "official"      // an act of a state body, court, notary or local self-government (§8 a)
	DocNotarised    OfficialDocumentKind = "notarised"     // a notarised document (§8 b)
	DocOfficialMark OfficialDocumentKind = "official_mark" // a document with an official mark: registration, a date visa, a certified signature (§8 c)
	DocFounding     OfficialDocumentKind = "founding"      // a founding document of an entity (§10 b, the exception when a state body issued it)
	DocPatent       OfficialDocumentKind = "patent"        // a patent document: a registration certificate, a licence (§10 b, likewise)
	DocCommercial   OfficialDocumentKind = "commercial"    // a document of a commercial operation (§10 b)
	DocCustoms      OfficialDocumentKind = "customs"       // a document of a customs operation (§10 b)
	DocMilitaryID   OfficialDocumentKind = "military_id"   // not to be taken abroad (§10 c)
	DocIDCard       OfficialDocumentKind = "id_card"       // not to be taken abroad (§10 c)
	DocPassport     OfficialDocumentKind = "passport"      // not to be taken abroad (§10 c)
)

// OfficialDocumentKinds lists every document kind.
var OfficialDocumentKinds = []OfficialDocumentKind{DocOfficial, DocNotarised, DocOfficialMark, DocFounding, DocPatent,
	DocCommercial, DocCustoms, DocMilitaryID, DocIDCard, DocPassport}

// Issuer is the kind of body that issued a document.
type Issuer string

// Issuers.
const (
	IssuerStateBody       Issuer = "state_body"       // a state body or institution, incl. law enforcement
	IssuerCourt           Issuer = "court"            // a court
	IssuerNotary          Issuer = "notary"           // a notary
	IssuerLocalGovernment Issuer = "local_government" // a local self-government body
	IssuerEmbassy         Issuer = "embassy"          // an embassy or consulate of the Kyrgyz Republic (§10 a)
	IssuerForeign         Issuer = "foreign_state"    // a body of another state (§11)
	IssuerSoviet          Issuer = "soviet"           // a body of the Kyrgyz SSR or another former USSR republic (§9)
	IssuerOther           Issuer = "other"            // a private person or entity
)

// Issuers lists every issuer kind.
var Issuers = []Issuer{IssuerStateBody, IssuerCourt, IssuerNotary, IssuerLocalGovernment,
	IssuerEmbassy, IssuerForeign, IssuerSoviet, IssuerOther}

// Ground is one reason to refuse an apostille (seed 004 §9–11, §13). Its
// value is stable: the adapter answers it with a code of its own.
type Ground string

// Refusal grounds, in the order the examination reports them.
const (
	GroundEmbassyDocument     Ground = "EmbassyDocument"     // §10 a
	GroundCommercialDocument  Ground = "CommercialDocument"  // §10 b
	GroundNotForAbroad        Ground = "NotForAbroad"        // §10 c
	GroundForeignDocument     Ground = "ForeignDocument"     // §11
	GroundSovietOriginal      Ground = "SovietOriginal"      // §9
	GroundNotConventionParty  Ground = "NotConventionParty"  // §13 b
	GroundObjectingState      Ground = "ObjectingState"      // §13 b
	GroundIllegible           Ground = "Illegible"           // §13 c
	GroundPencilOrFax         Ground = "PencilOrFax"         // §13 d
	GroundUnofficialAdditions Ground = "UnofficialAdditions" // §13 e
	GroundBreachOfLaw         Ground = "BreachOfLaw"         // §13 f
	GroundSpecimenMismatch    Ground = "SpecimenMismatch"    // §13 g
	GroundSignerNotAuthorised Ground = "SignerNotAuthorised" // §13 h
)

// Grounds lists every ground in the order of the examination.
var Grounds = []Ground{GroundEmbassyDocument, GroundCommercialDocument, GroundNotForAbroad,
	GroundForeignDocument, GroundSovietOriginal, GroundNotConventionParty, GroundObjectingState,
	GroundIllegible, GroundPencilOrFax, GroundUnofficialAdditions, GroundBreachOfLaw,
	GroundSpecimenMismatch, GroundSignerNotAuthorised}

// Limits on the apostille register's texts.
const (
	maxApostilleText = 500 // a document's title and details
	maxApostilleName = 200 // names, posts, bodies, receipts
)

// ApostilleDocument is the official document an apostille is asked for:
// the register book's "title of the document and its details".
type ApostilleDocument struct {
	Title   string               `json:"title"`
	Details string               `json:"details"` // number, date and other details as written on it
	Issued  Date                 `json:"issued"`  // the date it was issued and signed
	Kind    OfficialDocumentKind `json:"kind"`
	Issuer  Issuer               `json:"issuer"`
	// NotarisedCopy is set when the document presented is a copy
	// notarised in the Kyrgyz Republic, not the original (§9).
	NotarisedCopy bool `json:"notarised_copy,omitempty"`
}

// Signatory is the official who signed the document: name, post and body.
type Signatory struct {
	Name string `json:"name"`
	Post string `json:"post"`
	Body string `json:"body"`
}

// Submitter is the person who handed the document in, with the details of
// their identity document.
type Submitter struct {
	Name       string `json:"name"`
	IDDocument string `json:"id_document"`
}

// FeePayment is the receipt of the apostille fee.
type FeePayment struct {
	Receipt string `json:"receipt"` // the payment document's number and issuer
	Paid    Date   `json:"paid"`
}

// Findings are the examining officer's findings about the document (§13
// c–g): each set finding is a ground to refuse.
type Findings struct {
	Illegible           bool `json:"illegible,omitempty"`
	Pencil              bool `json:"pencil,omitempty"` // filled in or signed in pencil
	Fax                 bool `json:"fax,omitempty"`    // received by fax
	UnofficialAdditions bool `json:"unofficial_additions,omitempty"`
	BreachOfLaw         bool `json:"breach_of_law,omitempty"`
	SpecimenMismatch    bool `json:"specimen_mismatch,omitempty"` // signature or seal does not match the specimen
}

// ApostilleApplication is one application to place an apostille, with the
// fields of the register book (seed 004, annex 3) and the officer's
// findings. Number, the application number, identifies it: an application
// entered once is not entered again.
type ApostilleApplication struct {
	Number    string            `json:"application"` // see [ValidID]
	Document  ApostilleDocument `json:"document"`
	Signer    Signatory         `json:"signer"`
	Country   string            `json:"country"` // the destination, ISO 3166-1 alpha-2
	Submitter Submitter         `json:"submitter"`
	Fee       FeePayment        `json:"fee"`
	PlacedBy  string            `json:"placed_by"` // the official placing the apostille
	// SpecimensRequested is set when signature or seal specimens, or the
	// signer's authority, must be requested: the term is then up to 30
	// working days instead of 2 (seed 004 §4).
	SpecimensRequested bool     `json:"specimens_requested,omitempty"`
	Findings           Findings `json:"findings,omitzero"`
}

// Apostille is one entry of the register book.
type Apostille struct {
	// Number is YEAR-SEQUENCE, e.g. 2026-000017: sequential per year of
	// Date, from 000001 (our design: seed 004 numbers nothing).
	Number      string               `json:"number"`
	Date        Date                 `json:"date"` // the day it was entered, in Bishkek
	Due         Date                 `json:"due"`  // when the apostilled document is due to the applicant
	Application ApostilleApplication `json:"application"`
	// Record is the id of the access-log record of the request that made
	// the entry online; empty for an imported one.
	Record string `json:"record,omitempty"`
}

// Official is an official authorised to sign documents that may be
// apostilled: the register the signer is checked against (§13 h). Key: ID.
type Official struct {
	ID    string `json:"id"` // see [ValidID]
	Name  string `json:"name"`
	Post  string `json:"post"`
	Body  string `json:"body"`
	From  Date   `json:"from"`           // first day of the authority
	Until Date   `json:"until,omitzero"` // last day; zero while it lasts
}

// AuthorisedOn reports whether o may sign on day d.
func (o Official) AuthorisedOn(d Date) bool {
	return !d.Before(o.From) && (o.Until.IsZero() || !d.After(o.Until))
}

// ApostilleTx is the storage contract of the apostille register. Getters
// fail with an error wrapping [ErrNotFound] for a key not stored; puts
// replace the record under its key (number; official ID) and report it;
// a put is visible to its own transaction at once, also through the index
// of application numbers and the list of a body's officials.
type ApostilleTx interface {
	Apostille(number string) (Apostille, error)
	// ApostilleOfApplication returns the entry whose Application.Number
	// is application.
	ApostilleOfApplication(application string) (Apostille, error)
	// LastApostilleSequence returns the highest sequence number of the
	// entries numbered in year, 0 when there are none.
	LastApostilleSequence(year int) (int, error)
	PutApostille(a Apostille) (replaced bool, err error)

	// OfficialsOf returns every official whose Body is body, in no
	// particular order; none (and no error) when there are none.
	OfficialsOf(body string) ([]Official, error)
	PutOfficial(o Official) (replaced bool, err error)
}

// FormatApostilleNumber returns the number of the seq-th entry of year.
func FormatApostilleNumber(year, seq int) string { return fmt.Sprintf("%04d-%06d", year, seq) }

// ParseApostilleNumber reads YYYY-NNNNNN (a year from [MinYear], a
// sequence from 1). Errors wrap [ErrInvalidID].
func ParseApostilleNumber(s string) (year, seq int, err error) {
	if len(s) != 11 || s[4] != '-' {
		return 0, 0, fmt.Errorf("%w: apostille number %q (want YYYY-NNNNNN)", ErrInvalidID, s)
	}
	if !allDigits(s[:4]) || !allDigits(s[5:]) {
		return 0, 0, fmt.Errorf("%w: apostille number %q (want YYYY-NNNNNN)", ErrInvalidID, s)
	}
	year, seq = atoi(s[:4]), atoi(s[5:])
	if year < MinYear || seq < 1 {
		return 0, 0, fmt.Errorf("%w: apostille number %q (want YYYY-NNNNNN)", ErrInvalidID, s)
	}
	return year, seq, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkLong accepts printable UTF-8 of at most max characters without
// surrounding spaces, as [checkText] does for its 200.
func checkLong(field, v string, required bool, max int) error {
	if v == "" {
		if required {
			return fmt.Errorf("%w: %s", ErrMissingField, field)
		}
		return nil
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidValue, field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return fmt.Errorf("%w: %s is longer than %d characters (%d)", ErrInvalidValue, field, max, n)
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

// Validate checks a on its own at now: the application number, every
// required field and its length, the enumerations, the destination as an
// ISO 3166-1 alpha-2 code ([KnownCountry]), and dates not in the future.
// Whether an apostille may be placed is not its question: [Examine] says.
func (a ApostilleApplication) Validate(now time.Time) error {
	if err := ValidID(a.Number); err != nil {
		return fmt.Errorf("application: %w", err)
	}
	today := BishkekDate(now)
	d := a.Document
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"document.title", d.Title, maxApostilleText},
		{"document.details", d.Details, maxApostilleText},
		{"signer.name", a.Signer.Name, maxApostilleName},
		{"signer.post", a.Signer.Post, maxApostilleName},
		{"signer.body", a.Signer.Body, maxApostilleName},
		{"submitter.name", a.Submitter.Name, maxApostilleName},
		{"submitter.id_document", a.Submitter.IDDocument, maxApostilleName},
		{"fee.receipt", a.Fee.Receipt, maxApostilleName},
		{"placed_by", a.PlacedBy, maxApostilleName},
	} {
		if err := checkLong(f.name, f.v, true, f.max); err != nil {
			return err
		}
	}
	switch {
	case d.Kind == "":
		return fmt.Errorf("%w: document.kind", ErrMissingField)
	case !slices.Contains(OfficialDocumentKinds, d.Kind):
		return fmt.Errorf("%w: document.kind %q (want one of %v)", ErrInvalidValue, d.Kind, OfficialDocumentKinds)
	case d.Issuer == "":
		return fmt.Errorf("%w: document.issuer", ErrMissingField)
	case !slices.Contains(Issuers, d.Issuer):
		return fmt.Errorf("%w: document.issuer %q (want one of %v)", ErrInvalidValue, d.Issuer, Issuers)
	}
	for _, f := range []struct {
		name string
		d    Date
	}{{"document.issued", d.Issued}, {"fee.paid", a.Fee.Paid}} {
		if f.d.IsZero() {
			return fmt.Errorf("%w: %s", ErrMissingField, f.name)
		}
		if f.d.After(today) {
			return fmt.Errorf("%w: %s %s", ErrFutureDate, f.name, f.d)
		}
	}
	switch {
	case a.Country == "":
		return fmt.Errorf("%w: country", ErrMissingField)
	case !KnownCountry(a.Country):
		return fmt.Errorf("%w: country %q is not an ISO 3166-1 alpha-2 code", ErrInvalidValue, a.Country)
	}
	return nil
}

// Validate checks o on its own: ID, name, post, body, and a period that
// starts before it ends.
func (o Official) Validate() error {
	if err := ValidID(o.ID); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	for _, f := range []struct{ name, v string }{{"name", o.Name}, {"post", o.Post}, {"body", o.Body}} {
		if err := checkLong(f.name, f.v, true, maxApostilleName); err != nil {
			return err
		}
	}
	if o.From.IsZero() {
		return fmt.Errorf("%w: from", ErrMissingField)
	}
	if !o.Until.IsZero() && o.Until.Before(o.From) {
		return fmt.Errorf("%w: until %s before from %s", ErrDateOrder, o.Until, o.From)
	}
	return nil
}

// Validate checks an entry on its own at now, as the import reads it: its
// number against its date's year, the application, a due date not before
// the date, and no access record (only an online request names one).
func (a Apostille) Validate(now time.Time) error {
	year, _, err := ParseApostilleNumber(a.Number)
	if err != nil {
		return fmt.Errorf("number: %w", err)
	}
	if a.Date.IsZero() {
		return fmt.Errorf("%w: date", ErrMissingField)
	}
	if a.Date.After(BishkekDate(now)) {
		return fmt.Errorf("%w: date %s", ErrFutureDate, a.Date)
	}
	if y, _, _ := a.Date.Time().Date(); y != year {
		return fmt.Errorf("%w: number %s is not of the year of its date %s", ErrInvalidValue, a.Number, a.Date)
	}
	if a.Due.IsZero() {
		return fmt.Errorf("%w: due", ErrMissingField)
	}
	if a.Due.Before(a.Date) {
		return fmt.Errorf("%w: due %s before date %s", ErrDateOrder, a.Due, a.Date)
	}
	if a.Record != "" {
		return fmt.Errorf("%w: record: only an online request's entry names an access record", ErrInvalidValue)
	}
	if err := a.Application.Validate(now); err != nil {
		return err
	}
	if a.Application.Document.Issued.After(a.Date) {
		return fmt.Errorf("%w: document issued %s after the apostille's date %s", ErrDateOrder, a.Application.Document.Issued, a.Date)
	}
	return nil
}

// ApostilleRules are the facts the examination and the register need
// besides the store: the Convention's parties and objectors, and the
// working-day calendar that sets the term.
type ApostilleRules struct {
	Hague    HagueList
	Calendar Calendar
}

// Examine returns every ground on which the apostille must be refused, in
// the order of [Grounds]; none means it may be placed. It reads the
// register of officials to check the signer (§13 h): the signer must be an
// official of the named body, with the same name and post, authorised on
// the day the document was issued.
func Examine(tx ApostilleTx, a ApostilleApplication, rules ApostilleRules) ([]Ground, error) {
	d := a.Document
	var out []Ground
	add := func(cond bool, g Ground) {
		if cond {
			out = append(out, g)
		}
	}
	add(d.Issuer == IssuerEmbassy, GroundEmbassyDocument)
	add(d.Kind == DocCommercial || d.Kind == DocCustoms ||
		(d.Kind == DocFounding || d.Kind == DocPatent) && d.Issuer != IssuerStateBody, GroundCommercialDocument)
	add(d.Kind == DocMilitaryID || d.Kind == DocIDCard || d.Kind == DocPassport, GroundNotForAbroad)
	add(d.Issuer == IssuerForeign, GroundForeignDocument)
	add(d.Issuer == IssuerSoviet && !d.NotarisedCopy, GroundSovietOriginal)
	party := rules.Hague.Party(a.Country)
	add(!party, GroundNotConventionParty)
	add(party && rules.Hague.Objects(a.Country), GroundObjectingState)
	f := a.Findings
	add(f.Illegible, GroundIllegible)
	add(f.Pencil || f.Fax, GroundPencilOrFax)
	add(f.UnofficialAdditions, GroundUnofficialAdditions)
	add(f.BreachOfLaw, GroundBreachOfLaw)
	add(f.SpecimenMismatch, GroundSpecimenMismatch)
	officials, err := tx.OfficialsOf(a.Signer.Body)
	if err != nil {
		return nil, err
	}
	add(!slices.ContainsFunc(officials, func(o Official) bool {
		return o.Name == a.Signer.Name && o.Post == a.Signer.Post && o.AuthorisedOn(d.Issued)
	}), GroundSignerNotAuthorised)
	return out, nil
}

// Term returns the number of working days by which an apostille is due:
// 2, or 30 when specimens must be requested (seed 004 §4).
func (a ApostilleApplication) Term() int {
	if a.SpecimensRequested {
		return 30
	}
	return 2
}

// ApostilleDecision is what [EnterApostille] decided.
type ApostilleDecision struct {
	// Entry is the register's entry: new, or the one an earlier request
	// with the same application made (Repeated). Zero when refused.
	Entry    Apostille
	Repeated bool
	// Grounds are the grounds of a refusal, every one that applies; empty
	// when the entry was made.
	Grounds []Ground
}

// Refused reports whether the application was refused.
func (d ApostilleDecision) Refused() bool { return len(d.Grounds) > 0 }

// EnterApostille is the one rule that writes an entry. An application
// whose number is already entered gets that entry back (Repeated) and
// changes nothing, if it is the same application; with other content it
// fails with [ErrApplicationReused]. Otherwise the application is examined
// ([Examine]): a refusal writes nothing and lists every ground; else the
// entry gets the next number of today's year, today's date (in Bishkek),
// the due date [ApostilleApplication.Term] working days on, and record.
// The application must be valid ([ApostilleApplication.Validate]).
func EnterApostille(tx ApostilleTx, a ApostilleApplication, today Date, record string, rules ApostilleRules) (ApostilleDecision, error) {
	old, err := tx.ApostilleOfApplication(a.Number)
	switch {
	case err == nil:
		if !reflect.DeepEqual(old.Application, a) {
			return ApostilleDecision{}, fmt.Errorf("%w: %s is entered as %s", ErrApplicationReused, a.Number, old.Number)
		}
		return ApostilleDecision{Entry: old, Repeated: true}, nil
	case !errors.Is(err, ErrNotFound):
		return ApostilleDecision{}, err
	}
	grounds, err := Examine(tx, a, rules)
	if err != nil || len(grounds) > 0 {
		return ApostilleDecision{Grounds: grounds}, err
	}
	year, _, _ := today.Time().Date()
	last, err := tx.LastApostilleSequence(year)
	if err != nil {
		return ApostilleDecision{}, err
	}
	e := Apostille{
		Number:      FormatApostilleNumber(year, last+1),
		Date:        today,
		Due:         rules.Calendar.AddWorkingDays(today, a.Term()),
		Application: a,
		Record:      record,
	}
	if _, err := tx.PutApostille(e); err != nil {
		return ApostilleDecision{}, err
	}
	return ApostilleDecision{Entry: e}, nil
}

// ReadApostille returns the entry with number if its date is date, as the
// HCCH e-Register checks an apostille. An unknown number and a wrong date
// both fail with the same [ErrNotFound], which does not say which it was.
func ReadApostille(tx ApostilleTx, number string, date Date) (Apostille, error) {
	a, err := tx.Apostille(number)
	if errors.Is(err, ErrNotFound) || err == nil && a.Date != date {
		return Apostille{}, fmt.Errorf("%w: apostille", ErrNotFound)
	}
	return a, err
}

// ApostilleWrite is how [Registry.RegisterApostille] hands its decision to
// the caller's write contract (docs/protocol.md, "Writes").
type ApostilleWrite struct {
	// Record returns the id of the access record the entry will name; it
	// is read inside the transaction, once per run of it.
	Record func() string
	// Seal is called inside the transaction tx once an entry is made or
	// found again, before the transaction commits; an error from it rolls
	// the transaction back and is returned. A refusal is not sealed: it
	// changes nothing. The caller's record of the answer may join tx
	// (docs/postgres.md, "Writes across the two stores").
	Seal func(tx Tx, d ApostilleDecision) error
}

// RegisterApostille examines the application and enters it in the
// register ([EnterApostille]) in one [Store.Update], on today's date in
// Bishkek. A malformed application fails with its validation error and
// changes nothing; so does a refusal, returned as a decision with its
// grounds. A nil Record or Seal is skipped.
func (g *Registry) RegisterApostille(ctx context.Context, a ApostilleApplication, w ApostilleWrite) (ApostilleDecision, error) {
	now := g.now()
	if err := a.Validate(now); err != nil {
		return ApostilleDecision{}, err
	}
	today := BishkekDate(now)
	var d ApostilleDecision
	err := g.store.Update(ctx, func(tx Tx) error {
		record := ""
		if w.Record != nil {
			record = w.Record()
		}
		var err error
		d, err = EnterApostille(tx, a, today, record, g.apostille)
		if err != nil || d.Refused() || w.Seal == nil {
			return err
		}
		return w.Seal(tx, d)
	})
	if err != nil {
		return ApostilleDecision{}, err
	}
	return d, nil
}

// Apostille returns the entry with number dated date ([ReadApostille]);
// a malformed number fails with [ErrInvalidID].
func (g *Registry) Apostille(ctx context.Context, number string, date Date) (Apostille, error) {
	if _, _, err := ParseApostilleNumber(number); err != nil {
		return Apostille{}, err
	}
	var a Apostille
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		a, err = ReadApostille(tx, number, date)
		return err
	})
	return a, err
}

// applyApostille writes the batch's officials and apostille entries in
// tx. An entry's number and its application number must not be another
// stored entry's ([ErrConflict]).
func (b *batch) applyApostille(tx Tx, rep *ImportReport, fail func(*batchRecord, error)) error {
	for _, k := range sortedKeys(b.officials) {
		replaced, err := tx.PutOfficial(b.officials[k].rec.Official)
		if err != nil {
			return err
		}
		rep.Officials++
		rep.Replaced += boolInt(replaced)
	}
	apps := map[string]*batchRecord{}
	for _, k := range sortedKeys(b.apostilles) {
		br := b.apostilles[k]
		a := br.rec.Apostille
		if first, ok := apps[a.Application.Number]; ok {
			fail(br, fmt.Errorf("apostille: %w: application %s is also on line %d", ErrDuplicateID, a.Application.Number, first.line))
			continue
		}
		apps[a.Application.Number] = br
		old, err := tx.ApostilleOfApplication(a.Application.Number)
		switch {
		case err == nil && old.Number != a.Number:
			fail(br, fmt.Errorf("apostille: %w: application %s is entered as %s", ErrConflict, a.Application.Number, old.Number))
			continue
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		}
		replaced, err := tx.PutApostille(a)
		if err != nil {
			return err
		}
		rep.Apostilles++
		rep.Replaced += boolInt(replaced)
	}
	return nil
}
