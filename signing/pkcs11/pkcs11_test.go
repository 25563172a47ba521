package pkcs11_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	"github.com/darbaza/darbaza/internal/softhsm"
	"github.com/darbaza/darbaza/internal/testkeys"
	"github.com/darbaza/darbaza/signing/pkcs11"
	"golang.org/x/mod/sumdb/note"
)

func TestAKeyInSoftHSMSignsTheAccessLogsCheckpointsAndWitnessNotes(t *testing.T) {
	tok := softhsm.New(t, "darbaza")
	pub := tok.GenerateECDSA(t, "checkpoint")
	key, err := pkcs11.Open(tok.URI("checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	defer key.Close()
	if !key.Public().(*ecdsa.PublicKey).Equal(pub) {
		t.Fatal("the opened key is not the one generated")
	}
	d := sha256.Sum256([]byte("checkpoint"))
	sig, err := key.Sign(nil, d[:], crypto.SHA256)
	if err != nil || !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d[:], sig) {
		t.Fatalf("HSM signature does not verify: %v", err)
	}

	// The access log signs its checkpoints with it.
	cert := testkeys.SelfSigned(t, key, "darbaza checkpoint key", testkeys.NotBefore, time.Now().AddDate(1, 0, 0)).Cert
	l, err := accesslog.Open(accesslog.Options{Path: filepath.Join(t.TempDir(), "log.db"), Signer: key, Certificate: cert, SubjectKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(context.Background(), accesslog.Entry{ID: "1", Time: time.Now(), Outcome: "OK"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Verify(context.Background(), accesslog.VerifyOptions{Certificates: []*x509.Certificate{cert}}); err != nil {
		t.Fatalf("a checkpoint signed in the HSM does not verify: %v", err)
	}

	// And the notes a witness checks.
	ns, err := witness.NewECDSASigner("darbaza.test/log", key)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := witness.SignCheckpoint(witness.Checkpoint{Origin: "darbaza.test/log", Size: 1}, ns)
	if err != nil {
		t.Fatal(err)
	}
	v, err := witness.NewLogVerifier(ns.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Errorf("a note signed in the HSM does not open: %v", err)
	}
}

func TestParseURIRefusesWhatItCannotUse(t *testing.T) {
	for _, ref := range []string{
		"/etc/darbaza/adapter.key",
		"pkcs11:object=k?module-path=/x.so",
		"pkcs11:token=t?module-path=/x.so",
		"pkcs11:token=t;object=k",
		"pkcs11:token=t;object=k;slot-id=3?module-path=/x.so",
		"pkcs11:token=t;object=k?module-path=/x.so&pin=1",
	} {
		if _, err := pkcs11.ParseURI(ref); !errors.Is(err, pkcs11.ErrURI) {
			t.Errorf("ParseURI(%q): %v, want ErrURI", ref, err)
		}
	}
	u, err := pkcs11.ParseURI("pkcs11:token=my%20token;object=adapter?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234")
	if err != nil || u.Token != "my token" || u.Object != "adapter" || u.PIN != "1234" || u.ModulePath != "/usr/lib/softhsm/libsofthsm2.so" {
		t.Errorf("ParseURI: %+v, %v", u, err)
	}
}
