package registry

import "errors"

// Lookup outcomes. The adapter renders these as business answers, not faults.
var (
	// ErrNotFound means no record has the requested key.
	ErrNotFound = errors.New("registry: not found")
)

// PIN errors. Every error returned by [ParsePIN] wraps [ErrInvalidPIN] and
// exactly one of the more specific sentinels below, so callers can test for
// the class or for the cause.
var (
	ErrInvalidPIN     = errors.New("registry: invalid PIN")
	ErrPINLength      = errors.New("PIN must have 14 characters")
	ErrPINNotDigits   = errors.New("PIN must contain only the digits 0-9")
	ErrPINSexDigit    = errors.New("PIN must start with 1 (female) or 2 (male)")
	ErrPINBirthDate   = errors.New("PIN digits 2-9 must be a real date DDMMYYYY")
	ErrPINBirthFuture = errors.New("PIN birth date is in the future")
)

// Record validation errors, returned by the Validate methods and reported per
// line by [Registry.Import].
var (
	ErrMissingField    = errors.New("registry: missing field")
	ErrInvalidValue    = errors.New("registry: invalid value")
	ErrInvalidDate     = errors.New("registry: invalid date")
	ErrInvalidID       = errors.New("registry: invalid identifier")
	ErrPINMismatch     = errors.New("registry: field does not match the PIN")
	ErrDateOrder       = errors.New("registry: dates out of order")
	ErrFutureDate      = errors.New("registry: date is in the future")
	ErrStayTooLong     = errors.New("registry: stay registration longer than 1 year")
	ErrUnknownPerson   = errors.New("registry: person not in the batch or the store")
	ErrUnknownDwelling = errors.New("registry: dwelling not in the batch or the store")
	ErrDuplicateID     = errors.New("registry: identifier repeated in the batch")
	ErrConflict        = errors.New("registry: conflicts with another registration")
)

// Import errors that concern a line as text rather than a record.
var (
	ErrLineTooLong  = errors.New("registry: line too long")
	ErrMalformed    = errors.New("registry: malformed line")
	ErrUnknownKind  = errors.New("registry: unknown record kind")
	ErrInvalidBatch = errors.New("registry: batch rejected, nothing imported")
)

// Storage errors.
var (
	// ErrCorrupt means a stored value could not be decoded, or carries a
	// format version this build does not know.
	ErrCorrupt = errors.New("registry: corrupt or unknown stored value")
	// ErrReadOnly means a write was attempted on a store opened read-only.
	ErrReadOnly = errors.New("registry: store is read-only")
)
