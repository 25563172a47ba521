package certificate

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"time"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/signing"
)

// Signer is the document-signing key and its certificate. The config names
// it (documents.key, documents.cert); by default it is the adapter's key.
type Signer struct {
	Key         crypto.Signer // RSA >= 2048 bits or ECDSA P-256
	Certificate *x509.Certificate
	Rand        io.Reader        // ECDSA randomness; nil means crypto/rand
	Now         func() time.Time // the PDF signature's time; nil means time.Now
}

// Forms are the three forms of one certificate.
type Forms struct {
	XML []byte // the signed XML certificate: the document the register keeps
	PDF []byte // the signed PDF rendering
	QR  []byte // the QR code as a PNG
}

// Make signs c as XML, renders it as a PDF with its QR code and signs the
// PDF, with s.
func (s Signer) Make(c Certificate) (Forms, error) {
	doc := build(c)
	if err := signXML(doc, s.Key, s.Certificate, s.Rand); err != nil {
		return Forms{}, err
	}
	xml, err := signing.Marshal(doc)
	if err != nil {
		return Forms{}, err
	}
	pdf, qr, err := s.Render(c)
	if err != nil {
		return Forms{}, err
	}
	return Forms{XML: xml, PDF: pdf, QR: qr}, nil
}

// Render makes the signed PDF and the QR code of c.
func (s Signer) Render(c Certificate) (pdf, qr []byte, err error) {
	qr, err = QR(c.VerifyLink())
	if err != nil {
		return nil, nil, err
	}
	doc, err := renderPDF(c, qr)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	pdf, err = signPDF(doc, c, s.Key, s.Certificate, now())
	if err != nil {
		return nil, nil, err
	}
	return pdf, qr, nil
}

// Issued is an issued certificate: the register's entry and the forms
// handed out.
type Issued struct {
	Document    registry.Document
	Certificate Certificate
	Forms
}

// Office issues address certificates from the registry and checks issued
// documents: the composition of the register's rules with the signer.
type Office struct {
	Registry *registry.Registry
	Signer   Signer
	Issuer   Issuer
}

// IssueAddressCertificate issues an address certificate for pin under the
// write contract (docs/protocol.md "Writes"): in one registry transaction
// it reads the facts, draws the number, makes the three forms, stores the
// document naming record() (the id of the access-log record that seal
// makes, read in each run of the transaction) and calls seal with the
// transaction and the result before the transaction commits. Errors are
// those of [registry.Registry.IssueAddressCertificate], or seal's.
func (o *Office) IssueAddressCertificate(ctx context.Context, pin string, record func() string, seal func(registry.Tx, Issued) error) (Issued, error) {
	var out Issued
	_, err := o.Registry.IssueAddressCertificate(ctx, pin,
		func(f registry.AddressFacts) (registry.Document, error) {
			c := FromFacts(f, o.Issuer)
			forms, err := o.Signer.Make(c)
			if err != nil {
				return registry.Document{}, fmt.Errorf("certificate %s: %w", f.Number, err)
			}
			out = Issued{Certificate: c, Forms: forms}
			return registry.Document{
				Number: f.Number, Kind: registry.DocumentAddressCertificate, PIN: f.Person.PIN,
				Issued: f.Issued, Expires: f.Expires, Content: forms.XML, Digest: registry.DigestOf(forms.XML),
				Record: record(),
			}, nil
		},
		func(tx registry.Tx, d registry.Document) error {
			out.Document = d
			return seal(tx, out)
		})
	if err != nil {
		return Issued{}, err
	}
	return out, nil
}

// CheckDocument checks an issued document by number and, if not empty,
// digest; see [registry.CheckDocument].
func (o *Office) CheckDocument(ctx context.Context, number, digest string) (registry.DocumentStatus, registry.Document, error) {
	return o.Registry.CheckDocument(ctx, number, digest)
}
