package boltstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/darbaza/darbaza/registry"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names. They are part of the file format: never rename one.
const (
	bucketMeta          = "meta"                      // schemaKey -> schemaVersion
	bucketPersons       = "persons"                   // PIN -> encoded Person
	bucketDwellings     = "dwellings"                 // dwelling ID -> encoded Dwelling
	bucketRegistrations = "registrations"             // registration ID -> encoded Registration
	bucketRegsByPIN     = "registrations_by_pin"      // PIN (14 bytes) + registration ID -> empty
	bucketRegsByDwell   = "registrations_by_dwelling" // dwelling ID + 0x00 + registration ID -> empty
)

var allBuckets = []string{
	bucketMeta, bucketPersons, bucketDwellings, bucketRegistrations,
	bucketRegsByPIN, bucketRegsByDwell,
}

const (
	schemaKey     = "schema"
	schemaVersion = "1"

	// formatV1 is the first byte of every stored record but a compact
	// person's ([formatPerson]): the rest is the record's JSON encoding as
	// described on [registry.Person], [registry.Dwelling] and
	// [registry.Registration]. Changing those encodings means a new format
	// byte and a decoder for the old one.
	formatV1 byte = 1

	// initialMmapSize fits the demo dataset (about 40 MiB) several times.
	initialMmapSize = 256 << 20
)

// Options configures [Open]. The zero value is a read-write store whose
// commits are synced, waiting up to a second for the file lock.
type Options struct {
	// Timeout bounds the wait for the file lock another process holds.
	// Zero means 1 second; negative means wait forever.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock; Update then fails with
	// [registry.ErrReadOnly]. The file and its buckets must already exist.
	ReadOnly bool
	// NoSync skips fsync on commit. Only for tests and throwaway stores: a
	// crash can lose committed imports. False means every commit is synced.
	NoSync bool
}

// Store is the registry in one bbolt file. It implements [registry.Store]
// and [registry.Backuper] and is safe for concurrent use.
type Store struct {
	db       *bolt.DB
	readOnly bool
}

// Open opens or creates the registry file at path.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.Timeout
	switch {
	case timeout == 0:
		timeout = time.Second
	case timeout < 0:
		timeout = 0
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: timeout, ReadOnly: opts.ReadOnly, NoSync: opts.NoSync,
		// Address space only: saves remapping (and copying every dirty
		// node) while a large import grows the file.
		InitialMmapSize: initialMmapSize,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("registry: open %s: the file is locked by another process, the server or an import (waited %v): %w", path, timeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", path, err)
	}
	s := &Store{db: db, readOnly: opts.ReadOnly}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("registry: open %s: %w", path, err)
	}
	return s, nil
}

// init creates the buckets of a new file and checks the schema of an old one.
func (s *Store) init() error {
	check := func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket([]byte(name)) == nil {
				return fmt.Errorf("%w: bucket %q missing", registry.ErrCorrupt, name)
			}
		}
		if v := tx.Bucket([]byte(bucketMeta)).Get([]byte(schemaKey)); string(v) != schemaVersion {
			return fmt.Errorf("%w: schema %q, this build reads %q", registry.ErrCorrupt, v, schemaVersion)
		}
		return nil
	}
	if s.readOnly {
		return s.db.View(check)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(bucketMeta)) == nil {
			for _, name := range allBuckets {
				if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
					return err
				}
			}
			if err := tx.Bucket([]byte(bucketMeta)).Put([]byte(schemaKey), []byte(schemaVersion)); err != nil {
				return err
			}
		}
		if err := createAdded(tx); err != nil {
			return err
		}
		return check(tx)
	})
}

// Close releases the file. Calls after the first return nil.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("registry: close: %w", err)
	}
	return nil
}

// View implements [registry.Store.View] with a bbolt read transaction.
func (s *Store) View(ctx context.Context, fn func(registry.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(btx *bolt.Tx) error { return fn(newTx(btx)) })
}

// Update implements [registry.Store.Update] with a bbolt write transaction:
// bbolt runs one at a time, so fn runs exactly once.
func (s *Store) Update(ctx context.Context, fn func(registry.Tx) error) error {
	if s.readOnly {
		return registry.ErrReadOnly
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(btx *bolt.Tx) error {
		t := newTx(btx)
		if err := fn(t); err != nil {
			return err
		}
		return t.flush()
	})
}

// Backup writes a consistent copy of the whole file to w while readers and
// writers go on (bbolt Tx.WriteTo in a read transaction), and returns the
// number of bytes written. The copy opens with [Open] like the original.
// Cancelling ctx stops the copy at the next write with ctx's error.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("registry: backup: %w", err)
	}
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx: ctx, w: w})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("registry: backup: %w", err)
	}
	return n, nil
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// addedBuckets are the buckets added to the file format after schema 1 was
// frozen; init creates each on a file that lacks it.
var addedBuckets = []string{
	bucketDocuments,    // document.go
	bucketApplications, // application.go
	// The taxpayer and apostille registers (taxpayer.go, apostille.go).
	bucketTaxpayers, bucketBindings, bucketOfficials, bucketOfficialsByBody,
	bucketApostilles, bucketApostilleByApp,
}

// createAdded creates the added buckets a file lacks.
func createAdded(btx *bolt.Tx) error {
	for _, name := range addedBuckets {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	return nil
}
