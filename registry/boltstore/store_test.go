package boltstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
	"github.com/darbaza/darbaza/registry/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store { return openStore(t, filepath.Join(t.TempDir(), "registry.db")) })
}

func openStore(tb testing.TB, path string) *boltstore.Store {
	tb.Helper()
	s, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// family is an import file with a person, a dwelling and a registration.
const family = `{"kind":"person","pin":"21505198500123","surname":"Асанов","given_name":"Азамат","birth_date":"1985-05-15","sex":"male","citizenship":"citizen"}
{"kind":"dwelling","id":"DW-1","type":"house","address":{"region":"talas","settlement":"Талас шаары","street":"Ленин көчөсү","house":"1"},"owners":[{"pin":"21505198500123","title":"owner"}]}
{"kind":"registration","id":"RG-1","pin":"21505198500123","dwelling_id":"DW-1","type":"residence","since":"2015-03-10"}
`

func importFamily(tb testing.TB, s registry.Store) {
	tb.Helper()
	reg := registry.New(s, registry.Options{Now: func() time.Time { return storetest.Now }})
	if rep, err := reg.Import(context.Background(), bytes.NewReader([]byte(family))); err != nil {
		tb.Fatalf("Import: %v %v", err, rep.Errors)
	}
}

// dump returns every key and value of the file, bucket by bucket.
func dump(tb testing.TB, path string) map[string]string {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	out := map[string]string{}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				out[string(name)+" "+string(k)] = string(v)
				return nil
			})
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestTheFileFormat pins the documented layout: buckets, keys, the format
// byte and the JSON of each record, so that files written by earlier
// builds stay readable.
func TestTheFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s := openStore(t, path)
	importFamily(t, s)
	s.Close()
	want := map[string]string{
		"meta schema": "1",
		// The compact person encoding (formatPerson): PIN, surname, given
		// name, no patronymic, 1985-05-15 (5613 days after 1970-01-01,
		// zigzag 11226, plus one: 0xdb 0x57), sex, citizenship, no flags,
		// no parents.
		"persons 21505198500123": "\x02" + "\x0e21505198500123" + "\x0cАсанов" + "\x0cАзамат" + "\x00" + "\xdb\x57" +
			"\x04male" + "\x07citizen" + "\x00" + "\x00",
		"dwellings DW-1":                          "\x01" + `{"id":"DW-1","type":"house","address":{"region":"talas","settlement":"Талас шаары","street":"Ленин көчөсү","house":"1"},"owners":[{"pin":"21505198500123","title":"owner"}]}`,
		"registrations RG-1":                      "\x01" + `{"id":"RG-1","pin":"21505198500123","dwelling_id":"DW-1","type":"residence","since":"2015-03-10"}`,
		"registrations_by_pin 21505198500123RG-1": "",
		"registrations_by_dwelling DW-1\x00RG-1":  "",
	}
	got := dump(t, path)
	if len(got) != len(want) {
		t.Errorf("file holds %d keys, want %d: %q", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q = %q, want %q", k, got[k], v)
		}
	}
}

func TestBackupIsAStoreWithTheSameRecords(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "registry.db"))
	importFamily(t, s)
	var buf bytes.Buffer
	if _, err := s.Backup(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := boltstore.Open(path, boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var p registry.Person
	if err := b.View(context.Background(), func(tx registry.Tx) error { p, err = tx.Person("21505198500123"); return err }); err != nil || p.Surname != "Асанов" {
		t.Errorf("Person in the backup = %+v, %v", p, err)
	}
	s.Close()
	b.Close()
	if orig, copy := dump(t, filepath.Join(dir, "registry.db")), dump(t, path); len(orig) != len(copy) {
		t.Errorf("backup holds %d keys, the original %d", len(copy), len(orig))
	} else {
		for k, v := range orig {
			if copy[k] != v {
				t.Errorf("backup %q = %q, want %q", k, copy[k], v)
			}
		}
	}
}

func TestAReadOnlyStoreRefusesUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s := openStore(t, path)
	importFamily(t, s)
	s.Close()
	ro, err := boltstore.Open(path, boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ran := false
	if err := ro.Update(context.Background(), func(registry.Tx) error { ran = true; return nil }); !errors.Is(err, registry.ErrReadOnly) || ran {
		t.Errorf("Update on a read-only store: error = %v, ran = %v; want ErrReadOnly, not run", err, ran)
	}
	reg := registry.New(ro, registry.Options{Now: func() time.Time { return storetest.Now }})
	if _, err := reg.Import(context.Background(), bytes.NewReader(nil)); !errors.Is(err, registry.ErrReadOnly) {
		t.Errorf("Import on a read-only store: error = %v, want ErrReadOnly", err)
	}
}

func TestBackupStopsWhenTheContextIsCancelled(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "registry.db"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Backup(ctx, &bytes.Buffer{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup error = %v, want context.Canceled", err)
	}
}

func TestOpenRejectsAFileOfAnotherSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return b.Put([]byte("schema"), []byte("99"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s, err := boltstore.Open(path, boltstore.Options{}); !errors.Is(err, registry.ErrCorrupt) {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open error = %v, want ErrCorrupt", err)
	}
}

func TestAStoredValueOfAnUnknownFormatIsCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s := openStore(t, path)
	importFamily(t, s)
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("persons")).Put([]byte("21505198500123"), []byte("\x09{}"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s = openStore(t, path)
	err = s.View(context.Background(), func(tx registry.Tx) error {
		if _, err := tx.Person("21505198500123"); !errors.Is(err, registry.ErrCorrupt) {
			t.Errorf("Person error = %v, want ErrCorrupt", err)
		}
		// The index names RG-1, whose person record is now unreadable.
		if _, err := registry.ReadResidents(tx, "DW-1", registry.DateOf(storetest.Now)); !errors.Is(err, registry.ErrCorrupt) {
			t.Errorf("ReadResidents error = %v, want ErrCorrupt", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAFileHeldByAnotherOpenIsReportedAsLocked: while the server holds the
// registry file, a second open (an import, a revoke) says the file is
// locked, not a bare "timeout".
func TestAFileHeldByAnotherOpenIsReportedAsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	openStore(t, path)
	_, err := boltstore.Open(path, boltstore.Options{Timeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second open: %v, want an error saying the file is locked", err)
	}
}
