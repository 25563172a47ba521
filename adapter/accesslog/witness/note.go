package witness

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	tlog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// algECDSAWithSHA256 is the signed-note signature type of an ECDSA
// signature over SHA-256 of the note text (ASN.1 DER), as
// github.com/transparency-dev/formats/note verifies it.
const algECDSAWithSHA256 = 0x02

// Checkpoint is the tlog-checkpoint a log signs: the log named Origin had
// Size records and record Size's chain hash was Root.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   [32]byte
}

// Text is the note text (C2SP tlog-checkpoint).
func (c Checkpoint) Text() string {
	return string(tlog.Checkpoint{Origin: c.Origin, Size: c.Size, Hash: c.Root[:]}.Marshal())
}

// parseCheckpoint reads a note text written by Text.
func parseCheckpoint(text string) (Checkpoint, error) {
	var tc tlog.Checkpoint
	rest, err := tc.Unmarshal([]byte(text))
	if err != nil {
		return Checkpoint{}, err
	}
	if len(rest) != 0 {
		return Checkpoint{}, errors.New("checkpoint has extension lines this log does not write")
	}
	if len(tc.Hash) != 32 {
		return Checkpoint{}, fmt.Errorf("checkpoint root of %d bytes, want 32", len(tc.Hash))
	}
	c := Checkpoint{Origin: tc.Origin, Size: tc.Size}
	copy(c.Root[:], tc.Hash)
	return c, nil
}

// ECDSASigner signs notes with an ECDSA P-256 crypto.Signer: a key in a
// file, or one in an HSM (PKCS #11), which never leaves it.
type ECDSASigner struct {
	name string
	hash uint32
	key  crypto.Signer
}

// NewECDSASigner returns a note signer named name (the log's origin) for
// key, whose public key must be ECDSA P-256.
func NewECDSASigner(name string, key crypto.Signer) (*ECDSASigner, error) {
	der, err := ecdsaDER(key.Public())
	if err != nil {
		return nil, err
	}
	if name == "" || strings.ContainsAny(name, " \t\n+") {
		return nil, fmt.Errorf("witness: note key name %q: want no spaces and no '+'", name)
	}
	return &ECDSASigner{name: name, hash: keyHashECDSA(der), key: key}, nil
}

func ecdsaDER(pub crypto.PublicKey) ([]byte, error) {
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("witness: the checkpoint key must be ECDSA P-256 (a signed note has no RSA signature type)")
	}
	return x509.MarshalPKIXPublicKey(ec)
}

// keyHashECDSA is the key hash of a type 0x02 key: the first four bytes
// of SHA-256 of its SubjectPublicKeyInfo DER.
func keyHashECDSA(der []byte) uint32 {
	h := sha256.Sum256(der)
	return binary.BigEndian.Uint32(h[:])
}

// Name is the key name, the log's origin.
func (s *ECDSASigner) Name() string { return s.name }

// KeyHash identifies the key in signature lines.
func (s *ECDSASigner) KeyHash() uint32 { return s.hash }

// Sign signs msg, the note text.
func (s *ECDSASigner) Sign(msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	return s.key.Sign(rand.Reader, d[:], crypto.SHA256)
}

// VerifierKey is the signed-note verifier key ("name+hash+base64") of the
// checkpoint key: what a witness and an auditor are given.
func (s *ECDSASigner) VerifierKey() string {
	vkey, _ := VerifierKeyFor(s.name, s.key.Public()) // checked by NewECDSASigner
	return vkey
}

// SignCheckpoint returns c as a signed note.
func SignCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: c.Text()}, s)
}

// NewLogVerifier returns the verifier of a log's checkpoint key from its
// verifier key (VerifierKey).
func NewLogVerifier(vkey string) (note.Verifier, error) {
	return fnote.NewECDSAVerifier(vkey)
}

// NewCosignatureVerifier returns the verifier of a witness's
// cosignatures from its verifier key.
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	return fnote.NewVerifierForCosignatureV1(vkey)
}

// GenerateWitnessKey makes a witness key named name: the signer key
// (secret, for the witness alone) and the verifier key (for auditors and
// the adapter's configuration).
func GenerateWitnessKey(name string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, name)
}

// OpenCosigned opens a checkpoint note signed by the log (logV) and
// cosigned by the witness (witnessV), and returns its checkpoint. Both
// signatures must verify.
func OpenCosigned(msg []byte, logV, witnessV note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(logV, witnessV))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("witness: checkpoint note: %w", err)
	}
	var byLog, byWitness bool
	for _, s := range n.Sigs {
		byLog = byLog || s.Name == logV.Name() && s.Hash == logV.KeyHash()
		byWitness = byWitness || s.Name == witnessV.Name() && s.Hash == witnessV.KeyHash()
	}
	switch {
	case !byLog:
		return Checkpoint{}, errors.New("witness: checkpoint note is not signed by the log's checkpoint key")
	case !byWitness:
		return Checkpoint{}, errors.New("witness: checkpoint note is not cosigned by the witness")
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("witness: %w", err)
	}
	if c.Origin != logV.Name() {
		return Checkpoint{}, fmt.Errorf("witness: checkpoint of %q signed by the key of %q", c.Origin, logV.Name())
	}
	return c, nil
}

func fnoteSigner(skey string) (note.Signer, error) { return fnote.NewSignerForCosignatureV1(skey) }

// VerifierKeyFor is the verifier key of a checkpoint key named name (the
// log's origin) with public key pub, as ECDSASigner.VerifierKey writes it:
// an auditor derives it from the checkpoint certificate.
func VerifierKeyFor(name string, pub crypto.PublicKey) (string, error) {
	der, err := ecdsaDER(pub)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s+%08x+%s", name, keyHashECDSA(der), base64.StdEncoding.EncodeToString(append([]byte{algECDSAWithSHA256}, der...))), nil
}

// VerifierKeyOfSigner returns the verifier key of a witness signer key
// (GenerateWitnessKey's skey), so that only the secret file need be kept.
func VerifierKeyOfSigner(skey string) (string, error) {
	// PRIVATE+KEY+name+hash+base64(0x01 || Ed25519 seed), see note.NewSigner.
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("witness: not a signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("witness: not an Ed25519 signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}
