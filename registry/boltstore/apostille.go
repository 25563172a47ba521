package boltstore

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/darbaza/darbaza/registry"
)

func (t *tx) Apostille(number string) (registry.Apostille, error) {
	var a registry.Apostille
	return a, t.getLater(bucketApostilles, number, &a)
}

// ApostilleOfApplication follows the application index to the entry, and
// reports an index entry whose entry names another application as
// [registry.ErrCorrupt].
func (t *tx) ApostilleOfApplication(application string) (registry.Apostille, error) {
	b := t.later(bucketApostilleByApp)
	var number []byte
	if b != nil {
		number = b.Get([]byte(application))
	}
	if number == nil {
		return registry.Apostille{}, fmt.Errorf("%w: apostille of application %s", registry.ErrNotFound, application)
	}
	a, err := t.Apostille(string(number))
	if err != nil {
		return registry.Apostille{}, fmt.Errorf("%w: %s entry %q: %w", registry.ErrCorrupt, bucketApostilleByApp, application, err)
	}
	if a.Application.Number != application {
		return registry.Apostille{}, fmt.Errorf("%w: %s entry %q names apostille %s of application %s", registry.ErrCorrupt, bucketApostilleByApp, application, a.Number, a.Application.Number)
	}
	return a, nil
}

// LastApostilleSequence reads the last key of the year: numbers are
// YYYY-NNNNNN with a fixed width, so key order is number order.
func (t *tx) LastApostilleSequence(year int) (int, error) {
	b := t.later(bucketApostilles)
	if b == nil {
		return 0, nil
	}
	prefix := fmt.Sprintf("%04d-", year)
	c := b.Cursor()
	k, _ := c.Seek([]byte(prefix + "999999\xff"))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || len(k) != len(prefix)+6 || string(k[:len(prefix)]) != prefix {
		return 0, nil
	}
	seq, err := strconv.Atoi(string(k[len(prefix):]))
	if err != nil {
		return 0, fmt.Errorf("%w: %s key %q", registry.ErrCorrupt, bucketApostilles, k)
	}
	return seq, nil
}

// PutApostille stores a and moves its application index entry: the entry
// it replaces loses its own, a gets one.
func (t *tx) PutApostille(a registry.Apostille) (bool, error) {
	if !t.btx.Writable() {
		return false, registry.ErrReadOnly
	}
	old, err := t.Apostille(a.Number)
	switch {
	case err == nil:
		if err := t.later(bucketApostilleByApp).Delete([]byte(old.Application.Number)); err != nil {
			return false, err
		}
	case !errors.Is(err, registry.ErrNotFound):
		return false, err
	}
	replaced, err := t.put(bucketApostilles, a.Number, a)
	if err != nil {
		return false, err
	}
	if err := t.later(bucketApostilleByApp).Put([]byte(a.Application.Number), []byte(a.Number)); err != nil {
		return false, fmt.Errorf("%s %q: %w", bucketApostilleByApp, a.Application.Number, err)
	}
	return replaced, nil
}

// OfficialsOf scans the body index; bodies never contain 0x00 (the rules
// refuse control characters), so the prefix finds exactly one body's.
func (t *tx) OfficialsOf(body string) ([]registry.Official, error) {
	var out []registry.Official
	err := t.scan(bucketOfficialsByBody, []byte(body+"\x00"), func(id, _ []byte) error {
		var o registry.Official
		if err := t.get(bucketOfficials, string(id), &o); err != nil {
			return fmt.Errorf("%w: %s entry %q of %q: %w", registry.ErrCorrupt, bucketOfficialsByBody, id, body, err)
		}
		if o.Body != body {
			return fmt.Errorf("%w: %s entry of %q names official %s of %q", registry.ErrCorrupt, bucketOfficialsByBody, body, o.ID, o.Body)
		}
		out = append(out, o)
		return nil
	})
	return out, err
}

// PutOfficial stores o and moves its body index entry.
func (t *tx) PutOfficial(o registry.Official) (bool, error) {
	if !t.btx.Writable() {
		return false, registry.ErrReadOnly
	}
	var old registry.Official
	switch err := t.get(bucketOfficials, o.ID, &old); {
	case err == nil:
		if err := t.later(bucketOfficialsByBody).Delete([]byte(old.Body + "\x00" + old.ID)); err != nil {
			return false, err
		}
	case !errors.Is(err, registry.ErrNotFound):
		return false, err
	}
	replaced, err := t.put(bucketOfficials, o.ID, o)
	if err != nil {
		return false, err
	}
	if err := t.later(bucketOfficialsByBody).Put([]byte(o.Body+"\x00"+o.ID), nil); err != nil {
		return false, fmt.Errorf("%s: %w", bucketOfficialsByBody, err)
	}
	return replaced, nil
}
