package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// The register of issued documents: every result document Darbaza issued
// (an address certificate, for now), what it was, to whom, when, and the
// digest of exactly the bytes handed out, so that anyone holding a document
// or its number can have it checked (seed 002, the sample result document:
// "available for verification for 30 days"; seed 001 §36: a result with a
// QR code lets anyone check it).

// DocumentKind names what a document is.
type DocumentKind string

// Document kinds.
const (
	// DocumentAddressCertificate is the address certificate of seed 003,
	// annex 5 (the Kazakh model): the person's current residence (and stay).
	DocumentAddressCertificate DocumentKind = "address_certificate"
)

// DocumentValidity is how long an issued document can be verified: 30
// days from its issue (seed 002: "available for verification for 30
// days"); after that it is no longer available for verification, which is
// not the same as false.
const DocumentValidity = 30 * 24 * time.Hour

// DocumentNumberLength is the number of digits of a document number, as in
// the sample result document of seed 002 (24299971206).
const DocumentNumberLength = 11

// maxNumberDraws bounds the draws of [IssueDocument] for a free number.
// With 9·10^10 numbers, even a billion issued documents make a collision
// rare (p ≈ 0.011 per draw); eight in a row mean the source is broken.
const maxNumberDraws = 8

// Document is one issued document, keyed by Number.
type Document struct {
	Number string       `json:"number"` // DocumentNumberLength digits, see [NewDocumentNumber]
	Kind   DocumentKind `json:"kind"`
	PIN    string       `json:"pin"` // whom it is about (and issued to)
	Issued time.Time    `json:"issued"`
	// Expires is the end of verification: Issued + DocumentValidity.
	Expires time.Time `json:"expires"`
	// Content is the signed document exactly as it was handed out (for an
	// address certificate, its XML), and Digest the lower-case hex SHA-256
	// of Content: what a verifier who holds the document sends along.
	Content []byte `json:"content"`
	Digest  string `json:"digest"`
	// Record is the id of the access-log record of the request that issued
	// the document (the write contract: a change names its record).
	Record string `json:"record,omitempty"`
	// Revoked is when the document was withdrawn; zero while it stands.
	Revoked time.Time `json:"revoked,omitzero"`
}

// DigestOf returns the digest a [Document] stores for content: lower-case
// hex SHA-256.
func DigestOf(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// Validate checks d on its own: number, kind, PIN syntax, times, and that
// Digest is the digest of Content.
func (d Document) Validate() error {
	if err := ValidDocumentNumber(d.Number); err != nil {
		return fmt.Errorf("number: %w", err)
	}
	if d.Kind != DocumentAddressCertificate {
		return fmt.Errorf("kind %q: %w", d.Kind, ErrInvalidValue)
	}
	if err := checkPINSyntax(d.PIN); err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	if d.Issued.IsZero() || !d.Expires.After(d.Issued) {
		return fmt.Errorf("issued %v, expires %v: %w", d.Issued, d.Expires, ErrDateOrder)
	}
	if len(d.Content) == 0 {
		return fmt.Errorf("content: %w", ErrMissingField)
	}
	if d.Digest != DigestOf(d.Content) {
		return fmt.Errorf("digest is not the SHA-256 of the content: %w", ErrInvalidValue)
	}
	return nil
}

// DocumentTx is the storage contract of the register of issued documents.
//
// Document fails with an error wrapping [ErrNotFound] for a number that is
// not stored, and with [ErrCorrupt] for a stored value that cannot be read.
// PutDocument stores d under d.Number, replacing what was there, and
// reports whether it replaced something; it is visible to the same
// transaction at once. The store does not check the value: the rules do.
type DocumentTx interface {
	Document(number string) (Document, error)
	PutDocument(d Document) (replaced bool, err error)
}

// ValidDocumentNumber checks that s is DocumentNumberLength digits, the
// first not 0. It fails with an error wrapping [ErrInvalidID].
func ValidDocumentNumber(s string) error {
	if len(s) != DocumentNumberLength || s[0] == '0' {
		return fmt.Errorf("%w: a document number has %d digits, the first not 0", ErrInvalidID, DocumentNumberLength)
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: a document number has only digits", ErrInvalidID)
		}
	}
	return nil
}

// NewDocumentNumber draws a document number uniformly from the 9·10^10
// numbers of DocumentNumberLength digits (10000000000 to 99999999999)
// using r, which must be a cryptographic source (crypto/rand.Reader): a
// number says nothing about any other, so numbers cannot be guessed from
// one another, and guessing one at random hits an issued document with
// probability (documents issued) / 9·10^10.
func NewDocumentNumber(r io.Reader) (string, error) {
	lo := big.NewInt(10_000_000_000)
	n, err := rand.Int(r, new(big.Int).Mul(lo, big.NewInt(9)))
	if err != nil {
		return "", fmt.Errorf("registry: document number: %w", err)
	}
	return n.Add(n, lo).String(), nil
}

// ErrNumbersExhausted means [IssueDocument] drew only numbers already
// taken: the number source is broken (or the register is absurdly full).
var ErrNumbersExhausted = errors.New("registry: no free document number drawn")

// IssueDocument is the one write path of the register: it draws numbers
// with draw until one is not stored (at most a few times, else
// [ErrNumbersExhausted]), lets build make the document under that number,
// checks it ([Document.Validate]) and stores it. Run it inside
// [Store.Update], so that the check for a free number and the put are one
// serializable step.
func IssueDocument(tx DocumentTx, draw func() (string, error), build func(number string) (Document, error)) (Document, error) {
	var number string
	for i := 0; ; i++ {
		if i == maxNumberDraws {
			return Document{}, ErrNumbersExhausted
		}
		n, err := draw()
		if err != nil {
			return Document{}, err
		}
		_, err = tx.Document(n)
		if errors.Is(err, ErrNotFound) {
			number = n
			break
		}
		if err != nil {
			return Document{}, err
		}
	}
	d, err := build(number)
	if err != nil {
		return Document{}, err
	}
	if d.Number != number {
		return Document{}, fmt.Errorf("registry: the document was built under %q, drawn %q: %w", d.Number, number, ErrInvalidValue)
	}
	if err := d.Validate(); err != nil {
		return Document{}, err
	}
	if _, err := tx.PutDocument(d); err != nil {
		return Document{}, err
	}
	return d, nil
}

// DocumentStatus is what a check of a document by number finds.
type DocumentStatus string

// Document statuses.
const (
	DocumentValid   DocumentStatus = "valid"
	DocumentExpired DocumentStatus = "expired" // past Expires: no longer available for verification
	DocumentRevoked DocumentStatus = "revoked"
	// DocumentUnknown: no document has the number, or the digest given does
	// not match the one that has: the two are one answer, so that a
	// verifier learns nothing about numbers from a wrong digest.
	DocumentUnknown DocumentStatus = "unknown"
)

// CheckDocument finds the document number and says whether it stands at
// now. digest, when not empty, must equal the document's Digest (compared
// without case), else the document is unknown. Only a valid document is
// returned; the others come back as the zero Document, so an expired or
// revoked document's content is not handed out again. A malformed number
// is unknown too.
func CheckDocument(tx DocumentTx, number, digest string, now time.Time) (DocumentStatus, Document, error) {
	if ValidDocumentNumber(number) != nil {
		return DocumentUnknown, Document{}, nil
	}
	d, err := tx.Document(number)
	if errors.Is(err, ErrNotFound) {
		return DocumentUnknown, Document{}, nil
	}
	if err != nil {
		return "", Document{}, err
	}
	if digest != "" && !equalFoldHex(digest, d.Digest) {
		return DocumentUnknown, Document{}, nil
	}
	switch {
	case !d.Revoked.IsZero() && !now.Before(d.Revoked):
		return DocumentRevoked, Document{}, nil
	case !now.Before(d.Expires):
		return DocumentExpired, Document{}, nil
	}
	return DocumentValid, d, nil
}

func equalFoldHex(a, b string) bool {
	x, errA := hex.DecodeString(a)
	y, errB := hex.DecodeString(b)
	return errA == nil && errB == nil && len(x) == len(y) && string(x) == string(y)
}

// ErrNoResidence means the person has no current residence registration,
// so there is nothing an address certificate could certify.
var ErrNoResidence = errors.New("registry: no current residence registration")

// AddressFacts are what an address certificate certifies, read in the
// transaction that issues it.
type AddressFacts struct {
	Number    string    // the document's number, drawn for it
	Issued    time.Time // the registry's now
	Expires   time.Time // Issued + DocumentValidity
	Person    Person
	Residence RegistrationEntry  // the current residence
	Stay      *RegistrationEntry // the current stay, if any
}

// IssueAddressCertificate issues an address certificate for pin in one
// transaction: it reads the person and their current registrations
// ([ReadRegistrations]), draws a free number, has build make the signed
// document from the facts, stores it ([IssueDocument]), and then calls seal
// with the transaction and the document before the transaction commits (the write contract of the
// adapter, docs/protocol.md "Writes"): a seal that fails leaves nothing
// stored. build and seal may run more than once if the store runs the
// transaction again; only the run that commits counts.
//
// It fails with [ErrInvalidPIN] for a malformed PIN, [ErrNotFound] for an
// unknown person and [ErrNoResidence] for a person with no current
// residence registration.
func (g *Registry) IssueAddressCertificate(ctx context.Context, pin string, build func(AddressFacts) (Document, error), seal func(Tx, Document) error) (Document, error) {
	now := g.now()
	if _, err := ParsePIN(pin, now); err != nil {
		return Document{}, err
	}
	var out Document
	err := g.store.Update(ctx, func(tx Tx) error {
		view, err := ReadRegistrations(tx, pin, DateOf(now))
		if err != nil {
			return err
		}
		if view.Residence == nil {
			return ErrNoResidence
		}
		person, err := tx.Person(pin)
		if err != nil {
			return err
		}
		d, err := IssueDocument(tx, func() (string, error) { return NewDocumentNumber(g.rand) },
			func(number string) (Document, error) {
				return build(AddressFacts{Number: number, Issued: now, Expires: now.Add(DocumentValidity),
					Person: person, Residence: *view.Residence, Stay: view.Stay})
			})
		if err != nil {
			return err
		}
		if err := seal(tx, d); err != nil {
			return err
		}
		out = d
		return nil
	})
	if err != nil {
		return Document{}, err
	}
	return out, nil
}

// CheckDocument checks document number (and digest, if not empty) at the
// registry's now; see [CheckDocument].
func (g *Registry) CheckDocument(ctx context.Context, number, digest string) (DocumentStatus, Document, error) {
	now := g.now()
	var (
		status DocumentStatus
		d      Document
	)
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		status, d, err = CheckDocument(tx, number, digest, now)
		return err
	})
	return status, d, err
}

// Document returns the issued document number, whatever its status, or an
// error wrapping [ErrNotFound] (for operators: `darbaza certificate`).
func (g *Registry) Document(ctx context.Context, number string) (Document, error) {
	if err := ValidDocumentNumber(number); err != nil {
		return Document{}, err
	}
	var d Document
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		d, err = tx.Document(number)
		return err
	})
	return d, err
}

// RevokeDocument withdraws document number from at on: a check at or
// after at answers [DocumentRevoked]. Revoking a revoked document keeps
// the first time. Inside the transaction, once the document is revoked
// (now or before), seal is called with the transaction and the document,
// for the caller to record the act before it commits (nil: not called);
// an error from it commits nothing and is returned. It fails with
// [ErrInvalidID] for a malformed number and [ErrNotFound] for one never
// issued.
func (g *Registry) RevokeDocument(ctx context.Context, number string, at time.Time, seal func(Tx, Document) error) (Document, error) {
	if err := ValidDocumentNumber(number); err != nil {
		return Document{}, err
	}
	var d Document
	err := g.store.Update(ctx, func(tx Tx) error {
		var err error
		if d, err = tx.Document(number); err != nil {
			return err
		}
		if d.Revoked.IsZero() {
			d.Revoked = at
			if _, err := tx.PutDocument(d); err != nil {
				return err
			}
		}
		if seal != nil {
			return seal(tx, d)
		}
		return nil
	})
	return d, err
}
