package accesslog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the testdata exports")

// fixedRecord is a record whose hash TestRecordHashIsStable pins.
func fixedRecord() Record {
	return Record{
		Version: FormatVersion, Seq: 42,
		ID:     "5f0c3c1e-8d7a-4b7e-9a51-2f8e4c7d1b90",
		Time:   time.Date(2025, 3, 1, 9, 30, 15, 123456789, time.UTC),
		Client: "central-server/GOV/70000002/portal", Service: "getPerson",
		MessageID: "4894e35d-bf0f-44a6-867a-8e51f1daa7e0", UserID: "EE12345678901", Issue: "12345",
		Outcome: "ok", Reason: "",
		RequestSHA256:  sha256.Sum256([]byte("request")),
		ResponseSHA256: sha256.Sum256([]byte("response")),
		SignerCert:     "ab",
		Latency:        1500 * time.Microsecond,
		Subjects:       []string{SubjectID(testSubjectKey, "20101199000001")},
		PrevHash:       sha256.Sum256([]byte("previous")),
	}
}

// TestRecordHashIsStable pins the canonical encoding: if it fails, the log
// format changed, and every stored hash and signature with it. Bump
// FormatVersion instead. The expected value was computed independently
// (Python, from the layout documented at appendBody).
func TestRecordHashIsStable(t *testing.T) {
	r := fixedRecord()
	h, err := r.ComputeHash()
	if err != nil {
		t.Fatal(err)
	}
	const want = "b3307494c334aa03682aa472550335bd50c2cfe0ed55edbc1dea5a0723135f04"
	if got := hex.EncodeToString(h[:]); got != want {
		t.Errorf("hash of the fixed record = %s, want %s", got, want)
	}
}

func TestStoredRecordRoundTrips(t *testing.T) {
	r := fixedRecord()
	r.Hash, _ = r.ComputeHash()
	v, err := encodeStored(&r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeStored(42, v)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := encodeStored(&got)
	if !bytes.Equal(v, again) || got.Time != r.Time || got.Hash != r.Hash {
		t.Errorf("decode(encode(r)) differs from r")
	}
	if _, err := decodeStored(43, v); !errors.Is(err, ErrTampered) {
		t.Errorf("record under another key: %v, want ErrTampered", err)
	}
}

func TestBodyOfAnUnknownVersionIsUnsupported(t *testing.T) {
	r := fixedRecord()
	body, _ := appendBody(nil, &r)
	body[len(bodyTag)] = FormatVersion + 1
	if _, err := decodeBody(body); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("decodeBody: %v, want ErrUnsupportedFormat", err)
	}
}

// TestTestdataExportsVerify checks the committed exports with the committed
// certificate; with -update it regenerates them from a fresh log.
func TestTestdataExportsVerify(t *testing.T) {
	if *update {
		writeTestdata(t)
	}
	cert := readTestdataCert(t)
	for _, name := range []string{"export.jsonl", "export.csv", "filtered.jsonl", "filtered.csv"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := VerifyExport(context.Background(), bytes.NewReader(b), VerifyOptions{Certificates: []*x509.Certificate{cert}, Sealed: true})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Records != 8 || rep.Checkpoints != 2 {
				t.Errorf("report = %+v, want 8 records and 2 checkpoints", rep)
			}
		})
	}
}

func readTestdataCert(tb testing.TB) *x509.Certificate {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "adapter.crt"))
	if err != nil {
		tb.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		tb.Fatal("testdata/adapter.crt: no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return cert
}

func writeTestdata(t *testing.T) {
	k := newECKey(t)
	if err := os.WriteFile(filepath.Join("testdata", "adapter.crt"),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	l := openTestLog(t, testOptions(t, k, filepath.Join(t.TempDir(), "log.db")))
	appendN(t, l, 4)
	l.Checkpoint(context.Background())
	e := testEntry(5)
	e.Reason = `quoted "reason", with comma; кыргызча`
	l.Append(context.Background(), e)
	for i := 6; i <= 8; i++ {
		l.Append(context.Background(), testEntry(i))
	}
	l.Checkpoint(context.Background())
	for name, f := range map[string]Filter{"export": {}, "filtered": {Service: "getPerson"}} {
		for _, format := range []Format{FormatJSONL, FormatCSV} {
			var buf bytes.Buffer
			if _, err := l.Export(context.Background(), &buf, format, f); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata", name+"."+string(format)), buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
