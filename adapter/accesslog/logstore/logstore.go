// Package logstore is the storage contract of the access log (package
// accesslog, docs in its doc.go): what a backend stores, in what order,
// and what it promises about durability and concurrency.
//
// The log's format is not the backend's business. Package accesslog
// encodes records, checkpoints, the anchor and the format version; a
// backend keeps those values as opaque bytes under their sequence numbers
// and hands them back unchanged. So every backend stores the same bytes,
// the same verifier checks them, and tampering with the storage is found
// the same way whatever holds it.
//
// Each storage technology implements Backend in a package named after it
// (boltlog: the embedded bbolt file). Package logtest is the conformance
// suite every implementation passes.
package logstore

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Item is one stored record or checkpoint: its sequence number and its
// encoded value.
type Item struct {
	Seq   uint64
	Value []byte
}

// Record is a record to store: the item, and the subjects (32-byte
// keyed hashes of the persons it concerns) under which Lookup finds it.
type Record struct {
	Item
	Subjects [][32]byte
}

// SubjectRef is one entry of the subject index: record Seq concerns
// Subject.
type SubjectRef struct {
	Subject [32]byte
	Seq     uint64
}

// Head is the state a commit builds on, read in one consistent snapshot.
type Head struct {
	// Format is the value Init stored; nil if the store holds no log.
	Format []byte
	// Anchor is the value the last Trim stored; nil if none did.
	Anchor []byte
	// Record is the stored record with the largest sequence number, nil
	// if there is none.
	Record *Item
	// Checkpoint is the stored checkpoint with the largest sequence
	// number, nil if there is none.
	Checkpoint *Item
}

// Batch is what one commit stores.
type Batch struct {
	// Records in ascending sequence order, each above the head's record.
	Records []Record
	// Checkpoints in ascending sequence order, each above the head's
	// checkpoint. The log stores at most one per commit.
	Checkpoints []Item
}

// Empty reports whether b stores nothing.
func (b Batch) Empty() bool { return len(b.Records) == 0 && len(b.Checkpoints) == 0 }

// Continues checks the contract of Commit for b on h: its records and its
// checkpoints each ascending, above the head's, and within lo..hi (the
// sequence numbers the implementation can store). Its error wraps
// ErrConflict and names every problem.
func (b Batch) Continues(h Head, lo, hi uint64) error {
	above := func(what string, top *Item, seqs func(i int) uint64, n int) error {
		for i := range n {
			seq := seqs(i)
			switch {
			case seq < lo || seq > hi:
				return fmt.Errorf("%w: %s number %d out of range", ErrConflict, what, seq)
			case i > 0 && seq <= seqs(i-1):
				return fmt.Errorf("%w: %s %d follows %d", ErrConflict, what, seq, seqs(i-1))
			case top != nil && seq <= top.Seq:
				return fmt.Errorf("%w: %s %d is not above the stored %d", ErrConflict, what, seq, top.Seq)
			}
		}
		return nil
	}
	return errors.Join(
		above("record", h.Record, func(i int) uint64 { return b.Records[i].Seq }, len(b.Records)),
		above("checkpoint", h.Checkpoint, func(i int) uint64 { return b.Checkpoints[i].Seq }, len(b.Checkpoints)))
}

// Committer stores batches under the contract of Backend.Commit. A
// Backend is one, committing in transactions of its own; an implementation
// may also offer one that commits inside a transaction of another store in
// the same database (pglog.Store.In), whose batches become durable only
// when that transaction commits, and are gone if it rolls back.
type Committer interface {
	Commit(ctx context.Context, prepare func(Head) (Batch, error)) error
}

// Backend stores one access log. Its methods are safe for concurrent use,
// also from several processes (or nodes) when the implementation allows
// them to share one store. Values passed in are copied before a method
// returns; values handed out belong to the caller.
type Backend interface {
	// Init makes the store ready for commits: it creates what is missing
	// and, if the store holds no log yet, stores format as its format
	// value. It never changes the format of an existing log.
	Init(ctx context.Context, format []byte) error

	// Head returns the store's head as of one snapshot.
	Head(ctx context.Context) (Head, error)

	// Commit is the only way records and checkpoints are added. In one
	// write transaction, during which no other commit to the same store
	// runs (across processes and nodes too), it reads the head, calls
	// prepare with it, and stores the batch prepare returns. It returns
	// only once that transaction is durable (synced to stable storage):
	// a record is never acknowledged before it would survive a crash.
	//
	// If prepare returns an error, nothing is stored and Commit returns
	// that error. An empty batch stores nothing. A batch whose records or
	// checkpoints are not ascending and above the head's is refused with
	// an error wrapping ErrConflict, and nothing is stored. prepare may be
	// called more than once (an implementation may retry a transaction
	// that lost a race); only the batch of the last call is stored.
	Commit(ctx context.Context, prepare func(Head) (Batch, error)) error

	// Records returns at most limit records with sequence numbers >= from,
	// in ascending order, read in one snapshot. Fewer than limit means
	// there were no more at that moment. Each call is short, so that a
	// long scan made of many calls never stalls commits.
	Records(ctx context.Context, from uint64, limit int) ([]Item, error)

	// Checkpoints is Records for checkpoints.
	Checkpoints(ctx context.Context, from uint64, limit int) ([]Item, error)

	// Lookup returns at most limit records indexed under subject whose
	// sequence numbers are <= atMost, newest first, read in one snapshot.
	// An index entry whose record is gone comes back with a nil Value.
	Lookup(ctx context.Context, subject [32]byte, atMost uint64, limit int) ([]Item, error)

	// Trim removes, in one durable transaction, every record and every
	// checkpoint with a sequence number <= through, the subject index
	// entries refs (those of the removed records), and stores anchor as
	// the new anchor value.
	Trim(ctx context.Context, through uint64, refs []SubjectRef, anchor []byte) error

	// Backup writes a consistent copy of the whole store, as of one
	// snapshot, to w while commits go on, and returns the bytes written.
	// The copy is a store the same implementation opens. An
	// implementation that leaves backups to its database's own tools
	// returns an error wrapping errors.ErrUnsupported.
	Backup(ctx context.Context, w io.Writer) (int64, error)

	// Close releases the store. Calls after Close fail.
	Close() error
}

// Errors a Backend returns, tested with errors.Is.
var (
	// ErrLocked reports storage held by another process (a running
	// server) that could not be opened in time.
	ErrLocked = errors.New("access log storage is locked by another process")
	// ErrConflict reports a batch that does not continue the stored head.
	ErrConflict = errors.New("access log storage: batch does not continue the head")
	// ErrCorrupt reports storage whose structure (not its values, which
	// the log verifies) is malformed, such as a key of the wrong length.
	ErrCorrupt = errors.New("access log storage is malformed")
	// ErrReadOnly reports a write to a store opened read-only.
	ErrReadOnly = errors.New("access log storage is open read-only")
)
