package signing

import "errors"

// Refusals of Policy.Check. Each is returned wrapped with detail (%w), so
// callers classify with errors.Is; the messages are fit for a SOAP faultstring.
var (
	// Structure.
	ErrMalformed        = errors.New("malformed WS-Security message")
	ErrMissingSecurity  = errors.New("no wsse:Security header")
	ErrExtraSecurity    = errors.New("more than one wsse:Security header")
	ErrMissingToken     = errors.New("no wsse:BinarySecurityToken in the Security header")
	ErrExtraToken       = errors.New("more than one wsse:BinarySecurityToken in the Security header")
	ErrMissingTimestamp = errors.New("no wsu:Timestamp in the Security header")
	ErrExtraTimestamp   = errors.New("more than one wsu:Timestamp in the Security header")
	ErrMissingSignature = errors.New("no ds:Signature in the Security header")
	ErrExtraSignature   = errors.New("more than one ds:Signature in the message")

	// Algorithms and references.
	ErrUnsupportedAlgorithm = errors.New("algorithm not allowed")
	ErrUnsupportedTransform = errors.New("transform not allowed")
	ErrUnsupportedKey       = errors.New("key type or size not allowed")
	ErrSHA1NotAllowed       = errors.New("SHA-1 not allowed for this member")
	ErrTooManyReferences    = errors.New("too many signature references")
	ErrUnknownID            = errors.New("reference to an id that does not exist")
	ErrDuplicateID          = errors.New("id used more than once in the message")

	// Cryptography and coverage.
	ErrDigestMismatch = errors.New("digest of a signed element does not match")
	ErrBadSignature   = errors.New("signature value does not verify")
	ErrNotCovered     = errors.New("element not covered by the signature")

	// Timestamp.
	ErrTimestampInvalid = errors.New("timestamp lacks a valid Created or Expires")
	ErrTimestampExpired = errors.New("timestamp expired")
	ErrTimestampFuture  = errors.New("timestamp not yet valid")
	ErrTimestampTooOld  = errors.New("timestamp created too long ago")

	// Certificate.
	ErrCertificateUnparsable  = errors.New("security token is not a parsable X.509 certificate")
	ErrCertificateNotValidNow = errors.New("certificate not valid at this time")
	ErrUntrustedCertificate   = errors.New("certificate not bound to any member")
	ErrCertificateWrongMember = errors.New("certificate bound to another member")
)

// Errors of Signer, key handling and the X-Road helpers.
var (
	ErrNotEnvelope    = errors.New("not a SOAP 1.1 envelope")
	ErrAlreadySigned  = errors.New("message already has a wsse:Security header")
	ErrKeyMismatch    = errors.New("private key does not match the certificate")
	ErrForeignElement = errors.New("element to sign is not part of the document")
	ErrKeyFile        = errors.New("unusable key or certificate file")
	ErrExists         = errors.New("file already exists")
	ErrNoXRoadHeader  = errors.New("X-Road header missing")
	ErrRequestHash    = errors.New("xrd:requestHash does not match the request sent")
)
