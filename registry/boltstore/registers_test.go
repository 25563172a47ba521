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

// oldFile writes a schema-1 file from before the taxpayer and apostille
// registers: the six buckets of the population register only.
func oldFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"meta", "persons", "dwellings", "registrations", "registrations_by_pin", "registrations_by_dwelling"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("1"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAFileFromBeforeTheRegistersReadsThemAsEmpty(t *testing.T) {
	path := oldFile(t)
	ro, err := boltstore.Open(path, boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open of an old file: %v", err)
	}
	err = ro.View(context.Background(), func(tx registry.Tx) error {
		if _, err := tx.Taxpayer("01205201010017"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Taxpayer: %v, want ErrNotFound", err)
		}
		if _, err := tx.ApostilleOfApplication("AP-1"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("ApostilleOfApplication: %v, want ErrNotFound", err)
		}
		if n, err := tx.LastApostilleSequence(2026); n != 0 || err != nil {
			t.Errorf("LastApostilleSequence = %d, %v", n, err)
		}
		if bs, err := tx.BindingsOf("21505198500123"); len(bs) != 0 || err != nil {
			t.Errorf("BindingsOf = %v, %v", bs, err)
		}
		if os, err := tx.OfficialsOf("x"); len(os) != 0 || err != nil {
			t.Errorf("OfficialsOf = %v, %v", os, err)
		}
		return nil
	})
	ro.Close()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAFileFromBeforeTheRegistersGetsTheirBucketsOnItsFirstWrite(t *testing.T) {
	path := oldFile(t)
	s := openStore(t, path)
	tp := registry.Taxpayer{INN: "01205201010017", Type: registry.TaxpayerEntity, Name: "x", TaxOffice: "002",
		Address: registry.Address{Region: registry.RegionBishkek, Settlement: "Бишкек"}, Registered: registry.NewDate(2010, 1, 1), Status: registry.TaxpayerActive}
	if err := s.Update(context.Background(), func(tx registry.Tx) error { _, err := tx.PutTaxpayer(tp); return err }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	got := dump(t, path)
	if got["taxpayers 01205201010017"] == "" {
		t.Errorf("the taxpayer was not stored in its bucket: %q", got)
	}
}
