package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The taxpayer register: what the State Tax Service's taxpayer cabinet
// shows of a taxpayer (seed 002 §4; docs/domain.md, "Taxpayers").

// INNLength is the number of digits of a taxpayer number (ИНН).
const INNLength = 14

// TaxpayerType says whether a taxpayer is a natural person or a legal
// entity («Жактын түрү», seed 002 §4).
type TaxpayerType string

// Taxpayer types.
const (
	TaxpayerIndividual TaxpayerType = "individual"
	TaxpayerEntity     TaxpayerType = "entity"
)

// TaxpayerStatus is a taxpayer's standing with the tax service. The values
// are our design (docs/domain.md): the seed names no statuses.
type TaxpayerStatus string

// Taxpayer statuses.
const (
	TaxpayerActive     TaxpayerStatus = "active"     // registered and reporting
	TaxpayerSuspended  TaxpayerStatus = "suspended"  // activity suspended
	TaxpayerLiquidated TaxpayerStatus = "liquidated" // an entity wound up, an individual removed from the tax base
)

// BindingStatus is the state of a binding between a user and a legal
// entity: the tax inspector approves it (seed 002 §4, 1.2).
type BindingStatus string

// Binding statuses.
const (
	BindingPending  BindingStatus = "pending"
	BindingApproved BindingStatus = "approved"
)

// Taxpayer is one record of the taxpayer register, keyed by INN.
type Taxpayer struct {
	// INN is the taxpayer number: an individual's is the PIN (see
	// [ParseINN]); an entity's starts with 0.
	INN  string       `json:"inn"`
	Type TaxpayerType `json:"type"`
	// Name is the taxpayer's name («Салык төлөөчүнүн аталышы»): an
	// individual's full name, an entity's registered name.
	Name string `json:"name"`
	// TaxOffice is the code of the tax office the taxpayer is registered
	// with («Код МСКБ»): three digits.
	TaxOffice string `json:"tax_office"`
	// Address is the registered residence of an individual, or the legal
	// address of an entity.
	Address    Address        `json:"address"`
	Registered Date           `json:"registered"` // registration with the tax service
	Status     TaxpayerStatus `json:"status"`
}

// Binding binds a legal entity to a user of the cabinet, an individual
// taxpayer, so that the user acts for it (seed 002 §4, 1.2). One person may
// be bound to several entities. Its key is PIN and EntityINN.
type Binding struct {
	PIN       string        `json:"pin"`        // the individual taxpayer
	EntityINN string        `json:"entity_inn"` // the legal entity
	Status    BindingStatus `json:"status"`
	Since     Date          `json:"since"` // the date of the application
}

// TaxpayerTx is the storage contract of the taxpayer register. Getters
// and puts behave as those of [PopulationTx]: Taxpayer fails with an error
// wrapping [ErrNotFound] for an INN not stored, puts replace the record
// under the same key (INN; PIN and EntityINN) and report it, and a put is
// visible to its own transaction at once.
type TaxpayerTx interface {
	Taxpayer(inn string) (Taxpayer, error)
	// BindingsOf returns every binding whose PIN is pin, in no particular
	// order; none (and no error) when there are none.
	BindingsOf(pin string) ([]Binding, error)
	PutTaxpayer(t Taxpayer) (replaced bool, err error)
	PutBinding(b Binding) (replaced bool, err error)
}

// ErrInvalidINN is wrapped by every error [ParseINN] returns.
var ErrInvalidINN = errors.New("registry: invalid INN")

// ParseINN checks a taxpayer number and says whose it is: 14 ASCII digits;
// one that starts with 1 or 2 is an individual's, their PIN, and must be a
// valid PIN on now ([ParsePIN]); one that starts with 0 is a legal
// entity's. Errors wrap [ErrInvalidINN] (and, for an individual's, the
// PIN's cause).
func ParseINN(s string, now time.Time) (TaxpayerType, error) {
	if len(s) != INNLength {
		return "", fmt.Errorf("%w: must have %d digits (got %d characters)", ErrInvalidINN, INNLength, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", fmt.Errorf("%w: must contain only the digits 0-9 (position %d)", ErrInvalidINN, i+1)
		}
	}
	if s[0] == '0' {
		return TaxpayerEntity, nil
	}
	if _, err := ParsePIN(s, now); err != nil {
		return "", fmt.Errorf("%w: an individual's INN is their PIN: %w", ErrInvalidINN, err)
	}
	return TaxpayerIndividual, nil
}

// validTaxOffice reports whether s is a tax office code: three digits.
func validTaxOffice(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Validate checks t on its own at now: the INN and that its type agrees
// with it, the name, the tax office code, the address, the registration
// date (not in the future) and the status.
func (t Taxpayer) Validate(now time.Time) error {
	kind, err := ParseINN(t.INN, now)
	if err != nil {
		return fmt.Errorf("inn: %w", err)
	}
	switch t.Type {
	case "":
		return fmt.Errorf("%w: type", ErrMissingField)
	case TaxpayerIndividual, TaxpayerEntity:
	default:
		return fmt.Errorf("%w: type %q (want individual or entity)", ErrInvalidValue, t.Type)
	}
	if t.Type != kind {
		return fmt.Errorf("%w: type %s, the INN is an %s's", ErrPINMismatch, t.Type, kind)
	}
	if err := checkText("name", t.Name, true); err != nil {
		return err
	}
	if t.TaxOffice == "" {
		return fmt.Errorf("%w: tax_office", ErrMissingField)
	}
	if !validTaxOffice(t.TaxOffice) {
		return fmt.Errorf("%w: tax_office %q (want three digits)", ErrInvalidValue, t.TaxOffice)
	}
	if err := t.Address.validate("address"); err != nil {
		return err
	}
	if t.Registered.IsZero() {
		return fmt.Errorf("%w: registered", ErrMissingField)
	}
	if t.Registered.After(DateOf(now)) {
		return fmt.Errorf("%w: registered %s", ErrFutureDate, t.Registered)
	}
	switch t.Status {
	case "":
		return fmt.Errorf("%w: status", ErrMissingField)
	case TaxpayerActive, TaxpayerSuspended, TaxpayerLiquidated:
	default:
		return fmt.Errorf("%w: status %q (want active, suspended or liquidated)", ErrInvalidValue, t.Status)
	}
	return nil
}

// validate checks an address that is not a dwelling's: a region, a
// settlement, and optional district, street, house and apartment.
func (a Address) validate(prefix string) error {
	switch {
	case a.Region == "":
		return fmt.Errorf("%w: %s.region", ErrMissingField, prefix)
	case a.Region.NameKy() == "":
		return fmt.Errorf("%w: %s.region %q (want one of %v)", ErrInvalidValue, prefix, a.Region, Regions)
	}
	for _, p := range []struct {
		name, v  string
		required bool
	}{
		{"district", a.District, false},
		{"settlement", a.Settlement, true},
		{"street", a.Street, false},
		{"house", a.House, false},
		{"apartment", a.Apartment, false},
	} {
		if err := checkText(prefix+"."+p.name, p.v, p.required); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks b on its own: the person's INN is an individual's, the
// entity's an entity's, the status is known and the date not in the
// future. Whether both taxpayers exist is checked by the import.
func (b Binding) Validate(now time.Time) error {
	if kind, err := ParseINN(b.PIN, now); err != nil {
		return fmt.Errorf("pin: %w", err)
	} else if kind != TaxpayerIndividual {
		return fmt.Errorf("%w: pin %s is an entity's INN", ErrInvalidValue, b.PIN)
	}
	if kind, err := ParseINN(b.EntityINN, now); err != nil {
		return fmt.Errorf("entity_inn: %w", err)
	} else if kind != TaxpayerEntity {
		return fmt.Errorf("%w: entity_inn %s is an individual's INN", ErrInvalidValue, b.EntityINN)
	}
	switch b.Status {
	case "":
		return fmt.Errorf("%w: status", ErrMissingField)
	case BindingPending, BindingApproved:
	default:
		return fmt.Errorf("%w: status %q (want pending or approved)", ErrInvalidValue, b.Status)
	}
	if b.Since.IsZero() {
		return fmt.Errorf("%w: since", ErrMissingField)
	}
	if b.Since.After(DateOf(now)) {
		return fmt.Errorf("%w: since %s", ErrFutureDate, b.Since)
	}
	return nil
}

// Key returns the binding's key: PIN, a space, the entity's INN.
func (b Binding) Key() string { return b.PIN + " " + b.EntityINN }

// BoundEntity is a legal entity bound to an individual, as the cabinet
// lists it: the entity's record and the binding's state.
type BoundEntity struct {
	Entity  Taxpayer
	Binding Binding
}

// TaxpayerView is a taxpayer as getTaxpayer shows it: the record and, for
// an individual, the legal entities bound to them, by INN.
type TaxpayerView struct {
	Taxpayer Taxpayer
	Entities []BoundEntity
}

// ReadTaxpayer returns the taxpayer with inn and, for an individual, the
// entities bound to them in INN order. It fails with [ErrNotFound] for an
// INN not in the register; a binding whose entity is missing is
// [ErrCorrupt], as the import never writes one.
func ReadTaxpayer(tx TaxpayerTx, inn string) (TaxpayerView, error) {
	t, err := tx.Taxpayer(inn)
	if err != nil {
		return TaxpayerView{}, err
	}
	view := TaxpayerView{Taxpayer: t}
	if t.Type != TaxpayerIndividual {
		return view, nil
	}
	bs, err := tx.BindingsOf(inn)
	if err != nil {
		return TaxpayerView{}, err
	}
	slices.SortFunc(bs, func(a, b Binding) int { return strings.Compare(a.EntityINN, b.EntityINN) })
	for _, b := range bs {
		e, err := tx.Taxpayer(b.EntityINN)
		if err != nil {
			return TaxpayerView{}, fmt.Errorf("%w: binding of %s to %s: %w", ErrCorrupt, b.PIN, b.EntityINN, err)
		}
		view.Entities = append(view.Entities, BoundEntity{Entity: e, Binding: b})
	}
	return view, nil
}

// Taxpayer returns the taxpayer with inn and the entities bound to an
// individual (see [ReadTaxpayer]). A malformed INN fails with an error
// wrapping [ErrInvalidINN], an INN not in the register with
// [ErrNotFound]: for an individual's INN that is the answer "a user with
// this INN is not a taxpayer" (seed 002 §4, 1.1).
func (g *Registry) Taxpayer(ctx context.Context, inn string) (TaxpayerView, error) {
	if _, err := ParseINN(inn, g.now()); err != nil {
		return TaxpayerView{}, err
	}
	var v TaxpayerView
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		v, err = ReadTaxpayer(tx, inn)
		return err
	})
	return v, err
}

// applyTaxpayers writes the batch's taxpayers and bindings in tx and checks
// them against the batch and the store: an individual taxpayer must be a
// person of the population register ([ErrUnknownPerson]); a binding's
// person must be an individual taxpayer and its entity an entity taxpayer
// ([ErrUnknownTaxpayer]). Bad lines go to fail.
func (b *batch) applyTaxpayers(tx Tx, rep *ImportReport, fail func(*batchRecord, error)) error {
	for _, k := range sortedKeys(b.taxpayers) {
		br := b.taxpayers[k]
		t := br.rec.Taxpayer
		if t.Type == TaxpayerIndividual {
			switch _, err := tx.Person(t.INN); {
			case errors.Is(err, ErrNotFound):
				fail(br, fmt.Errorf("taxpayer: %w: %s", ErrUnknownPerson, t.INN))
				continue
			case err != nil:
				return err
			}
		}
		replaced, err := tx.PutTaxpayer(t)
		if err != nil {
			return err
		}
		rep.Taxpayers++
		rep.Replaced += boolInt(replaced)
	}
	for _, k := range sortedKeys(b.bindings) {
		br := b.bindings[k]
		bd := br.rec.Binding
		ok := true
		for _, side := range []struct {
			field, inn string
			want       TaxpayerType
		}{{"pin", bd.PIN, TaxpayerIndividual}, {"entity_inn", bd.EntityINN, TaxpayerEntity}} {
			t, err := tx.Taxpayer(side.inn)
			switch {
			case errors.Is(err, ErrNotFound):
				fail(br, fmt.Errorf("binding: %s: %w: %s", side.field, ErrUnknownTaxpayer, side.inn))
				ok = false
			case err != nil:
				return err
			case t.Type != side.want:
				fail(br, fmt.Errorf("binding: %s: %w: %s is not an %s taxpayer", side.field, ErrInvalidValue, side.inn, side.want))
				ok = false
			}
		}
		if !ok {
			continue
		}
		replaced, err := tx.PutBinding(bd)
		if err != nil {
			return err
		}
		rep.Bindings++
		rep.Replaced += boolInt(replaced)
	}
	return nil
}
