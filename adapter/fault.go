package adapter

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// Fault codes of the signature profile (WS-Security 1.1 X.509 token
// profile, XML-DSig, as this adapter applies them). The codes of SOAP and
// X-Road header problems are in package soap; both sets are wire contract,
// and the faults table below is where errors meet them.
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
	// CodeBusy refuses a request the adapter has no capacity for now,
	// before any work on it, with HTTP 503 and Retry-After (RFC 9110
	// §15.6.4, §10.2.3): the caller may send it again, with a new xrd:id
	// or the same one, since it was not served.
	CodeBusy = "Server.ServerProxy.Busy"
)

// retryAfter is the Retry-After of a Server.ServerProxy.Busy refusal, in seconds.
const retryAfter = "1"

// CodeTooManyFailedLookups is the fault of a verifyDocument request from a
// client over its limit of look-ups that found no document (document.go).
const CodeTooManyFailedLookups = "Client.TooManyFailedLookups"

// Refusals of the pipeline itself.
var (
	ErrMethod         = errors.New("only POST is served at /")
	ErrContentType    = errors.New("unsupported content type")
	ErrUnsigned       = errors.New("request is not signed and did not come from a trusted proxy")
	ErrReplay         = errors.New("message id already used by this client within the replay window")
	ErrAccessDenied   = errors.New("access denied")
	ErrUnknownService = errors.New("unknown service")
	ErrBadRequest     = errors.New("request does not match the service's schema")
	ErrWrongNamespace = errors.New("body element is not in the service's namespace")
	ErrLogUnavailable = errors.New("the access log cannot be written")
	ErrBusy           = errors.New("the adapter is at capacity; try again shortly")
)

// errNotCommitted wraps the error of a service that sealed its answer
// (Seal) and then could not commit its change: an internal error, answered
// under a record of its own.
var errNotCommitted = errors.New("the answer was sealed but the change was not committed")

// errNotSealed is Seal's error when the response could not be signed.
var errNotSealed = errors.New("the answer could not be sealed")

// A fault is one row of the fault table: the code a refusal is answered
// with, the HTTP status the fault is sent with, and whether it is the
// adapter's fault rather than the caller's. An internal fault is logged at
// error level and the caller reads the row's reason; any other fault's
// faultstring is the error's text, written for the caller.
type fault struct {
	code     string
	status   int
	internal bool
	reason   string // the faultstring of an internal fault
	// errs are the errors that get this fault, matched with errors.Is in
	// table order. A *soap.Error (soap.Decode's refusals) gets the row of
	// its Code instead: package soap names the header problem it found.
	errs []error
}

// http500 is the status of every SOAP fault (SOAP 1.1 §6.2) but
// Server.ServerProxy.Busy's, a 503 so that HTTP clients and proxies back off and retry
// (RFC 9110 §15.6.4) without reading the body.
const http500 = http.StatusInternalServerError

// faults is the one table of every fault the pipeline answers with. The
// order matters only where an error matches two rows (first wins).
var faults = []fault{
	// Transport and XML (soap.Decode names the XML and header codes).
	{soap.CodeInvalidHTTPMethod, http500, false, "", []error{ErrMethod}},
	{soap.CodeInvalidContentType, http500, false, "", []error{ErrContentType}},
	{soap.CodeMessageTooLarge, http500, false, "", []error{soap.ErrTooLarge}},
	{soap.CodeInvalidXML, http500, false, "", nil},
	{soap.CodeDoctype, http500, false, "", nil},
	{soap.CodeTooDeep, http500, false, "", nil},
	{soap.CodeTooManyElements, http500, false, "", nil},
	{soap.CodeInvalidSoap, http500, false, "", nil},
	{soap.CodeInvalidBody, http500, false, "", []error{ErrWrongNamespace}},
	{soap.CodeMissingHeaderField, http500, false, "", nil},
	{soap.CodeDuplicateHeaderField, http500, false, "", nil},
	{soap.CodeUnknownHeaderField, http500, false, "", nil},
	{soap.CodeInvalidClientID, http500, false, "", nil},
	{soap.CodeInvalidServiceID, http500, false, "", nil},
	{soap.CodeInvalidProtocolVersion, http500, false, "", nil},
	{soap.CodeInconsistentHeaders, http500, false, "", nil},
	{soap.CodeMustUnderstand, http500, false, "", nil},

	// The signature profile and replays.
	{CodeMissingSignature, http500, false, "", []error{ErrUnsigned, signing.ErrMissingSecurity, signing.ErrMissingSignature}},
	{CodeDuplicateID, http500, false, "", []error{signing.ErrDuplicateID}},
	{CodeUnsupportedAlgorithm, http500, false, "", []error{signing.ErrUnsupportedAlgorithm, signing.ErrUnsupportedTransform, signing.ErrUnsupportedKey, signing.ErrSHA1NotAllowed}},
	{CodeInvalidSignature, http500, false, "", []error{signing.ErrDigestMismatch, signing.ErrBadSignature}},
	{CodeUnsignedElement, http500, false, "", []error{signing.ErrNotCovered}},
	{CodeInvalidTimestamp, http500, false, "", []error{signing.ErrTimestampInvalid, signing.ErrTimestampExpired, signing.ErrTimestampFuture, signing.ErrTimestampTooOld}},
	{CodeInvalidCertificate, http500, false, "", []error{signing.ErrCertificateUnparsable, signing.ErrCertificateNotValidNow}},
	{CodeUntrustedCertificate, http500, false, "", []error{signing.ErrUntrustedCertificate}},
	{CodeCertificateMismatch, http500, false, "", []error{signing.ErrCertificateWrongMember}},
	{CodeReplay, http500, false, "", []error{ErrReplay}},
	// Everything else structural: extra or missing parts, unknown ids, too
	// many references, a malformed Security header.
	{CodeMalformedSignature, http500, false, "", []error{signing.ErrMalformed, signing.ErrExtraSecurity, signing.ErrExtraSignature,
		signing.ErrMissingToken, signing.ErrExtraToken, signing.ErrMissingTimestamp, signing.ErrExtraTimestamp, signing.ErrUnknownID, signing.ErrTooManyReferences}},

	// Routing, rights and the service's arguments.
	{soap.CodeUnknownService, http500, false, "", []error{ErrUnknownService}},
	{soap.CodeAccessDenied, http500, false, "", []error{ErrAccessDenied}},
	{soap.CodeInvalidRequest, http500, false, "", []error{ErrBadRequest}},
	{CodeTooManyFailedLookups, http500, false, "", []error{ErrTooManyFailedLookups}},

	// The adapter's own failures.
	{CodeBusy, http.StatusServiceUnavailable, false, "", []error{ErrBusy}},
	{soap.CodeLogUnavailable, http500, true, "the access log cannot be written; the request was not served", []error{ErrLogUnavailable}},
	{soap.CodeInternalError, http500, true, "internal error; quote the faultDetail to the operator", nil}, // every error no row names
}

// classify is the one place errors become faults: the row err gets, and
// the faultstring, safe for the caller (never internal detail).
func classify(err error) (f fault, reason string) {
	f = match(err)
	if f.internal {
		return f, f.reason
	}
	var se *soap.Error
	if errors.As(err, &se) {
		return f, se.Err.Error()
	}
	return f, err.Error()
}

// match finds err's row; an error no row names is an internal error.
func match(err error) fault {
	var se *soap.Error
	if errors.As(err, &se) {
		if f, ok := faultOf(se.Code); ok {
			return f
		}
	}
	for _, f := range faults {
		for _, e := range f.errs {
			if errors.Is(err, e) {
				return f
			}
		}
	}
	f, _ := faultOf(soap.CodeInternalError)
	return f
}

// faultOf returns the row of code.
func faultOf(code string) (fault, bool) {
	for _, f := range faults {
		if f.code == code {
			return f, true
		}
	}
	return fault{}, false
}

// kindError is an error whose text is msg and which is kind for
// errors.Is, so a faultstring can read naturally while the table matches
// the kind.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errMethod(m string) error { return fmt.Errorf("method %s: %w", m, ErrMethod) }
func errContentType(v string) error {
	return &kindError{ErrContentType, fmt.Sprintf("content type %q: want text/xml; charset=utf-8", v)}
}
func errTooLarge(n int64) error {
	return fmt.Errorf("%w: the limit is %d bytes", soap.ErrTooLarge, n)
}
func errReadBody(err error) error { return &kindError{ErrBadRequest, err.Error()} }
func errSlowBody(timeout time.Duration, rate int64) error {
	return &kindError{ErrBadRequest, fmt.Sprintf("%v: the body did not arrive in time (within %v, at %d bytes/s or more after its first second)", ErrBadRequest, timeout, rate)}
}
func errBusy(why string) error { return fmt.Errorf("%w (%s)", ErrBusy, why) }
func errNamespace(got, want string) error {
	return &kindError{ErrWrongNamespace, fmt.Sprintf("%v: body element in namespace %q, want %q", ErrBadRequest, got, want)}
}
func errAccessDenied(client, service string) error {
	return fmt.Errorf("%w: %s may not call %s", ErrAccessDenied, client, service)
}
func errUnknownService(s string) error { return fmt.Errorf("%w: %s", ErrUnknownService, s) }
func errOtherProvider(p string) error {
	return fmt.Errorf("%w: this adapter does not provide services of %s", ErrUnknownService, p)
}

// badRequest reports a body that does not fit its service's request
// schema, e.g. a missing element. (A business refusal is an answer, not a
// fault: see refuse.)
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}
