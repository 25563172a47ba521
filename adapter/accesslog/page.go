package accesslog

import (
	"context"
	"fmt"
)

// MaxPage is the most records one Before call returns.
const MaxPage = 1000

// State is the log's shape as of one snapshot of its storage: what an
// auditor's console shows about the chain.
type State struct {
	// Anchor is where the stored chain starts (see Anchor).
	Anchor Anchor
	// HeadSeq is the newest record's sequence number (the anchor's when
	// the log holds no records); HeadSeq-Anchor.Seq records are stored.
	HeadSeq uint64
	// LastCheckpoint is the newest stored checkpoint, nil if none. It is
	// read as stored, not verified: Verify checks its signature.
	LastCheckpoint *Checkpoint
}

// State reads the log's anchor, newest record and newest checkpoint in one
// snapshot of the storage.
func (l *Log) State(ctx context.Context) (State, error) {
	h, err := readHead(ctx, l.store)
	if err != nil {
		return State{}, err
	}
	st := State{Anchor: h.anchor, HeadSeq: h.anchor.Seq}
	if it := h.raw.Record; it != nil {
		st.HeadSeq = it.Seq
	}
	if it := h.raw.Checkpoint; it != nil {
		cp, err := decodeStoredCheckpoint(it.Seq, it.Value)
		if err != nil {
			return State{}, err
		}
		st.LastCheckpoint = &cp
	}
	return st, nil
}

// Before returns up to limit records with sequence numbers below before,
// newest first, read in one short snapshot: a page of the log for a
// reader that walks it backwards by sequence number, never by offset, so
// every page costs the same however long the log is. before 0 means
// from the newest record. limit is cut to MaxPage; fewer than limit
// records means the walk reached the first stored record.
func (l *Log) Before(ctx context.Context, before uint64, limit int) ([]Record, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("%w: limit %d is not positive", ErrInvalidArgument, limit)
	}
	limit = min(limit, MaxPage)
	h, err := readHead(ctx, l.store)
	if err != nil {
		return nil, err
	}
	first := h.anchor.Seq + 1
	if h.raw.Record == nil {
		return nil, nil
	}
	if end := h.raw.Record.Seq + 1; before == 0 || before > end {
		before = end
	}
	if before <= first {
		return nil, nil
	}
	from := first
	if before-first > uint64(limit) {
		from = before - uint64(limit)
	}
	items, err := l.store.Records(ctx, from, int(min(uint64(limit), before-from)))
	if err != nil {
		return nil, storageError(err)
	}
	recs := make([]Record, 0, len(items))
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		if it.Seq >= before {
			continue
		}
		r, err := decodeStored(it.Seq, it.Value)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, nil
}
