package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// RunDocuments runs the suite of the register of issued documents
// ([registry.DocumentTx]) and its rules over stores newStore makes, as
// [Run] does for the population register.
func RunDocuments(t *testing.T, newStore func(t *testing.T) registry.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s registry.Store)
	}{
		{"a stored document reads back with every field", testDocumentRoundTrip},
		{"a number not stored is not found", testDocumentNotFound},
		{"a put document replaces the one under its number and says so", testDocumentReplace},
		{"a document put in View fails as read-only", testDocumentViewIsReadOnly},
		{"a document put in a failed Update is not committed", testDocumentRollsBack},
		{"rules: an issued document is valid, then expired after 30 days", testDocumentLifetime},
		{"rules: a wrong digest, a malformed and a random number are all unknown", testDocumentUnknown},
		{"rules: a revoked document is revoked", testDocumentRevoked},
		{"rules: a number already issued is drawn again", testDocumentCollision},
		{"rules: a seal that fails leaves no document", testDocumentSealFails},
		{"rules: a person without a residence gets no certificate", testDocumentNoResidence},
		{"rules: concurrent issues get distinct numbers", testDocumentConcurrentIssues},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// certificateOf is the document the suite stores: an address certificate
// of the owner whose content is a stand-in for the signed XML.
func certificateOf(number string, issued time.Time) registry.Document {
	content := []byte("<AddressCertificate number=\"" + number + "\"/>")
	return registry.Document{
		Number: number, Kind: registry.DocumentAddressCertificate, PIN: owner.PIN,
		Issued: issued, Expires: issued.Add(registry.DocumentValidity),
		Content: content, Digest: registry.DigestOf(content), Record: "00000000-0000-4000-8000-000000000001",
	}
}

func testDocumentRoundTrip(t *testing.T, s registry.Store) {
	want := certificateOf("24299971206", Now)
	want.Revoked = Now.Add(time.Hour)
	update(t, s, func(tx registry.Tx) error {
		replaced, err := tx.PutDocument(want)
		if replaced {
			t.Error("first put says it replaced a document")
		}
		return err
	})
	view(t, s, func(tx registry.Tx) error {
		got, err := tx.Document(want.Number)
		if err != nil {
			return err
		}
		if !got.Issued.Equal(want.Issued) || !got.Expires.Equal(want.Expires) || !got.Revoked.Equal(want.Revoked) {
			t.Errorf("times = %v %v %v, want %v %v %v", got.Issued, got.Expires, got.Revoked, want.Issued, want.Expires, want.Revoked)
		}
		got.Issued, got.Expires, got.Revoked = want.Issued, want.Expires, want.Revoked
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read back %+v, want %+v", got, want)
		}
		return nil
	})
}

func testDocumentNotFound(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error { _, err := tx.PutDocument(certificateOf("24299971206", Now)); return err })
	view(t, s, func(tx registry.Tx) error {
		for _, n := range []string{"24299971207", "2429997120", "", "x"} {
			if _, err := tx.Document(n); !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("Document(%q) = %v, want ErrNotFound", n, err)
			}
		}
		return nil
	})
}

func testDocumentReplace(t *testing.T, s registry.Store) {
	d := certificateOf("24299971206", Now)
	update(t, s, func(tx registry.Tx) error { _, err := tx.PutDocument(d); return err })
	d.Revoked = Now.Add(time.Minute)
	update(t, s, func(tx registry.Tx) error {
		replaced, err := tx.PutDocument(d)
		if !replaced {
			t.Error("second put does not say it replaced the document")
		}
		return err
	})
	view(t, s, func(tx registry.Tx) error {
		got, err := tx.Document(d.Number)
		if err == nil && !got.Revoked.Equal(d.Revoked) {
			t.Errorf("Revoked = %v, want %v", got.Revoked, d.Revoked)
		}
		return err
	})
}

func testDocumentViewIsReadOnly(t *testing.T, s registry.Store) {
	err := s.View(context.Background(), func(tx registry.Tx) error {
		_, err := tx.PutDocument(certificateOf("24299971206", Now))
		return err
	})
	if !errors.Is(err, registry.ErrReadOnly) {
		t.Errorf("PutDocument in View = %v, want ErrReadOnly", err)
	}
}

func testDocumentRollsBack(t *testing.T, s registry.Store) {
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx registry.Tx) error {
		if _, err := tx.PutDocument(certificateOf("24299971206", Now)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.Document("24299971206"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("document of a failed Update: %v, want ErrNotFound", err)
		}
		return nil
	})
}

// family puts the owner with a residence in the house.
func family(t *testing.T, s registry.Store) {
	t.Helper()
	update(t, s, func(tx registry.Tx) error {
		return putAll(tx, []registry.Person{owner, wife}, []registry.Dwelling{house},
			[]registry.Registration{residence("RG-1", owner.PIN, house.ID, registry.NewDate(2015, 3, 10))})
	})
}

// issuer is a registry over s on clock now, drawing numbers from the
// digits of numbers in turn (11 bytes, '0' to '9', per number).
func issuer(s registry.Store, now func() time.Time, numbers string) *registry.Registry {
	return registry.New(s, registry.Options{Now: now, Rand: digits(numbers)})
}

// digits is a number source that makes [registry.NewDocumentNumber] return
// the given numbers: it feeds crypto/rand.Int the bytes of n - 10^10.
type digitSource struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func digits(numbers string) *digitSource {
	d := &digitSource{}
	for i := 0; i+registry.DocumentNumberLength <= len(numbers); i += registry.DocumentNumberLength {
		var n int64
		for _, c := range numbers[i : i+registry.DocumentNumberLength] {
			n = n*10 + int64(c-'0')
		}
		n -= 10_000_000_000
		// rand.Int(r, 9·10^10) reads 5 bytes (37 bits) and masks the top
		// byte to 5 bits; a value below the bound is taken as is.
		d.buf.Write([]byte{byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	}
	return d
}

func (d *digitSource) Read(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.Read(p)
}

// buildFrom makes the certificate of facts, as the adapter's issuer does
// with the signed XML.
func buildFrom(f registry.AddressFacts) (registry.Document, error) {
	d := certificateOf(f.Number, f.Issued)
	d.PIN = f.Person.PIN
	d.Expires = f.Expires
	return d, nil
}

func noSeal(registry.Tx, registry.Document) error { return nil }

func testDocumentLifetime(t *testing.T, s registry.Store) {
	family(t, s)
	issued, err := issuer(s, func() time.Time { return Now }, "24299971206").
		IssueAddressCertificate(context.Background(), owner.PIN, func(f registry.AddressFacts) (registry.Document, error) {
			if f.Residence.ID != "RG-1" || f.Residence.Address != house.Address || f.Person.Surname != owner.Surname {
				t.Errorf("facts = %+v", f)
			}
			return buildFrom(f)
		}, noSeal)
	if err != nil {
		t.Fatal(err)
	}
	if issued.Number != "24299971206" || !issued.Expires.Equal(Now.Add(30*24*time.Hour)) {
		t.Fatalf("issued %s expiring %v", issued.Number, issued.Expires)
	}
	for _, c := range []struct {
		day  time.Duration
		want registry.DocumentStatus
	}{
		{0, registry.DocumentValid},
		{29 * 24 * time.Hour, registry.DocumentValid},
		{30*24*time.Hour - time.Second, registry.DocumentValid},
		{30 * 24 * time.Hour, registry.DocumentExpired},
		{31 * 24 * time.Hour, registry.DocumentExpired},
	} {
		at := Now.Add(c.day)
		reg := issuer(s, func() time.Time { return at }, "")
		for _, digest := range []string{"", issued.Digest, strings.ToUpper(issued.Digest)} {
			got, d, err := reg.CheckDocument(context.Background(), issued.Number, digest)
			if err != nil || got != c.want {
				t.Errorf("at +%v with digest %q: %s, %v; want %s", c.day, digest, got, err, c.want)
			}
			if got == registry.DocumentValid && !bytes.Equal(d.Content, issued.Content) {
				t.Errorf("a valid check returns content %q, want %q", d.Content, issued.Content)
			}
			if got != registry.DocumentValid && d.Content != nil {
				t.Errorf("a %s check hands out content", got)
			}
		}
	}
}

func testDocumentUnknown(t *testing.T, s registry.Store) {
	family(t, s)
	reg := issuer(s, func() time.Time { return Now }, "24299971206")
	issued, err := reg.IssueAddressCertificate(context.Background(), owner.PIN, buildFrom, noSeal)
	if err != nil {
		t.Fatal(err)
	}
	var random string
	for random == "" || random == issued.Number { // one in 9*10^10 draws the issued number
		if random, err = registry.NewDocumentNumber(rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	wrong := registry.DigestOf([]byte("another document"))
	for _, c := range []struct{ number, digest string }{
		{issued.Number, wrong},
		{issued.Number, "not hex"},
		{random, ""},
		{"0" + issued.Number[1:], ""},
		{issued.Number + "0", ""},
		{"", ""},
	} {
		got, d, err := reg.CheckDocument(context.Background(), c.number, c.digest)
		if err != nil || got != registry.DocumentUnknown || d.Number != "" {
			t.Errorf("CheckDocument(%q, %q) = %s, %q, %v; want unknown", c.number, c.digest, got, d.Number, err)
		}
	}
}

func testDocumentRevoked(t *testing.T, s registry.Store) {
	d := certificateOf("24299971206", Now)
	update(t, s, func(tx registry.Tx) error { _, err := tx.PutDocument(d); return err })
	reg := issuer(s, func() time.Time { return Now }, "")
	// A seal that fails (the act could not be recorded) revokes nothing.
	boom := errors.New("the access log is gone")
	failing := func(registry.Tx, registry.Document) error { return boom }
	if _, err := reg.RevokeDocument(context.Background(), d.Number, Now.Add(time.Minute), failing); !errors.Is(err, boom) {
		t.Fatalf("a revocation whose seal failed: %v, want the seal's error", err)
	}
	var sealed []registry.Document
	seal := func(_ registry.Tx, d registry.Document) error { sealed = append(sealed, d); return nil }
	if _, err := reg.RevokeDocument(context.Background(), d.Number, Now.Add(time.Hour), seal); err != nil {
		t.Fatal(err)
	}
	if len(sealed) != 1 || !sealed[0].Revoked.Equal(Now.Add(time.Hour)) {
		t.Errorf("sealed %v; want the document revoked at the second call's time, once", sealed)
	}
	if got, err := reg.RevokeDocument(context.Background(), d.Number, Now.Add(2*time.Hour), nil); err != nil || !got.Revoked.Equal(Now.Add(time.Hour)) {
		t.Errorf("revoked again: %v, %v; want the first time kept", got.Revoked, err)
	}
	if _, err := reg.RevokeDocument(context.Background(), "31415926535", Now, nil); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("revoking a number never issued: %v", err)
	}
	for at, want := range map[time.Time]registry.DocumentStatus{
		Now:                          registry.DocumentValid,
		Now.Add(time.Hour):           registry.DocumentRevoked,
		Now.Add(40 * 24 * time.Hour): registry.DocumentRevoked,
	} {
		view(t, s, func(tx registry.Tx) error {
			got, _, err := registry.CheckDocument(tx, d.Number, "", at)
			if got != want {
				t.Errorf("at %v: %s, want %s", at, got, want)
			}
			return err
		})
	}
}

func testDocumentCollision(t *testing.T, s registry.Store) {
	family(t, s)
	update(t, s, func(tx registry.Tx) error { _, err := tx.PutDocument(certificateOf("24299971206", Now)); return err })
	reg := issuer(s, func() time.Time { return Now }, "24299971206"+"24299971206"+"31415926535")
	d, err := reg.IssueAddressCertificate(context.Background(), owner.PIN, buildFrom, noSeal)
	if err != nil || d.Number != "31415926535" {
		t.Errorf("issued %q, %v; want the third draw 31415926535", d.Number, err)
	}
	// A source that only repeats a taken number gives up.
	reg = issuer(s, func() time.Time { return Now }, strings.Repeat("24299971206", 10))
	if _, err := reg.IssueAddressCertificate(context.Background(), owner.PIN, buildFrom, noSeal); !errors.Is(err, registry.ErrNumbersExhausted) {
		t.Errorf("a source of taken numbers: %v, want ErrNumbersExhausted", err)
	}
}

func testDocumentSealFails(t *testing.T, s registry.Store) {
	family(t, s)
	boom := errors.New("the access log is gone")
	reg := issuer(s, func() time.Time { return Now }, "24299971206")
	sealed := 0
	_, err := reg.IssueAddressCertificate(context.Background(), owner.PIN, buildFrom, func(_ registry.Tx, d registry.Document) error {
		sealed++
		return boom
	})
	if !errors.Is(err, boom) || sealed != 1 {
		t.Fatalf("IssueAddressCertificate = %v after %d seals, want boom after 1", err, sealed)
	}
	if st, _, err := reg.CheckDocument(context.Background(), "24299971206", ""); st != registry.DocumentUnknown || err != nil {
		t.Errorf("the document of a failed seal is %s, %v; want unknown", st, err)
	}
}

func testDocumentNoResidence(t *testing.T, s registry.Store) {
	family(t, s)
	reg := issuer(s, func() time.Time { return Now }, "24299971206")
	built := false
	build := func(f registry.AddressFacts) (registry.Document, error) { built = true; return buildFrom(f) }
	if _, err := reg.IssueAddressCertificate(context.Background(), wife.PIN, build, noSeal); !errors.Is(err, registry.ErrNoResidence) {
		t.Errorf("wife without a residence: %v, want ErrNoResidence", err)
	}
	if _, err := reg.IssueAddressCertificate(context.Background(), child.PIN, build, noSeal); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("a person not stored: %v, want ErrNotFound", err)
	}
	if _, err := reg.IssueAddressCertificate(context.Background(), "12345678901234", build, noSeal); !errors.Is(err, registry.ErrInvalidPIN) {
		t.Errorf("a malformed PIN: %v, want ErrInvalidPIN", err)
	}
	if built {
		t.Error("a refused certificate was built")
	}
}

func testDocumentConcurrentIssues(t *testing.T, s registry.Store) {
	family(t, s)
	reg := registry.New(s, registry.Options{Now: func() time.Time { return Now }, Rand: rand.Reader})
	const n = 8
	numbers := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			d, err := reg.IssueAddressCertificate(context.Background(), owner.PIN, buildFrom, noSeal)
			if err != nil {
				t.Error(err)
			}
			numbers <- d.Number
		})
	}
	wg.Wait()
	close(numbers)
	seen := map[string]bool{}
	for number := range numbers {
		if seen[number] {
			t.Errorf("number %s issued twice", number)
		}
		seen[number] = true
		if st, _, err := reg.CheckDocument(context.Background(), number, ""); st != registry.DocumentValid || err != nil {
			t.Errorf("%s: %s, %v; want valid", number, st, err)
		}
	}
}
