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
// In a write transaction it holds new records of the population register and
// new index entries back, and writes them in key order when fn has returned
// ([tx.flush]): bbolt keeps a node's entries in a slice that grows until
// commit, so entries put in random order (as registrations in ID order give
// PINs, and as an import's two rounds of registrations give IDs) cost a
// memmove of the rest of the node each, which dominated a large import
// (about two thirds of its CPU time at 1,000,000 persons). Reads merge the
// held writes in, so fn sees its own writes.
type tx struct {
	btx        *bolt.Tx
	records    map[string]map[string]heldRecord // bucket -> key -> record not yet put
	byPIN      index
	byDwelling index
}

func newTx(btx *bolt.Tx) *tx {
	return &tx{
		btx:        btx,
		byPIN:      index{bucket: bucketRegsByPIN, sep: ""},
		byDwelling: index{bucket: bucketRegsByDwell, sep: "\x00"},
	}
}

// heldBuckets are the buckets whose records a write transaction holds back
// until [tx.flush]: those a large import fills.
var heldBuckets = []string{bucketPersons, bucketDwellings, bucketRegistrations}

// bulkFill is the fill of the pages a flush of at least bulkEntries entries
// into one bucket leaves: such a flush is an import, whose keys arrive in
// order, so bbolt's default of half-full pages would only double the file
// (and the pages a server touches). A later write into a full page splits
// it at the default.
const (
	bulkFill    = 1.0
	bulkEntries = 1024
)

var _ registry.Tx = (*tx)(nil)

// index is one of the two registration indexes: keys owner + sep +
// registration ID with empty values, where owner is a PIN or a dwelling ID.
type index struct {
	bucket string
	sep    string
	held   map[string][]string // owner -> registration IDs not yet put; nil until the first
}

func (ix *index) key(owner, id string) []byte { return []byte(owner + ix.sep + id) }

func (ix *index) add(owner, id string) {
	if ix.held == nil {
		ix.held = map[string][]string{}
	}
	if ids := ix.held[owner]; !slices.Contains(ids, id) {
		ix.held[owner] = append(ids, id)
	}
}

func (ix *index) remove(btx *bolt.Tx, owner, id string) error {
	if ids := ix.held[owner]; slices.Contains(ids, id) {
		ix.held[owner] = slices.DeleteFunc(ids, func(s string) bool { return s == id })
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
	return append(out, ix.held[owner]...)
}

// flush puts the held entries in key order: owners in order, each one's
// IDs in order, which is the keys' order as owners of one length (PINs)
// or without 0x00 (dwelling IDs) make it. The keys are cut from one buffer.
func (ix *index) flush(btx *bolt.Tx) error {
	owners := make([]string, 0, len(ix.held))
	n, size := 0, 0
	for owner, ids := range ix.held {
		owners = append(owners, owner)
		for _, id := range ids {
			n++
			size += len(owner) + len(ix.sep) + len(id)
		}
	}
	slices.Sort(owners)
	b := btx.Bucket([]byte(ix.bucket))
	if n >= bulkEntries {
		b.FillPercent = bulkFill
	}
	buf := make([]byte, 0, size)
	for _, owner := range owners {
		ids := ix.held[owner]
		slices.Sort(ids)
		for _, id := range ids {
			start := len(buf)
			buf = append(append(append(buf, owner...), ix.sep...), id...)
			if err := b.Put(buf[start:len(buf):len(buf)], nil); err != nil {
				return fmt.Errorf("%s %q: %w", ix.bucket, buf[start:], err)
			}
		}
	}
	ix.held = nil
	return nil
}

// flush writes what the transaction holds back, each bucket in key order;
// Update calls it after fn.
func (t *tx) flush() error {
	for _, name := range heldBuckets {
		held := t.records[name]
		delete(t.records, name)
		keys := make([]string, 0, len(held))
		for k := range held {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		raws, err := encodeHeld(held, keys)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		clear(held)
		b := t.btx.Bucket([]byte(name))
		if len(keys) >= bulkEntries {
			b.FillPercent = bulkFill
		}
		for i, k := range keys {
			if err := b.Put([]byte(k), raws[i]); err != nil {
				return fmt.Errorf("%s %q: %w", name, k, err)
			}
		}
	}
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

// Stats counts keys with a cursor, and the held records that are new: bbolt's
// Bucket.Stats reads only committed pages and would miss the transaction's
// own writes.
func (t *tx) Stats() (registry.Stats, error) {
	count := func(bucket string) int {
		n := 0
		b := t.btx.Bucket([]byte(bucket))
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		for k := range t.records[bucket] {
			if b.Get([]byte(k)) == nil {
				n++
			}
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
	var raw []byte
	if h, ok := t.records[bucket][key]; ok {
		if h.copyTo(v) {
			return nil
		}
		if raw = h.raw; raw == nil { // a value held of another type than v's
			var err error
			if raw, err = encode(h.val); err != nil {
				return fmt.Errorf("%s %q: %w", bucket, key, err)
			}
		}
	} else {
		raw = t.btx.Bucket([]byte(bucket)).Get([]byte(key))
	}
	if raw == nil {
		return fmt.Errorf("%w: %s %s", registry.ErrNotFound, strings.TrimSuffix(bucket, "s"), key)
	}
	if err := decode(raw, v); err != nil {
		return fmt.Errorf("%s %q: %w", bucket, key, err)
	}
	return nil
}

// put stores v under key and reports whether it replaced a value. A record
// of the population register is held back until [tx.flush], which encodes
// it then if it could be held as a value (see [decoded]); any other is
// encoded now, so that an error comes from the put.
func (t *tx) put(bucket, key string, v any) (bool, error) {
	if !t.btx.Writable() {
		return false, registry.ErrReadOnly
	}
	b := t.btx.Bucket([]byte(bucket))
	if slices.Contains(heldBuckets, bucket) {
		h := heldRecord{val: decoded(v)}
		if h.val == nil {
			var err error
			if h.raw, err = encode(v); err != nil {
				return false, err
			}
		}
		held := t.records[bucket]
		if held == nil {
			if t.records == nil {
				t.records = map[string]map[string]heldRecord{}
			}
			held = map[string]heldRecord{}
			t.records[bucket] = held
		}
		_, replaced := held[key]
		if !replaced {
			replaced = b.Get([]byte(key)) != nil
		}
		held[key] = h
		return replaced, nil
	}
	raw, err := encode(v)
	if err != nil {
		return false, err
	}
	replaced := b.Get([]byte(key)) != nil
	if err := b.Put([]byte(key), raw); err != nil {
		return false, fmt.Errorf("%s %q: %w", bucket, key, err)
	}
	return replaced, nil
}

// encode renders a record in the current format: a person compactly
// ([formatPerson]) when that holds it exactly, anything else as JSON.
func encode(v any) ([]byte, error) {
	if p, ok := v.(registry.Person); ok {
		if raw, ok := encodePerson(nil, p); ok {
			return raw, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{formatV1}, b...), nil
}

// decode reads a stored value. Values are copied out, so v stays valid after
// the transaction ends.
func decode(raw []byte, v any) error {
	if p, ok := v.(*registry.Person); ok && len(raw) > 0 && raw[0] == formatPerson {
		var err error
		if *p, err = decodePerson(raw); err != nil {
			return fmt.Errorf("%w: %w", registry.ErrCorrupt, err)
		}
		return nil
	}
	if len(raw) == 0 || raw[0] != formatV1 {
		return fmt.Errorf("%w: format byte %v", registry.ErrCorrupt, raw[:min(len(raw), 1)])
	}
	if err := json.Unmarshal(raw[1:], v); err != nil {
		return fmt.Errorf("%w: %w", registry.ErrCorrupt, err)
	}
	return nil
}
