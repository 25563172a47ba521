package accesslog

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
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
	h, err := readHead(ctx, l.store)
	if err != nil {
		return ArchiveSummary{}, err
	}
	anchor := h.anchor
	// Find the last record of the prefix older than before.
	last := Anchor{Seq: anchor.Seq}
	err = walk(ctx, l.store, h.raw, anchor.Seq+1, 0, func(r Record) error {
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
	cps, err := l.store.Checkpoints(ctx, last.Seq, 1)
	if err != nil {
		return ArchiveSummary{}, storageError(err)
	}
	if len(cps) == 0 || cps[0].Seq != last.Seq {
		seal = &Checkpoint{Seq: last.Seq, Head: last.Hash, Time: l.now().UTC().Round(0)}
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
	sum, err := exportRange(ctx, l.store, h, out, FormatJSONL, Filter{}, "archive", last.Seq, seal, v)
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
// chunks of archiveChunk records, moving the anchor with each chunk.
func (l *Log) dropThrough(ctx context.Context, seq uint64) error {
	for {
		items, err := l.store.Records(ctx, 0, archiveChunk)
		if err != nil {
			return fmt.Errorf("accesslog: archive: read archived records: %w", storageError(err))
		}
		var anchor Anchor
		var refs []logstore.SubjectRef
		for _, it := range items {
			if it.Seq > seq {
				break
			}
			r, err := decodeStored(it.Seq, it.Value)
			if err != nil {
				return err
			}
			for _, s := range r.Subjects {
				h, err := decodeHash(s)
				if err != nil {
					return err
				}
				refs = append(refs, logstore.SubjectRef{Subject: h, Seq: r.Seq})
			}
			anchor = Anchor{Seq: r.Seq, Hash: r.Hash}
		}
		if anchor.Seq == 0 {
			return nil
		}
		if err := l.store.Trim(ctx, anchor.Seq, refs, encodeAnchor(anchor)); err != nil {
			return fmt.Errorf("accesslog: archive: delete archived records: %w", storageError(err))
		}
		if anchor.Seq == seq {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
