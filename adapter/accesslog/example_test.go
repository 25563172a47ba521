package accesslog_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
)

// An adapter appends one entry per request, signs a checkpoint over the
// chain, and an auditor verifies the whole log offline.
func Example() {
	dir, err := os.MkdirTemp("", "accesslog-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// The adapter's key and certificate sign the checkpoints.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "adapter"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}

	path := filepath.Join(dir, "accesslog.db")
	l, err := accesslog.Open(accesslog.Options{
		Path:        path,
		Signer:      key,
		Certificate: cert,
		SubjectKey:  []byte("a subject key of at least 32 bytes"),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for i, service := range []string{"getPerson", "getRegistration", "getPerson"} {
		rec, err := l.Append(ctx, accesslog.Entry{
			ID:            fmt.Sprintf("request-%d", i+1),
			Time:          time.Date(2025, 3, 1, 9, 0, i, 0, time.UTC),
			Client:        "central-server/GOV/70000002/portal",
			Service:       service,
			Outcome:       "OK",
			RequestSHA256: sha256.Sum256([]byte(service)),
			Subjects:      []string{"20101199000001"}, // stored only as an HMAC
		})
		if err != nil {
			panic(err) // the request must fail: no answer without its record
		}
		fmt.Printf("record %d: %s, chained onto record %d\n", rec.Seq, rec.Service, rec.Seq-1)
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("checkpoint signed over record %d\n", cp.Seq)
	if err := l.Close(); err != nil {
		panic(err)
	}

	// The auditor's side: `darbaza audit verify`.
	rd, err := accesslog.OpenReader(path, 0)
	if err != nil {
		panic(err)
	}
	defer rd.Close()
	rep, err := rd.Verify(ctx, accesslog.VerifyOptions{Certificates: []*x509.Certificate{cert}})
	if err != nil {
		panic(err) // a *TamperError names the first bad record
	}
	fmt.Printf("verified %d records, %d checkpoint signature, %d records unsigned\n",
		rep.Records, rep.Checkpoints, rep.Unsigned)
	// Output:
	// record 1: getPerson, chained onto record 0
	// record 2: getRegistration, chained onto record 1
	// record 3: getPerson, chained onto record 2
	// checkpoint signed over record 3
	// verified 3 records, 1 checkpoint signature, 0 records unsigned
}
