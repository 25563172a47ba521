package boltstore

import (
	"errors"
	"fmt"

	"github.com/darbaza/darbaza/registry"
)

// bucketApplications holds the applications filed through the portal:
// application number -> record (format byte 0x01, then the JSON encoding
// of [registry.Application]). A file made before applications existed lacks
// it; a writable [Open] adds it, and a read-only one reads it as empty.
const bucketApplications = "applications"

// Application implements [registry.ApplicationTx].
func (t *tx) Application(number string) (registry.Application, error) {
	var a registry.Application
	if t.btx.Bucket([]byte(bucketApplications)) == nil {
		return a, fmt.Errorf("%w: application %s", registry.ErrNotFound, number)
	}
	if err := t.get(bucketApplications, number, &a); err != nil {
		return registry.Application{}, err
	}
	return a, nil
}

// PutApplication implements [registry.ApplicationTx].
func (t *tx) PutApplication(a registry.Application) (bool, error) {
	if !t.btx.Writable() {
		return false, registry.ErrReadOnly
	}
	if t.btx.Bucket([]byte(bucketApplications)) == nil {
		return false, errors.New("registry: the applications bucket is missing")
	}
	return t.put(bucketApplications, a.Number, a)
}
