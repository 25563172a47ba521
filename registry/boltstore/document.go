package boltstore

import (
	"fmt"

	"github.com/darbaza/darbaza/registry"
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
