package registry

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"
)

// Options configures [New]. The zero value runs on the wall clock.
type Options struct {
	// Now returns the current time. It decides what "today" is for PIN
	// checks, for dates that may not be in the future and for which stays
	// are current. Nil means time.Now.
	Now func() time.Time
	// Rand is the source of document numbers ([NewDocumentNumber]); it
	// must be cryptographic. Nil means crypto/rand.Reader.
	Rand io.Reader
	// Applications are the settings of the application rules (the
	// confirmation period, the holiday calendar); the zero value is
	// DefaultConfirmWithin and weekends without holidays.
	Applications ApplicationRules
	// Hague is the Apostille Convention's parties and objectors the
	// apostille register examines destinations against; zero means
	// [DefaultHague].
	Hague HagueList
	// Calendar sets the working days of the apostille term; zero means
	// [DefaultCalendar].
	Calendar Calendar
}

// Registry is the population register as its callers see it: lookups and
// imports, each one transaction of its [Store] running the rules of this
// package. It is safe for concurrent use.
type Registry struct {
	store     Store
	now       func() time.Time
	rand      io.Reader
	rules     ApplicationRules
	apostille ApostilleRules
}

// New returns the registry kept in store. The registry owns store from now
// on: [Registry.Close] closes it.
func New(store Store, opts Options) *Registry {
	r := &Registry{store: store, now: opts.Now, rand: opts.Rand, rules: opts.Applications,
		apostille: ApostilleRules{Hague: opts.Hague, Calendar: opts.Calendar}}
	if r.now == nil {
		r.now = time.Now
	}
	if r.rand == nil {
		r.rand = rand.Reader
	}
	if r.apostille.Hague.IsZero() {
		r.apostille.Hague = DefaultHague()
	}
	if r.apostille.Calendar.isZero() {
		r.apostille.Calendar = DefaultCalendar()
	}
	return r
}

// Close closes the store.
func (g *Registry) Close() error { return g.store.Close() }

// Person returns the person with the given PIN. It fails with an error
// wrapping [ErrInvalidPIN] (and the specific cause) for a malformed PIN and
// with [ErrNotFound] for a well-formed one that is not registered.
func (g *Registry) Person(ctx context.Context, pin string) (Person, error) {
	if _, err := ParsePIN(pin, g.now()); err != nil {
		return Person{}, err
	}
	var p Person
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		p, err = tx.Person(pin)
		return err
	})
	return p, err
}

// Dwelling returns the dwelling with the given ID, [ErrInvalidID] for a
// malformed one and [ErrNotFound] for an unknown one.
func (g *Registry) Dwelling(ctx context.Context, id string) (Dwelling, error) {
	if err := ValidID(id); err != nil {
		return Dwelling{}, err
	}
	var d Dwelling
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		d, err = tx.Dwelling(id)
		return err
	})
	return d, err
}

// Registrations returns the person's current residence, current stay and
// history (see [ReadRegistrations]). Errors are as for [Registry.Person].
func (g *Registry) Registrations(ctx context.Context, pin string) (RegistrationView, error) {
	now := g.now()
	if _, err := ParsePIN(pin, now); err != nil {
		return RegistrationView{}, err
	}
	var view RegistrationView
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		view, err = ReadRegistrations(tx, pin, DateOf(now))
		return err
	})
	return view, err
}

// DwellingResidents returns the dwelling and the registrations current today
// at it (see [ReadResidents]). Errors: [ErrInvalidID] for a malformed ID,
// [ErrNotFound] for an unknown dwelling.
func (g *Registry) DwellingResidents(ctx context.Context, dwellingID string) (DwellingResidents, error) {
	if err := ValidID(dwellingID); err != nil {
		return DwellingResidents{}, err
	}
	today := DateOf(g.now())
	var out DwellingResidents
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = ReadResidents(tx, dwellingID, today)
		return err
	})
	return out, err
}

// Stats returns how many records of each kind the store holds.
func (g *Registry) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		st, err = tx.Stats()
		return err
	})
	return st, err
}

// Empty reports whether the store holds no persons, dwellings or
// registrations, e.g. to decide whether to load demo data on first start.
func (g *Registry) Empty(ctx context.Context) (bool, error) {
	st, err := g.Stats(ctx)
	if err != nil {
		return false, err
	}
	return st == Stats{}, nil
}

// Backup writes a consistent copy of the store to w while readers and
// writers go on, if the store is a [Backuper], and returns the number of
// bytes written. For any other store it fails with [errors.ErrUnsupported].
func (g *Registry) Backup(ctx context.Context, w io.Writer) (int64, error) {
	b, ok := g.store.(Backuper)
	if !ok {
		return 0, fmt.Errorf("registry: backup: %w: the store copies itself by its own tools", errors.ErrUnsupported)
	}
	return b.Backup(ctx, w)
}
