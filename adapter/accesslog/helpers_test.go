package accesslog

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/darbaza/darbaza/internal/testclock"
	"github.com/darbaza/darbaza/internal/testkeys"
)

// testKey is a signing key with its self-signed certificate.
type testKey = testkeys.Pair

func newECKey(tb testing.TB) testKey { return testkeys.EC(tb, "darbaza test adapter") }

func newRSAKey(tb testing.TB) testKey { return testkeys.RSA(tb, 2048, "darbaza test adapter") }

// writePEM stores k as adapter.key (PKCS #8) and adapter.crt in dir.
func writePEM(tb testing.TB, k testKey, dir string) (keyPath, certPath string) {
	return k.WritePEM(tb, dir, "adapter")
}

var testSubjectKey = []byte("0123456789abcdef0123456789abcdef")

// newClock is the tests' settable clock, at 2025-03-01 09:00 UTC.
func newClock() *testclock.Clock { return testclock.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)) }

func testOptions(tb testing.TB, k testKey, path string) Options {
	tb.Helper()
	return Options{
		Path:               path,
		Signer:             k.Key,
		Certificate:        k.Cert,
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
		o.Certificates = append(o.Certificates, x.Cert)
	}
	return o
}
