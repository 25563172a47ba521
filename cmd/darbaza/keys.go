package main

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/signing/pkcs11"
)

// loadKeyPair is signing.LoadKeyPair for a key that is either a PEM file or
// a key in an HSM named by a PKCS #11 URI (package pkcs11). An HSM key's
// session stays open for the life of the process.
func loadKeyPair(keyRef, certPath string) (crypto.Signer, *x509.Certificate, error) {
	if !pkcs11.IsURI(keyRef) {
		return signing.LoadKeyPair(keyRef, certPath)
	}
	certs, err := signing.LoadCertificates(certPath)
	if err != nil {
		return nil, nil, err
	}
	key, err := pkcs11.Open(keyRef)
	if err != nil {
		return nil, nil, err
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(certs[0].PublicKey) {
		return nil, nil, errors.Join(fmt.Errorf("the HSM key and %s do not belong together", certPath), key.Close())
	}
	return key, certs[0], nil
}
