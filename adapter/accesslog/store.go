package accesslog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

// Anchor is where a chain segment starts: the sequence number and hash of
// the record just before its first record. A log that was never archived
// has the zero Anchor (Seq 0, all-zero Hash); after an archive step the
// anchor is the last archived record, whose hash the first remaining
// record carries as PrevHash.
type Anchor struct {
	Seq  uint64
	Hash [32]byte
}

// The values a backend stores are encoded here, so that every backend
// stores the same bytes. THESE ENCODINGS ARE PART OF THE LOG FORMAT (see
// appendBody): the format value is one byte, FormatVersion; a record's
// value is its canonical body, then PrevHash, then Hash; a checkpoint's is
// encodeCheckpoint's; the anchor's is its sequence number (8 bytes,
// big-endian) then its hash, and is absent until the first archive.

func formatValue() []byte { return []byte{FormatVersion} }

func encodeStored(r *Record) ([]byte, error) {
	b, err := appendBody(nil, r)
	if err != nil {
		return nil, err
	}
	b = append(b, r.PrevHash[:]...)
	return append(b, r.Hash[:]...), nil
}

// decodeStored parses a stored record value stored under seq. It checks
// the format, not the hash: verification is the verifier's job.
func decodeStored(seq uint64, val []byte) (Record, error) {
	if len(val) < 64 {
		return Record{}, &TamperError{Seq: seq, What: "record", Reason: "value too short"}
	}
	r, err := decodeBody(val[:len(val)-64])
	if err != nil {
		return Record{}, &TamperError{Seq: seq, What: "record", Reason: err.Error()}
	}
	copy(r.PrevHash[:], val[len(val)-64:])
	copy(r.Hash[:], val[len(val)-32:])
	if r.Seq != seq {
		return Record{}, &TamperError{Seq: seq, What: "record", ID: r.ID,
			Reason: fmt.Sprintf("stored under sequence number %d but says %d (moved or swapped)", seq, r.Seq)}
	}
	return r, nil
}

func decodeStoredCheckpoint(seq uint64, val []byte) (Checkpoint, error) {
	c, err := decodeCheckpoint(val)
	if err != nil {
		return Checkpoint{}, &TamperError{Seq: seq, What: "checkpoint", Reason: err.Error()}
	}
	if c.Seq != seq {
		return Checkpoint{}, &TamperError{Seq: seq, What: "checkpoint",
			Reason: fmt.Sprintf("stored under sequence number %d but says %d", seq, c.Seq)}
	}
	return c, nil
}

func encodeAnchor(a Anchor) []byte {
	return append(binary.BigEndian.AppendUint64(nil, a.Seq), a.Hash[:]...)
}

func decodeAnchor(v []byte) (Anchor, error) {
	var a Anchor
	switch len(v) {
	case 0:
	case 40:
		a.Seq = binary.BigEndian.Uint64(v[:8])
		copy(a.Hash[:], v[8:])
	default:
		return Anchor{}, &TamperError{What: "anchor", Reason: fmt.Sprintf("anchor value of %d bytes", len(v))}
	}
	return a, nil
}

// head is a decoded logstore.Head: the chain's tip, its newest checkpoint
// and its anchor.
type head struct {
	anchor Anchor
	seq    uint64   // the newest record's, the anchor's if there is none
	hash   [32]byte // the newest record's, the anchor's if there is none
	cp     *Checkpoint
	raw    logstore.Head
}

// readHead reads the backend's head, checks its format version and
// decodes its anchor. Its tip (seq, hash, cp) is decoded by decodeTip.
func readHead(ctx context.Context, b logstore.Backend) (head, error) {
	h, err := b.Head(ctx)
	if err != nil {
		return head{}, storageError(err)
	}
	switch {
	case h.Format == nil:
		return head{}, fmt.Errorf("%w: not an access log (no log stored)", ErrUnsupportedFormat)
	case len(h.Format) != 1 || h.Format[0] != FormatVersion:
		return head{}, fmt.Errorf("%w: log format %v, this build reads %d", ErrUnsupportedFormat, h.Format, FormatVersion)
	}
	a, err := decodeAnchor(h.Anchor)
	if err != nil {
		return head{}, err
	}
	return head{anchor: a, seq: a.Seq, hash: a.Hash, raw: h}, nil
}

// decodeHead decodes all of what a commit builds on.
func decodeHead(raw logstore.Head) (head, error) {
	a, err := decodeAnchor(raw.Anchor)
	if err != nil {
		return head{}, err
	}
	h := head{anchor: a, seq: a.Seq, hash: a.Hash, raw: raw}
	return h, h.decodeTip()
}

// decodeTip decodes the newest record and checkpoint of h.raw.
func (h *head) decodeTip() error {
	if it := h.raw.Record; it != nil {
		r, err := decodeStored(it.Seq, it.Value)
		if err != nil {
			return err
		}
		h.seq, h.hash = r.Seq, r.Hash
	}
	if it := h.raw.Checkpoint; it != nil {
		c, err := decodeStoredCheckpoint(it.Seq, it.Value)
		if err != nil {
			return err
		}
		h.cp = &c
	}
	return nil
}

// storageError turns a backend's report of malformed storage into
// tampering; other errors pass unchanged.
func storageError(err error) error {
	if errors.Is(err, logstore.ErrCorrupt) {
		return &TamperError{What: "file", Reason: err.Error()}
	}
	return err
}

// walkChunk is how many records (and how many checkpoints) one backend
// read returns in walk. One long read would stall a backend's writer (a
// long bbolt read transaction stops the file from growing); walking in
// pages keeps Appends flowing while an export or verification runs
// against a live log.
const walkChunk = 1024

// walk visits records with seq >= fromRec and checkpoints with seq >=
// fromCP in one merged order: a checkpoint comes right after the record it
// covers (checkpoints beyond the last record come last). It stops at the
// first error, from decoding or from a callback. Either callback may be
// nil.
//
// walk reads in pages of walkChunk items, one backend read each, up to the
// last record and checkpoint of h, the head read when the walk began;
// items added later are not visited. Stopping short of those for any
// reason but an error is an error (errWalkShort), never a silent success.
func walk(ctx context.Context, b logstore.Backend, h logstore.Head, fromRec, fromCP uint64, onRecord func(Record) error, onCheckpoint func(Checkpoint) error) error {
	recs := newStream("record", b.Records, fromRec, h.Record)
	cps := newStream("checkpoint", b.Checkpoints, fromCP, h.Checkpoint)
	if onCheckpoint == nil {
		cps.fetched = true
	}
	for {
		r, err := recs.peek(ctx)
		if err != nil {
			return err
		}
		c, err := cps.peek(ctx)
		if err != nil {
			return err
		}
		switch {
		case r == nil && c == nil:
			return nil
		case c != nil && (r == nil || c.Seq < r.Seq):
			cp, err := decodeStoredCheckpoint(c.Seq, c.Value)
			if err != nil {
				return err
			}
			if err := onCheckpoint(cp); err != nil {
				return err
			}
			cps.pop()
		default:
			rec, err := decodeStored(r.Seq, r.Value)
			if err != nil {
				return err
			}
			if onRecord != nil {
				if err := onRecord(rec); err != nil {
					return err
				}
			}
			recs.pop()
		}
	}
}

// errWalkShort reports a walk that ended before the last item that was
// stored when it began.
var errWalkShort = errors.New("accesslog: read ended before the last stored item")

// stream is walk's position in the records or the checkpoints: it reads
// them page by page up to last, the newest item when the walk began.
type stream struct {
	what    string
	page    func(ctx context.Context, from uint64, limit int) ([]logstore.Item, error)
	next    uint64 // the first sequence number not yet read
	last    uint64 // the newest item's sequence number when the walk began
	fetched bool   // everything up to last has been read
	seen    bool   // at least one item was read
	buf     []logstore.Item
}

func newStream(what string, page func(context.Context, uint64, int) ([]logstore.Item, error), from uint64, newest *logstore.Item) *stream {
	s := &stream{what: what, page: page, next: from}
	if newest == nil || newest.Seq < from {
		s.fetched = true
	} else {
		s.last = newest.Seq
	}
	return s
}

// peek returns the next item, or nil after the last one.
func (s *stream) peek(ctx context.Context) (*logstore.Item, error) {
	if len(s.buf) == 0 && !s.fetched {
		if err := s.fill(ctx); err != nil {
			return nil, err
		}
	}
	if len(s.buf) == 0 {
		return nil, nil
	}
	return &s.buf[0], nil
}

// fill reads the next page. A page that ends before last without being
// full, or that skips last, ends the walk short: an error.
func (s *stream) fill(ctx context.Context) error {
	items, err := s.page(ctx, s.next, walkChunk)
	if err != nil {
		return storageError(err)
	}
	n := 0
	for _, it := range items {
		if it.Seq < s.next || (n > 0 && it.Seq <= items[n-1].Seq) {
			return storageError(fmt.Errorf("%w: %s %d read after %d", logstore.ErrCorrupt, s.what, it.Seq, s.next))
		}
		if it.Seq > s.last {
			break
		}
		n++
	}
	if n > 0 {
		s.seen = true
		if seq := items[n-1].Seq; seq == s.last {
			s.fetched = true
		} else {
			s.next = seq + 1 // seq < last: no wrap-around
		}
	}
	if !s.fetched && (n < len(items) || len(items) < walkChunk) {
		if !s.seen {
			return fmt.Errorf("%w: no %s read, the last stored is %d", errWalkShort, s.what, s.last)
		}
		return fmt.Errorf("%w: the last %s read is %d, the last stored is %d", errWalkShort, s.what, s.next-1, s.last)
	}
	s.buf = items[:n]
	return nil
}

func (s *stream) pop() { s.buf = s.buf[1:] }
