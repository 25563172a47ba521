package registry

import (
	"context"
	"io"
)

// Store keeps the registers' records. It is the whole of what the rules
// need from storage: transactions over [Tx]. Each storage technology
// implements it in a sub-package named after it (registry/boltstore) and
// passes the conformance suite registry/storetest.
//
// A Store is safe for concurrent use by several goroutines.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent
	// snapshot of committed data: never a change an unfinished Update has
	// made, and nothing committed after the snapshot was taken. A Put
	// inside View fails with an error wrapping [ErrReadOnly]. View returns
	// fn's error as is (errors.Is finds its sentinel), or ctx's error
	// without calling fn if ctx is already done.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction and commits it if fn
	// returns nil. If fn returns an error (returned as is) or panics
	// (the panic goes on), nothing fn wrote is committed.
	//
	// Updates are serializable: their effect is as if they ran one at a
	// time, also between processes sharing one store, so a rule that reads,
	// checks and writes in one Update cannot be raced (two registrations
	// for the last place in a dwelling cannot both pass a count). To give
	// that guarantee an implementation may run fn again after a
	// serialization conflict, with a fresh Tx; fn must therefore have no
	// effect outside tx except assigning its results.
	//
	// Update fails with an error wrapping [ErrReadOnly] on a store opened
	// read-only, and with ctx's error, without calling fn, if ctx is
	// already done. A commit that fails returns an error and leaves
	// nothing of fn's writes.
	Update(ctx context.Context, fn func(Tx) error) error
	// Close releases the store. Transactions must not be started after it.
	Close() error
}

// Tx is one transaction over every register the store holds. Each register
// declares the reads and writes its rules need as an interface of its own,
// and Tx joins them, so that one transaction can span registers (an
// application and the registration it makes commit together).
//
// A Tx is valid only inside the function it was passed to and is used by
// one goroutine. Values it returns are copies that the caller owns.
type Tx interface {
	PopulationTx
	DocumentTx
	ApplicationTx
	TaxpayerTx
	ApostilleTx
}

// PopulationTx is the storage contract of the population register:
// persons, dwellings and registrations, and two indexes of registrations.
//
// Getters fail with an error wrapping [ErrNotFound] for a key that is not
// stored, and with [ErrCorrupt] for a stored value that cannot be read.
// Puts store a value under its key (PIN, dwelling ID, registration ID),
// replacing what was there, and report whether they replaced something; a
// put is visible to the same transaction at once. The store does not check
// the values: the rules do, before they write.
type PopulationTx interface {
	Person(pin string) (Person, error)
	Dwelling(id string) (Dwelling, error)
	Registration(id string) (Registration, error)

	// RegistrationsOf returns every registration whose PIN is pin, and
	// RegistrationsAt every registration whose DwellingID is dwellingID, in
	// no particular order; none (and no error) when there are none. Both
	// follow PutRegistration at once, also when it moves a registration to
	// another person or dwelling.
	RegistrationsOf(pin string) ([]Registration, error)
	RegistrationsAt(dwellingID string) ([]Registration, error)

	// Stats counts the stored records of each kind.
	Stats() (Stats, error)

	PutPerson(p Person) (replaced bool, err error)
	PutDwelling(d Dwelling) (replaced bool, err error)
	PutRegistration(r Registration) (replaced bool, err error)
}

// Stats counts the records of each kind.
type Stats struct {
	Persons       int
	Dwellings     int
	Registrations int
}

// Backuper is implemented by a [Store] that can write a consistent copy of
// itself while readers and writers go on (boltstore: the whole file). A
// store kept in a database server has none: its operators use the server's
// own tools.
type Backuper interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
}
