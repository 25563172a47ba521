package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
)

// Algorithm identifiers of the profile's signatures (XML-DSig 1.1 §6;
// RFC 6931), for other XML signatures made with the same keys, such as the
// enveloped signature of an issued document.
const (
	AlgExcC14N     = algExcC14N
	AlgEnveloped   = algEnveloped
	AlgSHA256      = algSHA256
	AlgRSASHA256   = algRSASHA256
	AlgECDSASHA256 = algECDSASHA256
)

// SignatureMethod returns the profile's SignatureMethod for pub:
// rsa-sha256 for RSA of 2048 to 8192 bits, ecdsa-sha256 for ECDSA on P-256.
// Any other key fails with an error wrapping ErrUnsupportedKey.
func SignatureMethod(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("%w: ECDSA on %s, want P-256", ErrUnsupportedKey, k.Curve.Params().Name)
		}
		return algECDSASHA256, nil
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 8192 {
			return "", fmt.Errorf("%w: RSA key of %d bits", ErrUnsupportedKey, n)
		}
		return algRSASHA256, nil
	}
	return "", fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// SignatureValue signs the canonical SignedInfo bytes with key under its
// SignatureMethod (see SignatureMethod, which checks the key) and returns
// the SignatureValue's bytes: PKCS #1 v1.5 for RSA, the raw r||s of
// XML-DSig 1.1 §6.4.3 for ECDSA. rnd feeds ECDSA.
func SignatureValue(key crypto.Signer, rnd io.Reader, signedInfo []byte) ([]byte, error) {
	method, err := SignatureMethod(key.Public())
	if err != nil {
		return nil, err
	}
	return signDigest(key, rnd, method == algECDSASHA256, sha256.Sum256(signedInfo))
}

// signDigest signs the SHA-256 digest of a canonical SignedInfo and returns
// the SignatureValue's bytes (raw r||s for ECDSA P-256).
func signDigest(key crypto.Signer, rnd io.Reader, isECDSA bool, digest [sha256.Size]byte) ([]byte, error) {
	value, err := key.Sign(rnd, digest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if isECDSA {
		return rawECDSA(value, 32)
	}
	return value, nil
}

// VerifySignatureValue checks value over the canonical SignedInfo bytes
// with pub under method, which must be rsa-sha256 or ecdsa-sha256 and fit
// the key. A method outside those fails with ErrUnsupportedAlgorithm, a
// key the profile refuses with ErrUnsupportedKey, a wrong value with
// ErrBadSignature.
func VerifySignatureValue(pub crypto.PublicKey, method string, signedInfo, value []byte) error {
	alg, ok := signatureAlgorithms[method]
	if !ok || alg.hash != crypto.SHA256 {
		return fmt.Errorf("%w: SignatureMethod %s", ErrUnsupportedAlgorithm, method)
	}
	if err := checkKey(pub, alg); err != nil {
		return err
	}
	return verifySignatureValue(pub, alg, signedInfo, value)
}
