package boltstore

import (
	"fmt"

	"github.com/darbaza/darbaza/registry"
	bolt "go.etcd.io/bbolt"
)

// bucketDocuments holds the register of issued documents: document number
// -> encoded [registry.Document]. It is part of the file format: never
// rename it. Files made before it existed get it, empty, when first opened
// for writing (see [Store.init]); a read-only open of such a file finds no
// documents.
const bucketDocuments = "documents"

func (t *tx) Document(number string) (registry.Document, error) {
	var d registry.Document
	if t.btx.Bucket([]byte(bucketDocuments)) == nil {
		return d, fmt.Errorf("%w: document %s", registry.ErrNotFound, number)
	}
	return d, t.get(bucketDocuments, number, &d)
}

func (t *tx) PutDocument(d registry.Document) (bool, error) {
	return t.put(bucketDocuments, d.Number, d)
}

// addedBuckets are the buckets added to the file format after schema 1 was
// frozen; init creates each on a file that lacks it.
var addedBuckets = []string{bucketDocuments}

// createAdded creates the added buckets a file lacks.
func createAdded(btx *bolt.Tx) error {
	for _, name := range addedBuckets {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	return nil
}
