package boltlog_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/internal/testkeys"
	bolt "go.etcd.io/bbolt"
)

// testdata/format1.db.gz is a log written by the code before the backend
// seam existed (commit 9bbfeb7), signed by the key of format1.crt: records
// 1..14 of goldenEntry, checkpoints after 5 and 12, records 1..3 archived
// (so it has an anchor), then 13 and 14 and Close's checkpoint. Logs in
// the field look like it, and must keep opening and verifying.

var goldenBase = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

var goldenSubjectKey = []byte("0123456789abcdef0123456789abcdef")

func goldenEntry(i int) accesslog.Entry {
	return accesslog.Entry{
		ID:             fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		Time:           goldenBase.Add(time.Duration(i) * time.Second),
		Client:         "central-server/GOV/70000002/portal",
		Service:        []string{"getPerson", "getRegistration", "getDwellingResidents"}[i%3],
		MessageID:      fmt.Sprintf("msg-%d", i),
		UserID:         "EE12345678901",
		Issue:          fmt.Sprintf("case-%d", i%4),
		Outcome:        []string{"ok", "PersonNotFound"}[i%2],
		Reason:         []string{"", "no such person"}[i%2],
		RequestSHA256:  sha256.Sum256(fmt.Appendf(nil, "request %d", i)),
		ResponseSHA256: sha256.Sum256(fmt.Appendf(nil, "response %d", i)),
		SignerCert:     fmt.Sprintf("%064x", i),
		Latency:        time.Duration(i) * time.Millisecond,
		Subjects:       []string{fmt.Sprintf("2010119900%04d", i%3), "10101199000099"}[:1+i%2],
	}
}

// writeGolden writes the golden log's history with this build into path,
// signed by a new key, and returns that key's certificate.
func writeGolden(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	kp := testkeys.EC(t, "darbaza golden log")
	k, cert := kp.Key, kp.Cert
	l, err := accesslog.Open(accesslog.Options{Path: path, Signer: k, Certificate: cert,
		SubjectKey: goldenSubjectKey, CheckpointInterval: time.Hour,
		Now: func() time.Time { return goldenBase.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	appendRange := func(from, to int) {
		for i := from; i <= to; i++ {
			if _, err := l.Append(ctx, goldenEntry(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendRange(1, 5)
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	appendRange(6, 12)
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "archive.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := l.Archive(ctx, goldenEntry(4).Time, out); err != nil {
		t.Fatal(err)
	}
	appendRange(13, 14)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return cert
}

// goldenCopy unpacks the golden log into a temporary file.
func goldenCopy(t *testing.T) (path string, cert *x509.Certificate) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "format1.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "accesslog.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	pemBytes, err := os.ReadFile(filepath.Join("testdata", "format1.crt"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("format1.crt: no PEM block")
	}
	if cert, err = x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	return path, cert
}

func TestALogOfTheFirstFormatStillVerifiesAndGrows(t *testing.T) {
	path, cert := goldenCopy(t)
	ctx := context.Background()
	rd, err := accesslog.OpenReader(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rd.Verify(ctx, accesslog.VerifyOptions{Certificates: []*x509.Certificate{cert}})
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	const head = "d4ae73b55ad16aef5b74839b3641a3e9d45654181685393160be86d7a5fa48b1"
	if rep.Records != 11 || rep.Anchor.Seq != 3 || rep.HeadSeq != 14 || rep.Checkpoints != 3 || rep.Unsigned != 0 ||
		hex.EncodeToString(rep.Head[:]) != head {
		t.Errorf("report = %+v, want records 4..14 from anchor 3, head %s, 3 checkpoints", rep, head)
	}

	// A server of this build opens it and carries on the chain.
	nextKey := testkeys.EC(t, "darbaza golden log, next key")
	l, err := accesslog.Open(accesslog.Options{Path: path, Signer: nextKey.Key, Certificate: nextKey.Cert, SubjectKey: goldenSubjectKey})
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Append(ctx, goldenEntry(15))
	if err != nil {
		t.Fatal(err)
	}
	if r.Seq != 15 || hex.EncodeToString(r.PrevHash[:]) != head {
		t.Errorf("appended record %d chains onto %x, want 15 onto the golden head", r.Seq, r.PrevHash)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rd, err = accesslog.OpenReader(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if rep, err := rd.Verify(ctx, accesslog.VerifyOptions{Certificates: []*x509.Certificate{cert, nextKey.Cert}}); err != nil || rep.Records != 12 || rep.Checkpoints != 4 {
		t.Errorf("after an append by this build: %+v, %v", rep, err)
	}
}

// TestThisBuildWritesTheFirstFormatByteForByte replays the golden log's
// history and compares the files bucket by bucket, key by key. Only the
// checkpoints' certificate fingerprints and signatures differ (another
// key signs them).
func TestThisBuildWritesTheFirstFormatByteForByte(t *testing.T) {
	golden, _ := goldenCopy(t)
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	writeGolden(t, fresh)
	want, got := dump(t, golden), dump(t, fresh)
	for _, bucket := range []string{"meta", "records", "checkpoints", "subjects"} {
		w, g := want[bucket], got[bucket]
		if w == nil || g == nil {
			t.Fatalf("bucket %q: golden has it: %v, this build wrote it: %v", bucket, w != nil, g != nil)
		}
		if len(w) != len(g) {
			t.Errorf("bucket %q: %d keys, golden has %d", bucket, len(g), len(w))
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				t.Errorf("bucket %q: key %x missing", bucket, k)
				continue
			}
			if bucket == "checkpoints" {
				// tag, version, seq, head, time: the statement signed.
				n := len("darbaza/accesslog/checkpoint\x00") + 1 + 8 + 32 + 12
				wv, gv = wv[:n], gv[:n]
			}
			if !bytes.Equal(wv, gv) {
				t.Errorf("bucket %q key %x: value differs\n got  %x\n want %x", bucket, k, gv, wv)
			}
		}
	}
}

// dump reads every bucket of a bbolt file: bucket -> key -> value.
func dump(t *testing.T, path string) map[string]map[string][]byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]map[string][]byte{}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			m := map[string][]byte{}
			out[string(name)] = m
			return b.ForEach(func(k, v []byte) error {
				m[string(k)] = bytes.Clone(v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
