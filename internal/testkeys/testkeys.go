// Package testkeys makes throwaway signing keys and self-signed
// certificates for tests, and writes them as the PEM files Darbaza reads.
// Keys come from crypto/rand and are never stored in the repository; tests
// that need stable bytes (golden files) keep committed keys in testdata.
//
// It depends on the standard library only, so the tests of every package,
// signing's included, can use it.
package testkeys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The validity of the certificates EC and RSA make: wide enough for any
// fixed test clock from 2020 to 2039.
var (
	NotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	NotAfter  = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Pair is a private key and a certificate for its public key.
type Pair struct {
	Key  crypto.Signer
	Cert *x509.Certificate
}

// EC returns a new ECDSA P-256 key with a self-signed certificate for
// common name cn, valid from NotBefore to NotAfter.
func EC(tb testing.TB, cn string) Pair {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return SelfSigned(tb, k, cn, NotBefore, NotAfter)
}

// RSA returns a new RSA key of bits bits with a self-signed certificate for
// common name cn, valid from NotBefore to NotAfter.
func RSA(tb testing.TB, bits int, cn string) Pair {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		tb.Fatal(err)
	}
	return SelfSigned(tb, k, cn, NotBefore, NotAfter)
}

// SelfSigned certifies key's public key with key itself, for common name cn
// and digital signatures, valid from notBefore to notAfter.
func SelfSigned(tb testing.TB, key crypto.Signer, cn string, notBefore, notAfter time.Time) Pair {
	tb.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return Pair{Key: key, Cert: cert}
}

// KeyPEM is the private key as an unencrypted PKCS #8 "PRIVATE KEY" block.
func (p Pair) KeyPEM(tb testing.TB) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(p.Key)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// CertPEM is the certificate as a "CERTIFICATE" block.
func (p Pair) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Cert.Raw})
}

// WritePEM writes the key to dir/name.key (mode 0600) and the certificate
// to dir/name.crt, the names 'darbaza keygen' uses, and returns both paths.
func (p Pair) WritePEM(tb testing.TB, dir, name string) (keyPath, certPath string) {
	tb.Helper()
	keyPath, certPath = filepath.Join(dir, name+".key"), filepath.Join(dir, name+".crt")
	if err := os.WriteFile(keyPath, p.KeyPEM(tb), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(certPath, p.CertPEM(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return keyPath, certPath
}
