package accesslog

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testKey is a signing key with its self-signed certificate.
type testKey struct {
	signer crypto.Signer
	cert   *x509.Certificate
}

func newECKey(tb testing.TB) testKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return selfSign(tb, k)
}

func newRSAKey(tb testing.TB) testKey {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return selfSign(tb, k)
}

func selfSign(tb testing.TB, k crypto.Signer) testKey {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "darbaza test adapter"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return testKey{signer: k, cert: cert}
}

// writePEM stores the key (PKCS #8) and certificate in dir.
func (k testKey) writePEM(tb testing.TB, dir string) (keyPath, certPath string) {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k.signer)
	if err != nil {
		tb.Fatal(err)
	}
	keyPath, certPath = filepath.Join(dir, "adapter.key"), filepath.Join(dir, "adapter.crt")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.cert.Raw}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return keyPath, certPath
}

var testSubjectKey = []byte("0123456789abcdef0123456789abcdef")

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testOptions(tb testing.TB, k testKey, path string) Options {
	tb.Helper()
	return Options{
		Path:               path,
		Signer:             k.signer,
		Certificate:        k.cert,
		SubjectKey:         testSubjectKey,
		CheckpointInterval: time.Hour, // tests ask for checkpoints explicitly
		Now:                newClock().Now,
	}
}

func openTestLog(tb testing.TB, opts Options) *Log {
	tb.Helper()
	l, err := Open(opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// testEntry returns a plausible entry number i.
func testEntry(i int) Entry {
	services := []string{"getPerson", "getRegistration", "getDwellingResidents", "getTaxpayer"}
	clients := []string{"central-server/GOV/70000002/portal", "central-server/GOV/70000003/sanarip-aymak"}
	outcomes := []string{"OK", "OK", "PersonNotFound", "Server.ServerProxy.AccessDenied"}
	return Entry{
		ID:             fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		Time:           time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Client:         clients[i%len(clients)],
		Service:        services[i%len(services)],
		MessageID:      fmt.Sprintf("msg-%d", i),
		UserID:         "EE12345678901",
		Issue:          fmt.Sprintf("case-%d", i%7),
		Outcome:        outcomes[i%len(outcomes)],
		RequestSHA256:  sha256.Sum256([]byte(fmt.Sprintf("request %d", i))),
		ResponseSHA256: sha256.Sum256([]byte(fmt.Sprintf("response %d", i))),
		SignerCert:     fmt.Sprintf("%064x", i),
		Latency:        time.Duration(i) * time.Millisecond,
		Subjects:       []string{fmt.Sprintf("2010119900%04d", i%5)},
	}
}

// appendN appends entries 1..n sequentially and returns their records.
func appendN(tb testing.TB, l *Log, n int) []Record {
	tb.Helper()
	recs := make([]Record, 0, n)
	for i := 1; i <= n; i++ {
		r, err := l.Append(context.Background(), testEntry(i))
		if err != nil {
			tb.Fatalf("Append %d: %v", i, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func verifyOpts(k ...testKey) VerifyOptions {
	var o VerifyOptions
	for _, x := range k {
		o.Certificates = append(o.Certificates, x.cert)
	}
	return o
}
