package accesslog

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func addTestdataSeeds(f *testing.F, names ...string) {
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
}

// checkVerifyResult asserts what must hold for any input to an export
// verifier: failures are classified, successes are self-consistent.
func checkVerifyResult(t *testing.T, rep Report, err error) {
	if err != nil {
		if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrUnsupportedFormat) {
			t.Fatalf("error of no known class: %v", err)
		}
		return
	}
	if uint64(rep.Records) != rep.HeadSeq-rep.Anchor.Seq {
		t.Fatalf("verified %d records from anchor %d to head %d", rep.Records, rep.Anchor.Seq, rep.HeadSeq)
	}
	if rep.Unsigned > uint64(rep.Records) || rep.Omitted > rep.Records {
		t.Fatalf("inconsistent report %+v", rep)
	}
	if rep.LastCheckpoint != nil && rep.LastCheckpoint.Seq+rep.Unsigned != rep.HeadSeq {
		t.Fatalf("last checkpoint %d + unsigned %d != head %d", rep.LastCheckpoint.Seq, rep.Unsigned, rep.HeadSeq)
	}
}

func FuzzVerifyJSONL(f *testing.F) {
	addTestdataSeeds(f, "export.jsonl", "filtered.jsonl")
	cert := readTestdataCert(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := VerifyJSONL(context.Background(), bytes.NewReader(b), VerifyOptions{Certificates: []*x509.Certificate{cert}})
		checkVerifyResult(t, rep, err)
	})
}

func FuzzVerifyCSV(f *testing.F) {
	addTestdataSeeds(f, "export.csv", "filtered.csv")
	cert := readTestdataCert(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := VerifyCSV(context.Background(), bytes.NewReader(b), VerifyOptions{Certificates: []*x509.Certificate{cert}})
		checkVerifyResult(t, rep, err)
	})
}

// FuzzDecodeStored: a stored value that decodes re-encodes to the same
// bytes (the encoding is canonical), so what is verified is what is read.
func FuzzDecodeStored(f *testing.F) {
	r := fixedRecord()
	v, _ := encodeStored(&r)
	f.Add(uint64(42), v)
	f.Add(uint64(1), []byte("short"))
	f.Fuzz(func(t *testing.T, seq uint64, b []byte) {
		got, err := decodeStored(seq, b)
		if err != nil {
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("error of no known class: %v", err)
			}
			return
		}
		again, err := encodeStored(&got)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decode then encode changed the bytes")
		}
	})
}

// FuzzDecodeCheckpoint: a stored checkpoint that decodes re-encodes to the
// same bytes.
func FuzzDecodeCheckpoint(f *testing.F) {
	k := newECKey(f)
	c := Checkpoint{Seq: 7, Head: fixedRecord().PrevHash, Time: fixedRecord().Time}
	if err := signCheckpoint(&c, k.Key, k.Cert, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(encodeCheckpoint(&c))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCheckpoint(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeCheckpoint(&c), b) {
			t.Fatalf("decode then encode changed the bytes")
		}
	})
}
