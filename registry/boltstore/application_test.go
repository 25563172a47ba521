package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
	bolt "go.etcd.io/bbolt"
)

// A file made before applications existed has no applications bucket: a
// read-only store reads it as empty, a writable one adds the bucket.
func TestAFileWithoutApplicationsOpensAndGainsThem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s := openStore(t, path)
	importFamily(t, s)
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("applications")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ro, err := boltstore.Open(path, boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of a file without applications: %v", err)
	}
	err = ro.View(context.Background(), func(tx registry.Tx) error {
		_, err := tx.Application("AP-1")
		return err
	})
	ro.Close()
	if !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Application on a file without the bucket: %v, want ErrNotFound", err)
	}

	rw := openStore(t, path)
	err = rw.Update(context.Background(), func(tx registry.Tx) error {
		_, err := tx.PutApplication(registry.Application{Number: "AP-1", Kind: registry.ApplyRegistration})
		return err
	})
	if err != nil {
		t.Fatalf("PutApplication after a writable open: %v", err)
	}
}
