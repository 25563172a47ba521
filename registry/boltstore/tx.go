package boltstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/darbaza/darbaza/registry"
	bolt "go.etcd.io/bbolt"
)

// tx is a bbolt transaction seen through [registry.Tx].
type tx struct{ btx *bolt.Tx }

var _ registry.Tx = tx{}

func (t tx) Person(pin string) (registry.Person, error) {
	var p registry.Person
	return p, t.get(bucketPersons, pin, &p)
}

func (t tx) Dwelling(id string) (registry.Dwelling, error) {
	var d registry.Dwelling
	return d, t.get(bucketDwellings, id, &d)
}

func (t tx) Registration(id string) (registry.Registration, error) {
	var r registry.Registration
	return r, t.get(bucketRegistrations, id, &r)
}

// RegistrationsOf scans the PIN index. Its keys have no separator: a PIN
// of another length than [registry.PINLength] has no entries.
func (t tx) RegistrationsOf(pin string) ([]registry.Registration, error) {
	if len(pin) != registry.PINLength {
		return nil, nil
	}
	return t.indexed(bucketRegsByPIN, pinIndexPrefix(pin), func(r registry.Registration) bool { return r.PIN == pin })
}

func (t tx) RegistrationsAt(dwellingID string) ([]registry.Registration, error) {
	return t.indexed(bucketRegsByDwell, dwellingIndexPrefix(dwellingID), func(r registry.Registration) bool { return r.DwellingID == dwellingID })
}

// indexed returns the registrations whose index entries in bucket start
// with prefix. An entry whose registration is missing or does not match
// (names another person or dwelling) means the index is out of step with
// the records: [registry.ErrCorrupt].
func (t tx) indexed(bucket string, prefix []byte, match func(registry.Registration) bool) ([]registry.Registration, error) {
	var out []registry.Registration
	c := t.btx.Bucket([]byte(bucket)).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		r, err := t.Registration(string(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("%w: index entry %q: %w", registry.ErrCorrupt, k, err)
		}
		if !match(r) {
			return nil, fmt.Errorf("%w: index entry %q names registration %s of %s at %s", registry.ErrCorrupt, k, r.ID, r.PIN, r.DwellingID)
		}
		out = append(out, r)
	}
	return out, nil
}

// Stats counts keys with a cursor: bbolt's Bucket.Stats reads only
// committed pages and would miss the transaction's own writes.
func (t tx) Stats() (registry.Stats, error) {
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

func (t tx) PutPerson(p registry.Person) (bool, error) {
	return t.put(bucketPersons, p.PIN, p)
}

func (t tx) PutDwelling(d registry.Dwelling) (bool, error) {
	return t.put(bucketDwellings, d.ID, d)
}

// PutRegistration stores r and moves its index entries: those of the
// registration it replaces go, r's come.
func (t tx) PutRegistration(r registry.Registration) (bool, error) {
	if !t.btx.Writable() {
		return false, registry.ErrReadOnly
	}
	old, err := t.Registration(r.ID)
	switch {
	case err == nil:
		if err := t.btx.Bucket([]byte(bucketRegsByPIN)).Delete(pinIndexKey(old.PIN, old.ID)); err != nil {
			return false, err
		}
		if err := t.btx.Bucket([]byte(bucketRegsByDwell)).Delete(dwellingIndexKey(old.DwellingID, old.ID)); err != nil {
			return false, err
		}
	case !errors.Is(err, registry.ErrNotFound):
		return false, err
	}
	replaced, err := t.put(bucketRegistrations, r.ID, r)
	if err != nil {
		return false, err
	}
	if err := t.btx.Bucket([]byte(bucketRegsByPIN)).Put(pinIndexKey(r.PIN, r.ID), nil); err != nil {
		return false, err
	}
	if err := t.btx.Bucket([]byte(bucketRegsByDwell)).Put(dwellingIndexKey(r.DwellingID, r.ID), nil); err != nil {
		return false, err
	}
	return replaced, nil
}

func pinIndexPrefix(pin string) []byte { return []byte(pin) }

func pinIndexKey(pin, regID string) []byte { return []byte(pin + regID) }

func dwellingIndexPrefix(id string) []byte { return []byte(id + "\x00") }

func dwellingIndexKey(id, regID string) []byte { return []byte(id + "\x00" + regID) }

// get decodes the record under key into v, or fails with
// [registry.ErrNotFound].
func (t tx) get(bucket, key string, v any) error {
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
func (t tx) put(bucket, key string, v any) (bool, error) {
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
