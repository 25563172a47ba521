package adapter

import (
	"errors"
	"fmt"

	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// Fault codes of the signature profile (design.md §3). The codes of SOAP
// and X-Road header problems are in package soap; both sets are wire
// contract.
const (
	CodeMissingSignature     = "Client.MissingSignature"
	CodeMalformedSignature   = "Client.MalformedSignature"
	CodeUnsupportedAlgorithm = "Client.UnsupportedAlgorithm"
	CodeDuplicateID          = "Client.DuplicateId"
	CodeInvalidSignature     = "Client.InvalidSignatureValue"
	CodeUnsignedElement      = "Client.UnsignedElement"
	CodeInvalidTimestamp     = "Client.InvalidTimestamp"
	CodeInvalidCertificate   = "Client.InvalidCertificate"
	CodeUntrustedCertificate = "Client.UntrustedCertificate"
	CodeCertificateMismatch  = "Client.CertificateMismatch"
	CodeReplay               = "Client.ReplayedMessage"
)

// Refusals of the pipeline itself.
var (
	ErrUnsigned       = errors.New("request is not signed and did not come from a trusted proxy")
	ErrReplay         = errors.New("message id already used by this client within the replay window")
	ErrAccessDenied   = errors.New("access denied")
	ErrUnknownService = errors.New("unknown service")
	ErrBadRequest     = errors.New("request does not match the service's schema")
)

var (
	errUnsigned = &soap.Error{Code: CodeMissingSignature, Err: ErrUnsigned}
)

func errMethod(m string) error { return fmt.Errorf("method %s: only POST is served at /", m) }
func errTooLarge(n int64) error {
	return fmt.Errorf("%w: the limit is %d bytes", soap.ErrTooLarge, n)
}
func errContentType(v string) error {
	return fmt.Errorf("content type %q: want text/xml; charset=utf-8", v)
}
func errNamespace(got, want string) error {
	return fmt.Errorf("%w: body element in namespace %q, want %q", ErrBadRequest, got, want)
}
func errAccessDenied(client, service string) error {
	return &soap.Error{Code: soap.CodeAccessDenied, Err: fmt.Errorf("%w: %s may not call %s", ErrAccessDenied, client, service)}
}
func errUnknownService(s string) error {
	return &soap.Error{Code: soap.CodeUnknownService, Err: fmt.Errorf("%w: %s", ErrUnknownService, s)}
}
func errOtherProvider(p string) error {
	return &soap.Error{Code: soap.CodeUnknownService, Err: fmt.Errorf("%w: this adapter does not provide services of %s", ErrUnknownService, p)}
}

// BadRequest reports a body that does not fit its service, e.g. a missing
// element. (Business refusals are not errors: they are answers.)
func BadRequest(format string, args ...any) error {
	return &soap.Error{Code: soap.CodeInvalidRequest, Err: fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))}
}

// signingCodes maps signature-policy refusals to fault codes, first match wins.
var signingCodes = []struct {
	err  error
	code string
}{
	{signing.ErrMissingSecurity, CodeMissingSignature},
	{signing.ErrMissingSignature, CodeMissingSignature},
	{signing.ErrDuplicateID, CodeDuplicateID},
	{signing.ErrUnsupportedAlgorithm, CodeUnsupportedAlgorithm},
	{signing.ErrUnsupportedTransform, CodeUnsupportedAlgorithm},
	{signing.ErrUnsupportedKey, CodeUnsupportedAlgorithm},
	{signing.ErrSHA1NotAllowed, CodeUnsupportedAlgorithm},
	{signing.ErrDigestMismatch, CodeInvalidSignature},
	{signing.ErrBadSignature, CodeInvalidSignature},
	{signing.ErrNotCovered, CodeUnsignedElement},
	{signing.ErrTimestampInvalid, CodeInvalidTimestamp},
	{signing.ErrTimestampExpired, CodeInvalidTimestamp},
	{signing.ErrTimestampFuture, CodeInvalidTimestamp},
	{signing.ErrTimestampTooOld, CodeInvalidTimestamp},
	{signing.ErrCertificateUnparsable, CodeInvalidCertificate},
	{signing.ErrCertificateNotValidNow, CodeInvalidCertificate},
	{signing.ErrUntrustedCertificate, CodeUntrustedCertificate},
	{signing.ErrCertificateWrongMember, CodeCertificateMismatch},
	{ErrReplay, CodeReplay},
	// Everything else structural: extra or missing parts, unknown ids, too
	// many references, a malformed Security header.
	{signing.ErrMalformed, CodeMalformedSignature},
	{signing.ErrExtraSecurity, CodeMalformedSignature},
	{signing.ErrExtraSignature, CodeMalformedSignature},
	{signing.ErrMissingToken, CodeMalformedSignature},
	{signing.ErrExtraToken, CodeMalformedSignature},
	{signing.ErrMissingTimestamp, CodeMalformedSignature},
	{signing.ErrExtraTimestamp, CodeMalformedSignature},
	{signing.ErrUnknownID, CodeMalformedSignature},
	{signing.ErrTooManyReferences, CodeMalformedSignature},
}

// refusal is what a caller is told about an error.
type refusal struct {
	code     string
	reason   string // faultstring: safe for the caller, never internal detail
	internal bool   // our fault, not the caller's: logged at error level
}

// classify is the one place errors become fault codes.
func classify(err error) refusal {
	var se *soap.Error
	if errors.As(err, &se) {
		return refusal{code: se.Code, reason: se.Err.Error()}
	}
	for _, m := range signingCodes {
		if errors.Is(err, m.err) {
			return refusal{code: m.code, reason: err.Error()}
		}
	}
	return refusal{code: soap.CodeInternalError, reason: "internal error; quote the faultDetail to the operator", internal: true}
}
