package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/darbaza/darbaza/internal/testkeys"
)

// writeFile writes b to a new file name in dir and returns its path.
func writeFile(tb testing.TB, dir, name string, b []byte) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestLoadKeyPairReadsEveryUnencryptedPEMForm(t *testing.T) {
	ec, rsaPair := testkeys.EC(t, "ec"), testkeys.RSA(t, 2048, "rsa")
	sec1, err := x509.MarshalECPrivateKey(ec.Key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	// openssl ecparam -genkey writes the curve's parameters before the key.
	params := pemBlock("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07})
	for _, tt := range []struct {
		name string
		pair testkeys.Pair
		key  []byte
	}{
		{"ECDSA P-256 as PKCS #8", ec, ec.KeyPEM(t)},
		{"ECDSA P-256 as SEC 1 after EC PARAMETERS", ec, append(params, pemBlock("EC PRIVATE KEY", sec1)...)},
		{"RSA 2048 as PKCS #8", rsaPair, rsaPair.KeyPEM(t)},
		{"RSA 2048 as PKCS #1", rsaPair, pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaPair.Key.(*rsa.PrivateKey)))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			key, cert, err := LoadKeyPair(writeFile(t, dir, "k.pem", tt.key), writeFile(t, dir, "c.pem", tt.pair.CertPEM()))
			if err != nil {
				t.Fatal(err)
			}
			if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.pair.Cert.PublicKey) || !cert.Equal(tt.pair.Cert) {
				t.Fatal("loaded another key or certificate than was written")
			}
		})
	}
}

func TestLoadKeyPairRefusesUnusableFiles(t *testing.T) {
	ec := testkeys.EC(t, "ec")
	weak := testkeys.RSA(t, 1024, "weak")
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	onP384 := testkeys.SelfSigned(t, p384, "p384", testkeys.NotBefore, testkeys.NotAfter)
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}})
	for _, tt := range []struct {
		name      string
		key, cert []byte
		want      error
	}{
		{"a key whose certificate is another key's", ec.KeyPEM(t), testkeys.EC(t, "other").CertPEM(), ErrKeyMismatch},
		{"an RSA key under 2048 bits", weak.KeyPEM(t), weak.CertPEM(), ErrUnsupportedKey},
		{"an ECDSA key on P-384", onP384.KeyPEM(t), onP384.CertPEM(), ErrUnsupportedKey},
		{"an encrypted key", encrypted, ec.CertPEM(), ErrKeyFile},
		{"an encrypted PKCS #8 key", pemBlock("ENCRYPTED PRIVATE KEY", []byte{1}), ec.CertPEM(), ErrKeyFile},
		{"a key file without a PEM key", ec.CertPEM(), ec.CertPEM(), ErrKeyFile},
		{"a certificate file without a certificate", ec.KeyPEM(t), ec.KeyPEM(t), ErrKeyFile},
		{"a certificate that does not parse", ec.KeyPEM(t), pemBlock("CERTIFICATE", []byte{0x30, 0x00}), ErrKeyFile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, _, err := LoadKeyPair(writeFile(t, dir, "k.pem", tt.key), writeFile(t, dir, "c.pem", tt.cert))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, _, err := LoadKeyPair(filepath.Join(t.TempDir(), "missing.key"), "missing.crt"); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("a missing file: got %v, want ErrKeyFile", err)
	}
}

func TestLoadCertificatesReadsEveryCertificateInOrder(t *testing.T) {
	a, b := testkeys.EC(t, "a"), testkeys.EC(t, "b")
	path := writeFile(t, t.TempDir(), "chain.pem", bytes.Join([][]byte{a.KeyPEM(t), a.CertPEM(), b.CertPEM()}, nil))
	certs, err := LoadCertificates(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 || !certs[0].Equal(a.Cert) || !certs[1].Equal(b.Cert) {
		t.Fatalf("got %d certificates, want a then b", len(certs))
	}
}

func TestGeneratedPairsWriteAndLoadBackAndAreNeverOverwritten(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, kind := range []string{KeyECDSAP256, KeyRSA2048} {
		t.Run(kind, func(t *testing.T) {
			key, err := GenerateKey(kind)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := SelfSignedCertificate(key, "adapter", 24*time.Hour, now)
			if err != nil {
				t.Fatal(err)
			}
			if !cert.NotBefore.Equal(now.Add(-5*time.Minute)) || !cert.NotAfter.Equal(now.Add(24*time.Hour)) || cert.Subject.CommonName != "adapter" {
				t.Errorf("certificate %q valid %s..%s", cert.Subject.CommonName, cert.NotBefore, cert.NotAfter)
			}
			dir := t.TempDir()
			keyPath, certPath := filepath.Join(dir, "adapter.key"), filepath.Join(dir, "adapter.crt")
			if err := WriteKeyPEM(keyPath, key); err != nil {
				t.Fatal(err)
			}
			if err := WriteCertPEM(certPath, cert); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v, mode %v", err, fi.Mode())
			}
			if _, got, err := LoadKeyPair(keyPath, certPath); err != nil || !got.Equal(cert) {
				t.Fatalf("LoadKeyPair: %v", err)
			}
			before, _ := os.ReadFile(keyPath)
			other, _ := GenerateKey(kind)
			if err := WriteKeyPEM(keyPath, other); !errors.Is(err, ErrExists) {
				t.Fatalf("WriteKeyPEM over a key: got %v, want ErrExists", err)
			}
			if err := WriteCertPEM(certPath, cert); !errors.Is(err, ErrExists) {
				t.Fatalf("WriteCertPEM over a certificate: got %v, want ErrExists", err)
			}
			if after, _ := os.ReadFile(keyPath); !bytes.Equal(before, after) {
				t.Fatal("the existing key file changed")
			}
		})
	}
	if _, err := GenerateKey("dsa-1024"); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("GenerateKey(dsa-1024): got %v, want ErrUnsupportedKey", err)
	}
}
