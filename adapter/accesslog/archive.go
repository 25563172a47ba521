package accesslog

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrNothingToArchive reports an Archive call with no record old enough.
var ErrNothingToArchive = errors.New("accesslog: no records to archive")

// Syncer is an archive destination whose content can be made durable,
// such as an *os.File.
type Syncer interface {
	io.Writer
	Sync() error
}

// ArchiveSummary says what Archive moved.
type ArchiveSummary struct {
	ExportSummary
	// Anchor is the last archived record: the archive's seal covers it, and
	// the first record left in the log links to its hash.
	Anchor Anchor
}

// archiveChunk is how many records one deletion transaction removes.
const archiveChunk = 1000

// Archive moves the oldest records, those before the first record whose
// Time is not before `before`, out of the log into out, for retention.
//
// The archive is a FormatJSONL export (header kind "archive") of those
// records with their checkpoints, sealed by a checkpoint over its last
// record (signed now if none exists). It verifies on its own with
// VerifyExport and Sealed set. The log keeps the last archived record's
// sequence number and hash as its anchor, so the remaining chain still
// verifies and visibly continues the archive.
//
// Order of work: the segment is verified, written and synced to out, and
// only then deleted from the log in transactions that each move the anchor
// along. A crash at any point loses nothing: at worst the next archive
// overlaps this one. If deleting fails, the returned summary is not empty
// and the archive must be kept. Archive works in short transactions, so it
// can run while requests are being logged.
func (l *Log) Archive(ctx context.Context, before time.Time, out Syncer) (ArchiveSummary, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ArchiveSummary{}, ErrClosed
	}
	var anchor Anchor
	if err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		anchor, err = readAnchor(tx)
		return err
	}); err != nil {
		return ArchiveSummary{}, err
	}
	// Find the last record of the prefix older than before.
	last := Anchor{Seq: anchor.Seq}
	err := walk(l.db, anchor.Seq+1, 0, func(r Record) error {
		if !r.Time.Before(before) {
			return errStop
		}
		last = Anchor{Seq: r.Seq, Hash: r.Hash}
		return ctx.Err()
	}, nil)
	if err != nil && !errors.Is(err, errStop) {
		return ArchiveSummary{}, err
	}
	if last.Seq == anchor.Seq {
		return ArchiveSummary{}, fmt.Errorf("%w: none before %s", ErrNothingToArchive, before.UTC().Format(time.RFC3339))
	}
	var seal *Checkpoint
	if err := l.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCheckpoints).Get(seqKey(last.Seq)) == nil {
			seal = &Checkpoint{Seq: last.Seq, Head: last.Hash, Time: l.now().UTC().Round(0)}
		}
		return nil
	}); err != nil {
		return ArchiveSummary{}, err
	}
	if seal != nil {
		if err := signCheckpoint(seal, l.signer, l.cert, l.rand); err != nil {
			return ArchiveSummary{}, err
		}
	}
	// Verify while writing: a seal must never vouch for records that were
	// changed after their own checkpoint.
	v := newVerifier(anchor, certSet([]*x509.Certificate{l.cert}))
	v.skipUnknownCert = true
	sum, err := exportRange(ctx, l.db, out, FormatJSONL, Filter{}, "archive", anchor, last.Seq, seal, v)
	if err != nil {
		return ArchiveSummary{}, fmt.Errorf("accesslog: archive: %w", err)
	}
	if v.seq != last.Seq {
		return ArchiveSummary{}, fmt.Errorf("accesslog: archive: records changed while archiving (ended at %d, want %d)", v.seq, last.Seq)
	}
	if err := out.Sync(); err != nil {
		return ArchiveSummary{}, fmt.Errorf("accesslog: archive: sync output: %w", err)
	}
	if err := l.dropThrough(ctx, last.Seq); err != nil {
		// The archive is complete and synced; some records may be gone
		// from the log already, so the caller must keep the file.
		return ArchiveSummary{ExportSummary: sum, Anchor: last}, err
	}
	l.logger.Info("access log archived", "through", last.Seq, "records", sum.Records)
	return ArchiveSummary{ExportSummary: sum, Anchor: last}, nil
}

// dropThrough deletes records and checkpoints up to and including seq, in
// chunks, moving the anchor with each chunk.
func (l *Log) dropThrough(ctx context.Context, seq uint64) error {
	for {
		done := false
		err := l.db.Update(func(tx *bolt.Tx) error {
			rb, cb, sb := tx.Bucket(bucketRecords), tx.Bucket(bucketCheckpoints), tx.Bucket(bucketSubjects)
			var anchor Anchor
			c := rb.Cursor()
			n := 0
			for k, v := c.First(); k != nil && n < archiveChunk; k, v = c.First() {
				r, err := decodeStored(k, v)
				if err != nil {
					return err
				}
				if r.Seq > seq {
					break
				}
				for _, s := range r.Subjects {
					h, err := decodeHash(s)
					if err != nil {
						return err
					}
					if err := sb.Delete(append(h[:], k...)); err != nil {
						return err
					}
				}
				if err := c.Delete(); err != nil {
					return err
				}
				anchor = Anchor{Seq: r.Seq, Hash: r.Hash}
				n++
			}
			if n == 0 {
				done = true
				return nil
			}
			cc := cb.Cursor()
			for k, _ := cc.First(); k != nil && bytesToSeq(k) <= anchor.Seq; k, _ = cc.First() {
				if err := cc.Delete(); err != nil {
					return err
				}
			}
			done = anchor.Seq == seq
			return tx.Bucket(bucketMeta).Put(metaAnchor, encodeAnchor(anchor))
		})
		if err != nil {
			return fmt.Errorf("accesslog: archive: delete archived records: %w", err)
		}
		if done {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
