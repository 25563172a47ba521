package adapter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/darbaza/darbaza/adapter/certificate"
	"github.com/darbaza/darbaza/registry"
)

// Documents is what the document services need: issuing an address
// certificate under the write contract, and checking an issued document.
// IssueAddressCertificate fails with registry.ErrNotFound for an unknown
// person and registry.ErrNoResidence for one without a current residence;
// it calls record inside its transaction for the id the document stores,
// and seal before that transaction commits (Seal).
type Documents interface {
	IssueAddressCertificate(ctx context.Context, pin string, record func() string, seal func(registry.Tx, certificate.Issued) error) (certificate.Issued, error)
	CheckDocument(ctx context.Context, number, digest string) (registry.DocumentStatus, registry.Document, error)
}

// ErrTooManyFailedLookups is the refusal of a verifyDocument request from
// a client whose look-ups of unknown documents hit the limit: guessing
// numbers must not enumerate documents.
var ErrTooManyFailedLookups = errors.New("too many look-ups of unknown documents; try again later")

// LookupLimiter bounds, per client, the verifyDocument look-ups that find
// no document (an unknown number, a wrong digest, a malformed number):
// after Max of them within Window, the client's look-ups are refused with
// ErrTooManyFailedLookups until the oldest leaves the window. It lives in
// memory: a restart forgives, which costs a guesser a restart of the
// adapter per Max guesses. It is safe for concurrent use.
type LookupLimiter struct {
	max    int
	window time.Duration

	mu    sync.Mutex
	fails map[string][]time.Time // client -> times of failed look-ups within the window, oldest first
}

// NewLookupLimiter returns a limiter of max failed look-ups per client
// within window.
func NewLookupLimiter(max int, window time.Duration) *LookupLimiter {
	return &LookupLimiter{max: max, window: window, fails: map[string][]time.Time{}}
}

// recent drops client's failures older than the window and returns the rest.
func (l *LookupLimiter) recent(client string, now time.Time) []time.Time {
	ts := l.fails[client]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-l.window)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, client)
	} else {
		l.fails[client] = ts
	}
	return ts
}

// allow fails with ErrTooManyFailedLookups when client is at the limit.
func (l *LookupLimiter) allow(client string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recent(client, now)) >= l.max {
		return fmt.Errorf("%w (%d within %v)", ErrTooManyFailedLookups, l.max, l.window)
	}
	return nil
}

// fail counts a failed look-up of client at now.
func (l *LookupLimiter) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[client] = append(l.recent(client, now), now)
}

// DocumentServices returns issueAddressCertificate and verifyDocument over
// docs, with limit on failed look-ups. now is the clock PINs are checked
// against and the limiter counts on.
func DocumentServices(docs Documents, limit *LookupLimiter, now func() time.Time) []*Service {
	type issued = certificate.Issued
	type document = registry.Document
	return []*Service{
		serve(op[issued]{
			code: "issueAddressCertificate", version: "v1", namespace: Namespace,
			title: "Issue a signed address certificate (XML, PDF with QR code) for a person with a current residence registration",
			args:  []field{arg("pin")},
			reply: answerOf(
				text("number", func(i issued) string { return i.Document.Number }).Doc("11 digits, unpredictable"),
				dateTime("issued", func(i issued) time.Time { return i.Document.Issued }).Doc("GMT+6"),
				dateTime("validUntil", func(i issued) time.Time { return i.Document.Expires }).Doc("end of verification: issued + 30 days"),
				text("digest", func(i issued) string { return i.Document.Digest }).Doc("hex SHA-256 of the xml element's bytes"),
				text("verificationUrl", func(i issued) string { return i.Certificate.VerifyLink() }).Doc("the QR code's payload"),
				base64Binary("xml", func(i issued) []byte { return i.XML }).Doc("the certificate: XML with an enveloped XML-DSig signature"),
				base64Binary("pdf", func(i issued) []byte { return i.PDF }).Doc("the certificate as a signed PDF (PAdES)"),
				base64Binary("qr", func(i issued) []byte { return i.QR }).Doc("the QR code as PNG"),
			),
			handle: func(ctx context.Context, call *Call) (issued, error) {
				pin, err := call.PIN("pin", now())
				if err != nil {
					return issued{}, err
				}
				out, err := docs.IssueAddressCertificate(ctx, pin, call.RecordID,
					func(tx registry.Tx, i issued) error { return Seal(ctx, call, tx, i, nil) })
				switch {
				case errors.Is(err, registry.ErrNotFound):
					return issued{}, refuse(OutcomePersonNotFound)
				case errors.Is(err, registry.ErrNoResidence):
					return issued{}, refuse(OutcomeNoResidence)
				}
				return out, err
			},
		}),
		serve(op[document]{
			code: "verifyDocument", version: "v1", namespace: Namespace,
			title: "Check an issued document by its number (and digest): valid with its content, expired, revoked, or not found",
			args:  []field{arg("number"), optionalArg("digest", "xs:string", "hex SHA-256 of the document held; a wrong one answers as an unknown number")},
			reply: answerOf(
				text("number", func(d document) string { return d.Number }),
				text("kind", func(d document) string { return string(d.Kind) }).Doc("address_certificate"),
				dateTime("issued", func(d document) time.Time { return d.Issued }).Doc("GMT+6"),
				dateTime("validUntil", func(d document) time.Time { return d.Expires }),
				text("digest", func(d document) string { return d.Digest }),
				base64Binary("xml", func(d document) []byte { return d.Content }).Doc("the document exactly as issued"),
			),
			handle: func(ctx context.Context, call *Call) (document, error) {
				at := now()
				if err := limit.allow(call.Client, at); err != nil {
					return document{}, err
				}
				number, err := call.required("number")
				if err != nil {
					return document{}, err
				}
				digest, err := call.OptionalText("digest")
				if err != nil {
					return document{}, err
				}
				if registry.ValidDocumentNumber(number) != nil {
					limit.fail(call.Client, at)
					return document{}, refuse(OutcomeInvalidDocumentNumber)
				}
				status, d, err := docs.CheckDocument(ctx, number, digest)
				if err != nil {
					return document{}, err
				}
				switch status {
				case registry.DocumentValid:
					call.Subject(d.PIN)
					return d, nil
				case registry.DocumentExpired:
					return document{}, refuse(OutcomeDocumentExpired)
				case registry.DocumentRevoked:
					return document{}, refuse(OutcomeDocumentRevoked)
				}
				limit.fail(call.Client, at)
				return document{}, refuse(OutcomeDocumentNotFound)
			},
		}),
	}
}
