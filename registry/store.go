package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
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

	// formatV1 is the first byte of every stored record: the rest is the
	// record's JSON encoding as described on [Person], [Dwelling] and
	// [Registration]. Changing those encodings means a new format byte and
	// a decoder for the old one.
	formatV1 byte = 1

	// initialMmapSize fits the demo dataset (about 40 MiB) several times.
	initialMmapSize = 256 << 20
)

// Options configures [Open]. The zero value is a read-write store on the
// wall clock.
type Options struct {
	// Now returns the current time. It decides what "today" is for PIN
	// checks, for dates that may not be in the future and for which stays
	// are current. Nil means time.Now.
	Now func() time.Time
	// Timeout bounds the wait for the file lock another process holds.
	// Zero means 1 second; negative means wait forever.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock; [Store.Import] then fails
	// with [ErrReadOnly]. The file and its buckets must already exist.
	ReadOnly bool
	// NoSync skips fsync on commit. Only for tests and throwaway stores: a
	// crash can lose committed imports. False means every commit is synced.
	NoSync bool
}

// Store is the population registry in one bbolt file. It is safe for
// concurrent use; reads run in parallel, imports are serialised by bbolt.
type Store struct {
	db       *bolt.DB
	now      func() time.Time
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
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", path, err)
	}
	s := &Store{db: db, now: opts.Now, readOnly: opts.ReadOnly}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.init(opts.ReadOnly); err != nil {
		db.Close()
		return nil, fmt.Errorf("registry: open %s: %w", path, err)
	}
	return s, nil
}

// init creates the buckets of a new file and checks the schema of an old one.
func (s *Store) init(readOnly bool) error {
	check := func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket([]byte(name)) == nil {
				return fmt.Errorf("%w: bucket %q missing", ErrCorrupt, name)
			}
		}
		if v := tx.Bucket([]byte(bucketMeta)).Get([]byte(schemaKey)); string(v) != schemaVersion {
			return fmt.Errorf("%w: schema %q, this build reads %q", ErrCorrupt, v, schemaVersion)
		}
		return nil
	}
	if readOnly {
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

func (s *Store) today() Date { return DateOf(s.now()) }

// view runs fn in a read transaction after checking ctx.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// Person returns the person with the given PIN. It fails with an error
// wrapping [ErrInvalidPIN] (and the specific cause) for a malformed PIN and
// with [ErrNotFound] for a well-formed one that is not registered.
func (s *Store) Person(ctx context.Context, pin string) (Person, error) {
	if _, err := ParsePIN(pin, s.now()); err != nil {
		return Person{}, err
	}
	var p Person
	err := s.view(ctx, func(tx *bolt.Tx) error { return getPerson(tx, pin, &p) })
	return p, err
}

// Dwelling returns the dwelling with the given ID, [ErrInvalidID] for a
// malformed one and [ErrNotFound] for an unknown one.
func (s *Store) Dwelling(ctx context.Context, id string) (Dwelling, error) {
	if err := ValidID(id); err != nil {
		return Dwelling{}, err
	}
	var d Dwelling
	err := s.view(ctx, func(tx *bolt.Tx) error { return getDwelling(tx, id, &d) })
	return d, err
}

// Registrations returns the person's current residence, current stay and
// history, each joined with its dwelling. Errors are as for [Store.Person];
// a person with no registrations gets an empty view and no error.
func (s *Store) Registrations(ctx context.Context, pin string) (RegistrationView, error) {
	if _, err := ParsePIN(pin, s.now()); err != nil {
		return RegistrationView{}, err
	}
	today := s.today()
	view := RegistrationView{PIN: pin}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var p Person
		if err := getPerson(tx, pin, &p); err != nil {
			return err
		}
		regs, err := registrationsOf(tx, pin)
		if err != nil {
			return err
		}
		for _, r := range regs {
			var d Dwelling
			if err := getDwelling(tx, r.DwellingID, &d); err != nil {
				return fmt.Errorf("%w: registration %s names dwelling %s: %w", ErrCorrupt, r.ID, r.DwellingID, err)
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
		return nil
	})
	if err != nil {
		return RegistrationView{}, err
	}
	return view, nil
}

// DwellingResidents returns the dwelling and the registrations current today
// at it. Errors: [ErrInvalidID] for a malformed ID, [ErrNotFound] for an
// unknown dwelling.
func (s *Store) DwellingResidents(ctx context.Context, dwellingID string) (DwellingResidents, error) {
	if err := ValidID(dwellingID); err != nil {
		return DwellingResidents{}, err
	}
	today := s.today()
	var out DwellingResidents
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if err := getDwelling(tx, dwellingID, &out.Dwelling); err != nil {
			return err
		}
		prefix := dwellingIndexPrefix(dwellingID)
		c := tx.Bucket([]byte(bucketRegsByDwell)).Cursor()
		persons := map[string]bool{}
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var r Registration
			if err := getRegistration(tx, string(k[len(prefix):]), &r); err != nil {
				return fmt.Errorf("%w: index entry %q: %w", ErrCorrupt, k, err)
			}
			if !r.CurrentOn(today) {
				continue
			}
			var p Person
			if err := getPerson(tx, r.PIN, &p); err != nil {
				return fmt.Errorf("%w: registration %s names person: %w", ErrCorrupt, r.ID, err)
			}
			persons[r.PIN] = true
			out.Residents = append(out.Residents, Resident{
				PIN: p.PIN, Surname: p.Surname, GivenName: p.GivenName, Patronymic: p.Patronymic,
				Type: r.Type, Since: r.Since, Until: r.Until, RegistrationID: r.ID,
			})
		}
		out.Persons = len(persons)
		return nil
	})
	if err != nil {
		return DwellingResidents{}, err
	}
	slices.SortFunc(out.Residents, func(a, b Resident) int {
		return cmpOr(strings.Compare(a.PIN, b.PIN), strings.Compare(a.RegistrationID, b.RegistrationID))
	})
	return out, nil
}

// Empty reports whether the store holds no persons, dwellings or
// registrations, e.g. to decide whether to load demo data on first start.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	st, err := s.Stats(ctx)
	if err != nil {
		return false, err
	}
	return st == Stats{}, nil
}

// Stats counts the records of each kind.
type Stats struct {
	Persons       int
	Dwellings     int
	Registrations int
}

// Stats returns how many records of each kind the store holds.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.view(ctx, func(tx *bolt.Tx) error {
		st.Persons = tx.Bucket([]byte(bucketPersons)).Stats().KeyN
		st.Dwellings = tx.Bucket([]byte(bucketDwellings)).Stats().KeyN
		st.Registrations = tx.Bucket([]byte(bucketRegistrations)).Stats().KeyN
		return nil
	})
	return st, err
}

// Backup writes a consistent copy of the whole file to w while readers and
// writers go on (bbolt Tx.WriteTo in a read transaction), and returns the
// number of bytes written. The copy opens with [Open] like the original.
// Cancelling ctx stops the copy at the next write with ctx's error.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bolt.Tx) error {
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

// registrationsOf returns the person's registrations ordered newest Since
// first, ties by ID.
func registrationsOf(tx *bolt.Tx, pin string) ([]Registration, error) {
	var regs []Registration
	prefix := []byte(pin)
	c := tx.Bucket([]byte(bucketRegsByPIN)).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var r Registration
		if err := getRegistration(tx, string(k[len(prefix):]), &r); err != nil {
			return nil, fmt.Errorf("%w: index entry %q: %w", ErrCorrupt, k, err)
		}
		regs = append(regs, r)
	}
	slices.SortFunc(regs, func(a, b Registration) int {
		return cmpOr(b.Since.t.Compare(a.Since.t), strings.Compare(a.ID, b.ID))
	})
	return regs, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func pinIndexKey(pin, regID string) []byte { return []byte(pin + regID) }

func dwellingIndexPrefix(id string) []byte { return []byte(id + "\x00") }

func dwellingIndexKey(id, regID string) []byte { return []byte(id + "\x00" + regID) }

func getPerson(tx *bolt.Tx, pin string, p *Person) error {
	return get(tx, bucketPersons, pin, p)
}

func getDwelling(tx *bolt.Tx, id string, d *Dwelling) error {
	return get(tx, bucketDwellings, id, d)
}

func getRegistration(tx *bolt.Tx, id string, r *Registration) error {
	return get(tx, bucketRegistrations, id, r)
}

// get decodes the record under key into v, or fails with [ErrNotFound].
func get(tx *bolt.Tx, bucket, key string, v any) error {
	raw := tx.Bucket([]byte(bucket)).Get([]byte(key))
	if raw == nil {
		return fmt.Errorf("%w: %s %s", ErrNotFound, strings.TrimSuffix(bucket, "s"), key)
	}
	return decode(raw, v)
}

// encode returns the stored form of v: format byte then JSON.
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{formatV1}, b...), nil
}

// decode reads a stored value. Values are copied out, so v stays valid after
// the transaction ends.
func decode(raw []byte, v any) error {
	if len(raw) == 0 || raw[0] != formatV1 {
		return fmt.Errorf("%w: format byte %v", ErrCorrupt, raw[:min(len(raw), 1)])
	}
	if err := json.Unmarshal(raw[1:], v); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil
}
