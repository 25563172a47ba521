package accesslog

import (
	"errors"
	"fmt"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

// Sentinel errors. Callers test for them with errors.Is; every error this
// package returns that belongs to one of these classes wraps it.
var (
	// ErrInvalidOptions reports an Options value Open cannot work with.
	ErrInvalidOptions = errors.New("accesslog: invalid options")
	// ErrInvalidEntry reports an Entry that cannot become a record.
	ErrInvalidEntry = errors.New("accesslog: invalid entry")
	// ErrInvalidArgument reports a bad query argument (cursor, limit, filter).
	ErrInvalidArgument = errors.New("accesslog: invalid argument")
	// ErrUnavailable reports that a record could not be made durable. The
	// request that produced it must fail closed. Once a commit has failed
	// the log stays unavailable until it is reopened (see Log.Healthy).
	ErrUnavailable = errors.New("accesslog: log unavailable")
	// ErrClosed reports a call on a closed Log.
	ErrClosed = errors.New("accesslog: log closed")
	// ErrTampered reports that stored or exported log material does not
	// verify: a changed, missing, reordered or malformed record, or a
	// checkpoint whose signature or head does not match. The concrete error
	// is a *TamperError naming the first bad item.
	ErrTampered = errors.New("accesslog: log does not verify")
	// ErrUnsupportedFormat reports a file written in a format version this
	// build does not know.
	ErrUnsupportedFormat = errors.New("accesslog: unsupported format")
	// ErrLocked reports that the log file is held by another process (the
	// running server) and could not be opened within the timeout. It is
	// logstore.ErrLocked, which every backend returns.
	ErrLocked = logstore.ErrLocked
)

// TamperError names the first item that failed verification.
type TamperError struct {
	// Seq is the sequence number of the bad record or checkpoint; for an
	// item whose sequence number could not be read it is the last good
	// sequence number plus one.
	Seq uint64
	// What is "record", "checkpoint", "anchor" or "file".
	What string
	// ID is the record id when it is known, "" otherwise.
	ID string
	// Line is the 1-based line (JSONL) or row (CSV) of an export, 0 for a
	// stored log.
	Line int
	// Reason says what is wrong, for a human.
	Reason string
}

func (e *TamperError) Error() string {
	where := fmt.Sprintf("%s %d", e.What, e.Seq)
	if e.ID != "" {
		where += fmt.Sprintf(" (id %s)", e.ID)
	}
	if e.Line > 0 {
		where += fmt.Sprintf(" at line %d", e.Line)
	}
	return fmt.Sprintf("accesslog: tampered: %s: %s", where, e.Reason)
}

// Unwrap makes errors.Is(err, ErrTampered) true.
func (e *TamperError) Unwrap() error { return ErrTampered }
