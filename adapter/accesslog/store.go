package accesslog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"
)

// Bucket and key names of the bbolt file. The file holds nothing but the
// access log (design.md section 5: its own file, separate from the registry).
var (
	bucketMeta        = []byte("meta")        // metaFormat, metaAnchor
	bucketRecords     = []byte("records")     // seqKey -> body || prev hash || hash
	bucketCheckpoints = []byte("checkpoints") // seqKey -> encodeCheckpoint
	bucketSubjects    = []byte("subjects")    // raw subject HMAC (32) || seqKey -> empty

	metaFormat = []byte("format") // one byte: FormatVersion
	metaAnchor = []byte("anchor") // seqKey || hash: the last archived record, absent if none
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

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func encodeStored(r *Record) ([]byte, error) {
	b, err := appendBody(nil, r)
	if err != nil {
		return nil, err
	}
	b = append(b, r.PrevHash[:]...)
	return append(b, r.Hash[:]...), nil
}

// decodeStored parses a value of bucketRecords stored under key. It checks
// the format, not the hash: verification is the verifier's job.
func decodeStored(key, val []byte) (Record, error) {
	if len(key) != 8 {
		return Record{}, &TamperError{What: "record", Reason: fmt.Sprintf("key of %d bytes", len(key))}
	}
	seq := binary.BigEndian.Uint64(key)
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

func decodeStoredCheckpoint(key, val []byte) (Checkpoint, error) {
	if len(key) != 8 {
		return Checkpoint{}, &TamperError{What: "checkpoint", Reason: fmt.Sprintf("key of %d bytes", len(key))}
	}
	seq := binary.BigEndian.Uint64(key)
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

var errNotALog = errors.New("not an access log file (buckets missing)")

// readAnchor returns the anchor and checks the file's format version.
func readAnchor(tx *bolt.Tx) (Anchor, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil || tx.Bucket(bucketRecords) == nil || tx.Bucket(bucketCheckpoints) == nil || tx.Bucket(bucketSubjects) == nil {
		return Anchor{}, fmt.Errorf("%w: %w", ErrUnsupportedFormat, errNotALog)
	}
	if v := meta.Get(metaFormat); len(v) != 1 || v[0] != FormatVersion {
		return Anchor{}, fmt.Errorf("%w: file format %v, this build reads %d", ErrUnsupportedFormat, v, FormatVersion)
	}
	var a Anchor
	v := meta.Get(metaAnchor)
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

func encodeAnchor(a Anchor) []byte {
	return append(seqKey(a.Seq), a.Hash[:]...)
}

// walkChunk is how many items one read transaction visits in walk. A
// long-lived read transaction would stop bbolt from growing the file and so
// stall the committer; walking in chunks keeps Appends flowing while an
// export or verification runs against a live log.
const walkChunk = 1024

// walk visits records with seq >= fromRec and checkpoints with seq >=
// fromCP in one merged order: a checkpoint comes right after the record it
// covers (checkpoints beyond the last record come last). It stops at the
// first error, from decoding or from a callback. Either callback may be nil.
//
// walk reads in chunks of walkChunk items, one read transaction each, so a
// long walk does not hold up appends. It reaches at least the last record
// and checkpoint that were stored when it started; stopping short of them
// for any reason but an error from a callback is an error (errWalkShort),
// never a silent success.
func walk(db *bolt.DB, fromRec, fromCP uint64, onRecord func(Record) error, onCheckpoint func(Checkpoint) error) error {
	recs := cursorState{next: fromRec}
	cps := cursorState{next: fromCP, done: onCheckpoint == nil}
	if err := db.View(func(tx *bolt.Tx) error {
		recs.target(tx.Bucket(bucketRecords))
		if !cps.done {
			cps.target(tx.Bucket(bucketCheckpoints))
		}
		return nil
	}); err != nil {
		return err
	}
	for !recs.done || !cps.done {
		err := db.View(func(tx *bolt.Tx) error {
			rc := tx.Bucket(bucketRecords).Cursor()
			cc := tx.Bucket(bucketCheckpoints).Cursor()
			rk, rv := recs.seek(rc)
			ck, cv := cps.seek(cc)
			for n := 0; n < walkChunk; n++ {
				if rk == nil {
					recs.done = true
				}
				if ck == nil {
					cps.done = true
				}
				if recs.done && cps.done {
					return nil
				}
				// Emit the checkpoint first when it covers a record before rk.
				if !cps.done && (recs.done || string(ck) < string(rk)) {
					c, err := decodeStoredCheckpoint(ck, cv)
					if err != nil {
						return err
					}
					if err := onCheckpoint(c); err != nil {
						return err
					}
					cps.visited(c.Seq)
					ck, cv = cc.Next()
					continue
				}
				r, err := decodeStored(rk, rv)
				if err != nil {
					return err
				}
				if onRecord != nil {
					if err := onRecord(r); err != nil {
						return err
					}
				}
				recs.visited(r.Seq)
				rk, rv = rc.Next()
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := recs.short("record"); err != nil {
		return err
	}
	return cps.short("checkpoint")
}

// errWalkShort reports a walk that ended before the last item that was
// stored when it began.
var errWalkShort = errors.New("accesslog: read ended before the last stored item")

// cursorState is walk's position in one bucket of sequence-number keys.
type cursorState struct {
	next    uint64 // the first key not yet visited
	done    bool   // nothing more to visit
	last    uint64 // the bucket's last key when the walk began
	hasLast bool   // the bucket held a key >= next when the walk began
	seen    bool   // at least one item was visited
	reached uint64 // the last key visited, if seen
}

// target records the bucket's last key, the least the walk must reach.
func (c *cursorState) target(b *bolt.Bucket) {
	if k, _ := b.Cursor().Last(); len(k) == 8 {
		c.last = binary.BigEndian.Uint64(k)
		c.hasLast = c.last >= c.next
	}
}

// seek positions cur at the next key to visit.
func (c *cursorState) seek(cur *bolt.Cursor) ([]byte, []byte) {
	if c.done {
		return nil, nil
	}
	return cur.Seek(seqKey(c.next))
}

// visited moves past seq. The largest sequence number ends the bucket:
// nothing can follow it, and next must not wrap around to 0.
func (c *cursorState) visited(seq uint64) {
	c.seen, c.reached = true, seq
	if seq == math.MaxUint64 {
		c.done = true
		return
	}
	c.next = seq + 1
}

// short returns errWalkShort if the walk did not reach the last key.
func (c *cursorState) short(what string) error {
	if c.hasLast && (!c.seen || c.reached < c.last) {
		if !c.seen {
			return fmt.Errorf("%w: no %s read, the last stored is %d", errWalkShort, what, c.last)
		}
		return fmt.Errorf("%w: the last %s read is %d, the last stored is %d", errWalkShort, what, c.reached, c.last)
	}
	return nil
}
