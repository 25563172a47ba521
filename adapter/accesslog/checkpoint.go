package accesslog

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// Checkpoint is a signed statement by the adapter: "the chain had Seq
// records and its head was Head at Time". A verifier that trusts the
// adapter certificate can then detect any change to records 1..Seq and the
// loss of any of them, including a truncated tail.
type Checkpoint struct {
	Seq             uint64    // sequence number of the last record covered
	Head            [32]byte  // Hash of record Seq (the anchor hash if Seq is the anchor)
	Time            time.Time // UTC, when the checkpoint was signed
	CertFingerprint string    // lower-case hex SHA-256 of the signing certificate's DER
	Signature       []byte    // over SHA-256(signedBytes); ECDSA ASN.1 or RSA PKCS #1 v1.5
}

// checkpointTag starts the signed encoding of a checkpoint.
const checkpointTag = "darbaza/accesslog/checkpoint\x00"

// signedBytes returns the canonical bytes a checkpoint signature covers.
//
// THIS ENCODING IS PART OF THE LOG FORMAT (see appendBody): never change it
// without bumping FormatVersion.
//
//	checkpointTag
//	uint8   version
//	uint64  seq
//	[32]    head
//	int64   time, Unix seconds
//	uint32  time, nanoseconds
//	str     certificate fingerprint
func (c *Checkpoint) signedBytes() []byte {
	b := append([]byte(checkpointTag), FormatVersion)
	b = binary.BigEndian.AppendUint64(b, c.Seq)
	b = append(b, c.Head[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Time.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Time.Nanosecond()))
	return appendString(b, c.CertFingerprint)
}

// CertFingerprint returns the lower-case hex SHA-256 of cert's DER, the
// form checkpoints and Entry.SignerCert use. It is the value of
// signing.Fingerprint, defined here too because it is part of this log's
// stored format, which must not change with another package.
func CertFingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// signCheckpoint fills in CertFingerprint and Signature.
func signCheckpoint(c *Checkpoint, signer crypto.Signer, cert *x509.Certificate, rnd io.Reader) error {
	c.CertFingerprint = CertFingerprint(cert)
	digest := sha256.Sum256(c.signedBytes())
	sig, err := signer.Sign(rnd, digest[:], crypto.SHA256)
	if err != nil {
		return fmt.Errorf("accesslog: sign checkpoint %d: %w", c.Seq, err)
	}
	c.Signature = sig
	return nil
}

var (
	errBadSignature    = errors.New("signature does not verify")
	errUnsupportedKey  = errors.New("certificate key is neither ECDSA nor RSA")
	errUnknownSignerFP = errors.New("signed by a certificate that was not given to the verifier")
)

// verifyCheckpoint checks c.Signature against the certificate among certs
// whose fingerprint c names.
func verifyCheckpoint(c *Checkpoint, certs map[string]*x509.Certificate) error {
	cert, ok := certs[c.CertFingerprint]
	if !ok {
		return fmt.Errorf("%w (fingerprint %s)", errUnknownSignerFP, c.CertFingerprint)
	}
	digest := sha256.Sum256(c.signedBytes())
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest[:], c.Signature) {
			return errBadSignature
		}
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], c.Signature); err != nil {
			return errBadSignature
		}
	default:
		return errUnsupportedKey
	}
	return nil
}

// certSet indexes certificates by fingerprint.
func certSet(certs []*x509.Certificate) map[string]*x509.Certificate {
	m := make(map[string]*x509.Certificate, len(certs))
	for _, c := range certs {
		if c != nil {
			m[CertFingerprint(c)] = c
		}
	}
	return m
}

// encodeCheckpoint is the stored form: the signed bytes, then uint32
// signature length and the signature.
func encodeCheckpoint(c *Checkpoint) []byte {
	b := c.signedBytes()
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.Signature)))
	return append(b, c.Signature...)
}

func decodeCheckpoint(b []byte) (Checkpoint, error) {
	d := decoder{b: b}
	if string(d.bytes(len(checkpointTag))) != checkpointTag {
		return Checkpoint{}, errors.New("checkpoint: bad tag")
	}
	if v := d.u8(); d.err == nil && v != FormatVersion {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint version %d", ErrUnsupportedFormat, v)
	}
	var c Checkpoint
	c.Seq = d.u64()
	copy(c.Head[:], d.bytes(32))
	sec := int64(d.u64())
	nsec := d.u32()
	c.CertFingerprint = d.str()
	n := d.u32()
	if d.err == nil && uint64(n) > uint64(len(d.b)) {
		return Checkpoint{}, errShortBody
	}
	c.Signature = append([]byte(nil), d.bytes(int(n))...)
	if d.err != nil {
		return Checkpoint{}, d.err
	}
	if nsec >= 1e9 {
		return Checkpoint{}, errors.New("checkpoint: nanoseconds out of range")
	}
	if len(d.b) != 0 {
		return Checkpoint{}, errors.New("checkpoint: trailing bytes")
	}
	c.Time = time.Unix(sec, int64(nsec)).UTC()
	return c, nil
}

// publicKeysMatch reports whether signer and cert hold the same public key.
func publicKeysMatch(signer crypto.Signer, cert *x509.Certificate) bool {
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}
