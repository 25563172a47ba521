package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
	"github.com/darbaza/darbaza/registry/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestDocumentConformance(t *testing.T) {
	storetest.RunDocuments(t, func(t *testing.T) registry.Store { return openStore(t, filepath.Join(t.TempDir(), "registry.db")) })
}

// TestADocumentRecordIsFrozen pins the stored form of a document: the
// format byte and the JSON under the struct tags.
func TestADocumentRecordIsFrozen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s := openStore(t, path)
	issued := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	d := registry.Document{Number: "24299971206", Kind: registry.DocumentAddressCertificate, PIN: "21505198500123",
		Issued: issued, Expires: issued.Add(registry.DocumentValidity), Content: []byte("<c/>"),
		Digest: registry.DigestOf([]byte("<c/>")), Record: "r-1"}
	if err := s.Update(context.Background(), func(tx registry.Tx) error { _, err := tx.PutDocument(d); return err }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	want := "\x01" + `{"number":"24299971206","kind":"address_certificate","pin":"21505198500123","issued":"2026-11-22T10:00:00Z","expires":"2026-12-22T10:00:00Z","content":"PGMvPg==","digest":"` + d.Digest + `","record":"r-1"}`
	if got := dump(t, path)["documents 24299971206"]; got != want {
		t.Errorf("stored %q, want %q", got, want)
	}
}

// TestAFileFromBeforeDocumentsOpens: a file written before the documents
// bucket existed opens read-only with no documents, and gets the bucket
// when opened for writing.
func TestAFileFromBeforeDocumentsOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s := openStore(t, path)
	importFamily(t, s)
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("documents")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ro, err := boltstore.Open(path, boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of an older file: %v", err)
	}
	err = ro.View(context.Background(), func(tx registry.Tx) error { _, err := tx.Document("24299971206"); return err })
	if !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Document in an older file = %v, want ErrNotFound", err)
	}
	ro.Close()

	rw := openStore(t, path)
	d := registry.Document{Number: "24299971206"}
	if err := rw.Update(context.Background(), func(tx registry.Tx) error { _, err := tx.PutDocument(d); return err }); err != nil {
		t.Errorf("PutDocument after opening an older file for writing: %v", err)
	}
}
