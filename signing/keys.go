package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"time"
)

// Key types GenerateKey accepts.
const (
	KeyECDSAP256 = "ecdsa-p256"
	KeyRSA2048   = "rsa-2048"
)

// GenerateKey returns a new private key of kind KeyECDSAP256 (the default
// for Darbaza's own key) or KeyRSA2048, from crypto/rand.
func GenerateKey(kind string) (crypto.Signer, error) {
	switch kind {
	case KeyECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyRSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("%w: key type %q (want %s or %s)", ErrUnsupportedKey, kind, KeyECDSAP256, KeyRSA2048)
}

// SelfSignedCertificate returns a self-signed X.509 v3 certificate for key
// with subject CN commonName, for digital signatures only. It is valid from
// five minutes before now (for callers whose clocks lag) until now+validFor.
func SelfSignedCertificate(key crypto.Signer, commonName string, validFor time.Duration, now time.Time) (*x509.Certificate, error) {
	if err := checkSigningKey(key.Public()); err != nil {
		return nil, err
	}
	if commonName == "" || validFor <= 0 {
		return nil, fmt.Errorf("%w: a certificate needs a common name and a positive validity", ErrKeyFile)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-5 * time.Minute).UTC(),
		NotAfter:              now.Add(validFor).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// checkSigningKey refuses public keys the profile does not allow.
func checkSigningKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return checkKey(k, signatureAlgorithms[algECDSASHA256])
	case *rsa.PublicKey:
		return checkKey(k, signatureAlgorithms[algRSASHA256])
	}
	return fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// LoadKeyPair reads a private key (PEM: PKCS#8 "PRIVATE KEY", SEC 1 "EC
// PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY"; not encrypted) and the first
// certificate of certPEMFile, and checks that they belong together and that
// the key is one the profile allows.
func LoadKeyPair(keyPEMFile, certPEMFile string) (crypto.Signer, *x509.Certificate, error) {
	raw, err := os.ReadFile(keyPEMFile)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	key, err := parsePrivateKey(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPEMFile, err)
	}
	certs, err := LoadCertificates(certPEMFile)
	if err != nil {
		return nil, nil, err
	}
	signer := &Signer{Key: key, Certificate: certs[0]}
	if _, _, err := signer.check(); err != nil {
		return nil, nil, fmt.Errorf("%s and %s: %w", keyPEMFile, certPEMFile, err)
	}
	return key, certs[0], nil
}

func parsePrivateKey(raw []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, raw = pem.Decode(raw)
		if block == nil {
			return nil, fmt.Errorf("%w: no PEM private key", ErrKeyFile)
		}
		if _, encrypted := block.Headers["Proc-Type"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, fmt.Errorf("%w: encrypted private keys are not supported", ErrKeyFile)
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			continue // e.g. "EC PARAMETERS" before the key
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
		}
		return signer, checkSigningKey(signer.Public())
	}
}

// LoadCertificates reads every CERTIFICATE block of a PEM file, in order; a
// file without one is ErrKeyFile.
func LoadCertificates(pemFile string) ([]*x509.Certificate, error) {
	raw, err := os.ReadFile(pemFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, raw = pem.Decode(raw)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrKeyFile, pemFile, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: %s has no PEM CERTIFICATE", ErrKeyFile, pemFile)
	}
	return certs, nil
}

// WriteKeyPEM writes key as PKCS#8 PEM to a new file at path with mode 0600.
// An existing file is never overwritten (ErrExists).
func WriteKeyPEM(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	return writeNew(path, 0o600, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// WriteCertPEM writes cert as PEM to a new file at path with mode 0644.
// An existing file is never overwritten (ErrExists).
func WriteCertPEM(path string, cert *x509.Certificate) error {
	return writeNew(path, 0o644, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

func writeNew(path string, mode os.FileMode, block *pem.Block) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrExists, path)
	}
	if err != nil {
		return err
	}
	if err := pem.Encode(f, block); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
