package main

import (
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/internal/softhsm"
	"github.com/darbaza/darbaza/internal/testkeys"
	"github.com/darbaza/darbaza/signing/pkcs11"
)

// TestServeSignsCheckpointsWithAKeyInAnHSM: the access log's checkpoint key
// lives in a SoftHSM2 token (PKCS #11), apart from the adapter key and
// outside the data folder; the log verifies with its certificate, and not
// with the adapter's.
func TestServeSignsCheckpointsWithAKeyInAnHSM(t *testing.T) {
	tok := softhsm.New(t, "darbaza") // sets SOFTHSM2_CONF, which the server inherits
	tok.GenerateECDSA(t, "checkpoint")
	uri := tok.URI("checkpoint")
	key, err := pkcs11.Open(uri)
	if err != nil {
		t.Fatal(err)
	}
	cert := testkeys.SelfSigned(t, key, "darbaza checkpoint key", testkeys.NotBefore, time.Now().AddDate(1, 0, 0)).Cert
	key.Close()
	certPath := filepath.Join(t.TempDir(), "checkpoint.crt")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	if _, err := prepareDemo(dir, io.Discard); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "darbaza.yaml")
	conf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	conf = []byte(strings.Replace(string(conf), "checkpoint_interval: 1m ",
		fmt.Sprintf("checkpoint_key: %q\n  checkpoint_cert: %s\n  checkpoint_interval: 1m ", uri, certPath), 1))
	if err := os.WriteFile(path, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServerAt(t, dir)
	for range 2 {
		if code, out, errOut := s.send(t, "portal", filepath.Join("..", "..", "testdata", "requests", "getPerson-found.xml")); code != 0 {
			t.Fatalf("send: %d %s%s", code, out, errOut)
		}
	}
	s.stop(t)
	data := filepath.Join(dir, "data")
	code, out, errOut := darbaza(t, "audit", "verify", "--data", data, "--cert", certPath)
	if code != 0 || !strings.Contains(out, "checkpoints:  1 signatures verified") {
		t.Fatalf("audit verify with the HSM key's certificate: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := darbaza(t, "audit", "verify", "--data", data, "--cert", s.adapterCert()); code != 1 {
		t.Errorf("audit verify with the adapter's certificate: exit %d, want 1 (checkpoints are the HSM key's)\n%s%s", code, out, errOut)
	}
}
