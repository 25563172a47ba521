package boltstore

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/darbaza/darbaza/registry"
	bolt "go.etcd.io/bbolt"
)

// Buckets of the taxpayer and apostille registers, added to schema 1 after
// the population register's: see the package doc. Never rename one.
const (
	bucketTaxpayers       = "taxpayers"                 // INN -> encoded Taxpayer
	bucketBindings        = "taxpayer_bindings"         // PIN (14 bytes) + entity INN -> encoded Binding
	bucketOfficials       = "officials"                 // official ID -> encoded Official
	bucketOfficialsByBody = "officials_by_body"         // body + 0x00 + official ID -> empty
	bucketApostilles      = "apostilles"                // apostille number -> encoded Apostille
	bucketApostilleByApp  = "apostilles_by_application" // application number -> apostille number
)

// later returns a bucket of the two registers (in addedBuckets), or nil in a read-only store
// opened on a file from before it: read as empty.
func (t *tx) later(name string) *bolt.Bucket { return t.btx.Bucket([]byte(name)) }

// getLater is [tx.get] for a bucket that may be missing.
func (t *tx) getLater(bucket, key string, v any) error {
	if t.later(bucket) == nil {
		return fmt.Errorf("%w: %s %s", registry.ErrNotFound, strings.TrimSuffix(bucket, "s"), key)
	}
	return t.get(bucket, key, v)
}

// scan calls fn with the key suffix and value of every entry of bucket
// whose key starts with prefix.
func (t *tx) scan(bucket string, prefix []byte, fn func(suffix, v []byte) error) error {
	b := t.later(bucket)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k[len(prefix):], v); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Taxpayer(inn string) (registry.Taxpayer, error) {
	var tp registry.Taxpayer
	return tp, t.getLater(bucketTaxpayers, inn, &tp)
}

// BindingsOf scans the bindings under pin. Keys have no separator: a PIN
// of another length than [registry.INNLength] has none.
func (t *tx) BindingsOf(pin string) ([]registry.Binding, error) {
	if len(pin) != registry.INNLength {
		return nil, nil
	}
	var out []registry.Binding
	err := t.scan(bucketBindings, []byte(pin), func(suffix, v []byte) error {
		var b registry.Binding
		if err := decode(v, &b); err != nil {
			return fmt.Errorf("%s %q: %w", bucketBindings, pin+string(suffix), err)
		}
		if b.PIN != pin || b.EntityINN != string(suffix) {
			return fmt.Errorf("%w: %s entry %q holds the binding of %s to %s", registry.ErrCorrupt, bucketBindings, pin+string(suffix), b.PIN, b.EntityINN)
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

func (t *tx) PutTaxpayer(tp registry.Taxpayer) (bool, error) {
	return t.put(bucketTaxpayers, tp.INN, tp)
}

// PutBinding stores b under its PIN and entity INN, both 14 digits as the
// rules check; other lengths would break the prefix scan and are refused.
func (t *tx) PutBinding(b registry.Binding) (bool, error) {
	if len(b.PIN) != registry.INNLength || len(b.EntityINN) != registry.INNLength {
		return false, fmt.Errorf("%w: binding %q to %q: INNs have %d digits", registry.ErrInvalidValue, b.PIN, b.EntityINN, registry.INNLength)
	}
	return t.put(bucketBindings, b.PIN+b.EntityINN, b)
}
