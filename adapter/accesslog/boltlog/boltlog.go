// Package boltlog keeps the access log in one bbolt file: the embedded
// default backend of package accesslog (see logstore.Backend for the
// contract it implements). The file holds nothing but the access log,
// separate from the registry.
//
// Every commit is one bbolt read-write transaction, which bbolt makes
// durable with fdatasync before Commit returns (the file is never opened
// with NoSync). bbolt's exclusive file lock makes one process the only
// writer; a file opened read-only takes a shared lock instead.
package boltlog

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket and key names, and the key encodings below, are part of the file
// format that existing logs are written in. THEY MUST NEVER CHANGE.
//
//	meta         "format" -> the log's format value; "anchor" -> the anchor value
//	records      seqKey -> record value
//	checkpoints  seqKey -> checkpoint value
//	subjects     subject (32 bytes) || seqKey -> empty
//
// seqKey is the sequence number as 8 bytes, big-endian, so keys sort in
// sequence order.
var (
	bucketMeta        = []byte("meta")
	bucketRecords     = []byte("records")
	bucketCheckpoints = []byte("checkpoints")
	bucketSubjects    = []byte("subjects")

	metaFormat = []byte("format")
	metaAnchor = []byte("anchor")
)

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// DefaultTimeout is the wait for the file lock when Options.Timeout is zero.
const DefaultTimeout = time.Second

// Options configure Open. Every field's zero value is documented.
type Options struct {
	// ReadOnly opens the file with bbolt's ReadOnly option, which takes a
	// shared lock: readers do not exclude each other, but exclude a
	// writer. Init, Commit and Trim then fail with logstore.ErrReadOnly.
	// False opens it for writing, creating the file if it is missing.
	ReadOnly bool
	// Timeout bounds the wait for the file lock, which another process (a
	// running server) may hold. Zero means DefaultTimeout.
	Timeout time.Duration
}

// Store is a log in a bbolt file. It implements logstore.Backend.
type Store struct {
	db *bolt.DB
}

var _ logstore.Backend = (*Store)(nil)

// Open opens the bbolt file at path. A lock still held by another process
// after opts.Timeout yields an error wrapping logstore.ErrLocked.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %v)", logstore.ErrLocked, path, opts.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("boltlog: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Path returns the file's path.
func (s *Store) Path() string { return s.db.Path() }

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// update runs fn in a read-write transaction, which bbolt syncs before it
// returns.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(fn)
	if errors.Is(err, berrors.ErrDatabaseReadOnly) {
		return fmt.Errorf("%w: %s", logstore.ErrReadOnly, s.db.Path())
	}
	return err
}

func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// Init creates the buckets and stores format if the file holds no log.
func (s *Store) Init(ctx context.Context, format []byte) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if meta.Get(metaFormat) == nil {
			if err := meta.Put(metaFormat, format); err != nil {
				return err
			}
		}
		for _, name := range [][]byte{bucketRecords, bucketCheckpoints, bucketSubjects} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
}

// Head reads the head in one read transaction.
func (s *Store) Head(ctx context.Context) (h logstore.Head, err error) {
	err = s.view(ctx, func(tx *bolt.Tx) error {
		h, err = readHead(tx)
		return err
	})
	return h, err
}

// hasLog reports whether the file holds a log: all four buckets exist.
// Without them it was never initialised, or is not an access log at all.
func hasLog(tx *bolt.Tx) bool {
	for _, name := range [][]byte{bucketMeta, bucketRecords, bucketCheckpoints, bucketSubjects} {
		if tx.Bucket(name) == nil {
			return false
		}
	}
	return true
}

// readHead returns the zero Head if the file holds no log.
func readHead(tx *bolt.Tx) (logstore.Head, error) {
	if !hasLog(tx) {
		return logstore.Head{}, nil
	}
	meta := tx.Bucket(bucketMeta)
	h := logstore.Head{Format: clone(meta.Get(metaFormat)), Anchor: clone(meta.Get(metaAnchor))}
	var err error
	if h.Record, err = last(tx.Bucket(bucketRecords)); err != nil {
		return logstore.Head{}, err
	}
	if h.Checkpoint, err = last(tx.Bucket(bucketCheckpoints)); err != nil {
		return logstore.Head{}, err
	}
	return h, nil
}

// clone copies a value out of bbolt's memory map, which is only valid
// during its transaction. nil stays nil.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

func item(k, v []byte) (logstore.Item, error) {
	if len(k) != 8 {
		return logstore.Item{}, fmt.Errorf("%w: key of %d bytes, want 8", logstore.ErrCorrupt, len(k))
	}
	return logstore.Item{Seq: binary.BigEndian.Uint64(k), Value: bytes.Clone(v)}, nil
}

func last(b *bolt.Bucket) (*logstore.Item, error) {
	k, v := b.Cursor().Last()
	if k == nil {
		return nil, nil
	}
	it, err := item(k, v)
	if err != nil {
		return nil, err
	}
	return &it, nil
}

// errEmpty rolls back the transaction of an empty batch: it stores
// nothing, so it need not be written and synced.
var errEmpty = errors.New("empty batch")

// Commit stores prepare's batch in one read-write transaction; bbolt
// fdatasyncs the file before the transaction (and so Commit) returns.
func (s *Store) Commit(ctx context.Context, prepare func(logstore.Head) (logstore.Batch, error)) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		h, err := readHead(tx)
		if err != nil {
			return err
		}
		if h.Format == nil {
			return fmt.Errorf("%w: no log in %s (Init was not called)", logstore.ErrCorrupt, s.db.Path())
		}
		b, err := prepare(h)
		if err != nil {
			return err
		}
		if b.Empty() {
			return errEmpty
		}
		if err := b.Continues(h, 0, math.MaxUint64); err != nil {
			return err
		}
		rb, sb, cb := tx.Bucket(bucketRecords), tx.Bucket(bucketSubjects), tx.Bucket(bucketCheckpoints)
		rb.FillPercent, sb.FillPercent, cb.FillPercent = 0.9, 0.9, 0.9 // keys only ever grow
		for _, r := range b.Records {
			key := seqKey(r.Seq)
			if err := rb.Put(key, r.Value); err != nil {
				return err
			}
			for _, subject := range r.Subjects {
				if err := sb.Put(append(subject[:], key...), nil); err != nil {
					return err
				}
			}
		}
		for _, c := range b.Checkpoints {
			if err := cb.Put(seqKey(c.Seq), c.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errEmpty) {
		return nil
	}
	return err
}

// Records reads one page of records in one read transaction.
func (s *Store) Records(ctx context.Context, from uint64, limit int) ([]logstore.Item, error) {
	return s.page(ctx, bucketRecords, from, limit)
}

// Checkpoints reads one page of checkpoints in one read transaction.
func (s *Store) Checkpoints(ctx context.Context, from uint64, limit int) ([]logstore.Item, error) {
	return s.page(ctx, bucketCheckpoints, from, limit)
}

func (s *Store) page(ctx context.Context, bucket []byte, from uint64, limit int) (items []logstore.Item, err error) {
	err = s.view(ctx, func(tx *bolt.Tx) error {
		if !hasLog(tx) {
			return nil
		}
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(seqKey(from)); k != nil && len(items) < limit; k, v = c.Next() {
			it, err := item(k, v)
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		return nil
	})
	return items, err
}

// Lookup walks the subject index backwards from subject || atMost.
func (s *Store) Lookup(ctx context.Context, subject [32]byte, atMost uint64, limit int) (items []logstore.Item, err error) {
	err = s.view(ctx, func(tx *bolt.Tx) error {
		if !hasLog(tx) {
			return nil
		}
		sb, rb := tx.Bucket(bucketSubjects), tx.Bucket(bucketRecords)
		c := sb.Cursor()
		target := append(subject[:], seqKey(atMost)...)
		k, _ := c.Seek(target)
		if k == nil {
			k, _ = c.Last()
		} else if !bytes.Equal(k, target) {
			k, _ = c.Prev()
		}
		for ; k != nil && len(items) < limit && len(k) == 40 && bytes.HasPrefix(k, subject[:]); k, _ = c.Prev() {
			seq := binary.BigEndian.Uint64(k[32:])
			items = append(items, logstore.Item{Seq: seq, Value: clone(rb.Get(k[32:]))})
		}
		return nil
	})
	return items, err
}

// Trim deletes through `through` in one read-write transaction.
func (s *Store) Trim(ctx context.Context, through uint64, refs []logstore.SubjectRef, anchor []byte) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		if !hasLog(tx) {
			return fmt.Errorf("%w: no log in %s", logstore.ErrCorrupt, s.db.Path())
		}
		for _, name := range [][]byte{bucketRecords, bucketCheckpoints} {
			c := tx.Bucket(name).Cursor()
			for k, _ := c.First(); len(k) == 8 && binary.BigEndian.Uint64(k) <= through; k, _ = c.First() {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		sb := tx.Bucket(bucketSubjects)
		for _, r := range refs {
			if err := sb.Delete(append(r.Subject[:], seqKey(r.Seq)...)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(metaAnchor, anchor)
	})
}

// Backup writes the file as of one read transaction (bbolt's hot backup).
func (s *Store) Backup(ctx context.Context, w io.Writer) (n int64, err error) {
	err = s.view(ctx, func(tx *bolt.Tx) error {
		n, err = tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	return n, err
}

// ctxWriter stops a long copy when ctx ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
