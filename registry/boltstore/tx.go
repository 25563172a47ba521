package boltstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/darbaza/darbaza/registry"
	bolt "go.etcd.io/bbolt"
)

// tx is a bbolt transaction seen through [registry.Tx].
//
// In a write transaction it holds new index entries back and writes them in
// key order when fn has returned ([tx.flush]): bbolt keeps a node's entries
// in a slice that grows until commit, so entries put in random order (as
// registrations in ID order give PINs) cost a memmove each, which dominated a
// large import. Reads merge the held entries in, so fn sees its own writes.
type tx struct {
	btx        *bolt.Tx
	byPIN      index
	byDwelling index
}

func newTx(btx *bolt.Tx) *tx {
	return &tx{
		btx:        btx,
		byPIN:      index{bucket: bucketRegsByPIN, sep: "", held: map[string]map[string]bool{}},
		byDwelling: index{bucket: bucketRegsByDwell, sep: "\x00", held: map[string]map[string]bool{}},
	}
}

var _ registry.Tx = (*tx)(nil)

// index is one of the two registration indexes: keys owner + sep +
// registration ID with empty values, where owner is a PIN or a dwelling ID.
type index struct {
	bucket string
	sep    string
	held   map[string]map[string]bool // owner -> registration IDs not yet put
}

func (ix *index) key(owner, id string) []byte { return []byte(owner + ix.sep + id) }

func (ix *index) add(owner, id string) {
	ids := ix.held[owner]
	if ids == nil {
		ids = map[string]bool{}
		ix.held[owner] = ids
	}
	ids[id] = true
}

func (ix *index) remove(btx *bolt.Tx, owner, id string) error {
	if ix.held[owner][id] {
		delete(ix.held[owner], id)
		return nil
	}
	return btx.Bucket([]byte(ix.bucket)).Delete(ix.key(owner, id))
}

// ids returns the registration IDs the index holds for owner, stored and
// held back.
func (ix *index) ids(btx *bolt.Tx, owner string) []string {
	var out []string
	prefix := []byte(owner + ix.sep)
	c := btx.Bucket([]byte(ix.bucket)).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, string(k[len(prefix):]))
	}
	for id := range ix.held[owner] {
		out = append(out, id)
	}
	return out
}

// flush puts the held entries in key order.
func (ix *index) flush(btx *bolt.Tx) error {
	var keys [][]byte
	for owner, ids := range ix.held {
		for id := range ids {
			keys = append(keys, ix.key(owner, id))
		}
	}
	slices.SortFunc(keys, bytes.Compare)
	b := btx.Bucket([]byte(ix.bucket))
	for _, k := range keys {
		if err := b.Put(k, nil); err != nil {
			return fmt.Errorf("%s %q: %w", ix.bucket, k, err)
		}
	}
	clear(ix.held)
	return nil
}

// flush writes what the transaction holds back; Update calls it after fn.
func (t *tx) flush() error {
	if err := t.byPIN.flush(t.btx); err != nil {
		return err
	}
	return t.byDwelling.flush(t.btx)
}

func (t *tx) Person(pin string) (registry.Person, error) {
	var p registry.Person
	return p, t.get(bucketPersons, pin, &p)
}

func (t *tx) Dwelling(id string) (registry.Dwelling, error) {
	var d registry.Dwelling
	return d, t.get(bucketDwellings, id, &d)
}

func (t *tx) Registration(id string) (registry.Registration, error) {
	var r registry.Registration
	return r, t.get(bucketRegistrations, id, &r)
}

// RegistrationsOf reads the PIN index. Its keys have no separator: a PIN
// of another length than [registry.PINLength] has no entries.
func (t *tx) RegistrationsOf(pin string) ([]registry.Registration, error) {
	if len(pin) != registry.PINLength {
		return nil, nil
	}
	return t.indexed(&t.byPIN, pin, func(r registry.Registration) bool { return r.PIN == pin })
}

func (t *tx) RegistrationsAt(dwellingID string) ([]registry.Registration, error) {
	return t.indexed(&t.byDwelling, dwellingID, func(r registry.Registration) bool { return r.DwellingID == dwellingID })
}

// indexed returns the registrations ix lists for owner. An entry whose
// registration is missing or does not match (names another person or
// dwelling) means the index is out of step with the records:
// [registry.ErrCorrupt].
func (t *tx) indexed(ix *index, owner string, match func(registry.Registration) bool) ([]registry.Registration, error) {
	var out []registry.Registration
	for _, id := range ix.ids(t.btx, owner) {
		r, err := t.Registration(id)
		if err != nil {
			return nil, fmt.Errorf("%w: %s entry %q of %q: %w", registry.ErrCorrupt, ix.bucket, id, owner, err)
		}
		if !match(r) {
			return nil, fmt.Errorf("%w: %s entry of %q names registration %s of %s at %s", registry.ErrCorrupt, ix.bucket, owner, r.ID, r.PIN, r.DwellingID)
		}
		out = append(out, r)
	}
	return out, nil
}

// Stats counts keys with a cursor: bbolt's Bucket.Stats reads only
// committed pages and would miss the transaction's own writes.
func (t *tx) Stats() (registry.Stats, error) {
	count := func(bucket string) int {
		n := 0
		c := t.btx.Bucket([]byte(bucket)).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return n
	}
	return registry.Stats{
		Persons:       count(bucketPersons),
		Dwellings:     count(bucketDwellings),
		Registrations: count(bucketRegistrations),
	}, nil
}

func (t *tx) PutPerson(p registry.Person) (bool, error) {
	return t.put(bucketPersons, p.PIN, p)
}

func (t *tx) PutDwelling(d registry.Dwelling) (bool, error) {
	return t.put(bucketDwellings, d.ID, d)
}

// PutRegistration stores r and moves its index entries: those of the
// registration it replaces go, r's come (held back until [tx.flush]).
func (t *tx) PutRegistration(r registry.Registration) (bool, error) {
	if !t.btx.Writable() {
		return false, registry.ErrReadOnly
	}
	old, err := t.Registration(r.ID)
	switch {
	case err == nil:
		if err := t.byPIN.remove(t.btx, old.PIN, old.ID); err != nil {
			return false, err
		}
		if err := t.byDwelling.remove(t.btx, old.DwellingID, old.ID); err != nil {
			return false, err
		}
	case !errors.Is(err, registry.ErrNotFound):
		return false, err
	}
	replaced, err := t.put(bucketRegistrations, r.ID, r)
	if err != nil {
		return false, err
	}
	t.byPIN.add(r.PIN, r.ID)
	t.byDwelling.add(r.DwellingID, r.ID)
	return replaced, nil
}

// get decodes the record under key into v, or fails with
// [registry.ErrNotFound].
func (t *tx) get(bucket, key string, v any) error {
	raw := t.btx.Bucket([]byte(bucket)).Get([]byte(key))
	if raw == nil {
		return fmt.Errorf("%w: %s %s", registry.ErrNotFound, strings.TrimSuffix(bucket, "s"), key)
	}
	if err := decode(raw, v); err != nil {
		return fmt.Errorf("%s %q: %w", bucket, key, err)
	}
	return nil
}

// put stores v under key and reports whether it replaced a value.
func (t *tx) put(bucket, key string, v any) (bool, error) {
	if !t.btx.Writable() {
		return false, registry.ErrReadOnly
	}
	raw, err := encode(v)
	if err != nil {
		return false, err
	}
	b := t.btx.Bucket([]byte(bucket))
	replaced := b.Get([]byte(key)) != nil
	if err := b.Put([]byte(key), raw); err != nil {
		return false, fmt.Errorf("%s %q: %w", bucket, key, err)
	}
	return replaced, nil
}

// encode renders a record in the current format.
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
		return fmt.Errorf("%w: format byte %v", registry.ErrCorrupt, raw[:min(len(raw), 1)])
	}
	if err := json.Unmarshal(raw[1:], v); err != nil {
		return fmt.Errorf("%w: %w", registry.ErrCorrupt, err)
	}
	return nil
}
