package testkeys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
)

func TestPairsAreSelfSignedForTheirKey(t *testing.T) {
	for _, p := range []Pair{EC(t, "ec"), RSA(t, 2048, "rsa")} {
		if err := p.Cert.CheckSignature(p.Cert.SignatureAlgorithm, p.Cert.RawTBSCertificate, p.Cert.Signature); err != nil {
			t.Errorf("%s: not self-signed: %v", p.Cert.Subject.CommonName, err)
		}
		if !p.Cert.NotBefore.Equal(NotBefore) || !p.Cert.NotAfter.Equal(NotAfter) {
			t.Errorf("%s: valid %s..%s", p.Cert.Subject.CommonName, p.Cert.NotBefore, p.Cert.NotAfter)
		}
		type equaler interface{ Equal(crypto.PublicKey) bool }
		if !p.Key.Public().(equaler).Equal(p.Cert.PublicKey) {
			t.Errorf("%s: the certificate is for another key", p.Cert.Subject.CommonName)
		}
	}
	if _, ok := EC(t, "ec").Key.(*ecdsa.PrivateKey); !ok {
		t.Error("EC made no ECDSA key")
	}
	if k, ok := RSA(t, 2048, "rsa").Key.(*rsa.PrivateKey); !ok || k.N.BitLen() != 2048 {
		t.Error("RSA made no 2048-bit RSA key")
	}
}

func TestWritePEMWritesWhatParsesBack(t *testing.T) {
	p := EC(t, "adapter")
	keyPath, certPath := p.WritePEM(t, t.TempDir(), "adapter")
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, mode %v", err, fi.Mode())
	}
	raw, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil || !key.(*ecdsa.PrivateKey).Equal(p.Key) {
		t.Fatalf("key does not parse back: %v", err)
	}
	raw, err = os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode(raw); block == nil || !bytes.Equal(block.Bytes, p.Cert.Raw) {
		t.Fatal("certificate does not read back")
	}
}
