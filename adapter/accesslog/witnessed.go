package accesslog

import (
	"context"
	"fmt"
)

// This file is what an outside witness needs from the log (package
// witness, docs/witness.md): the chain's extension from one size to a
// larger one, and checking a log against the newest checkpoint a witness
// countersigned.
//
// The log's size is the sequence number of its newest record (records
// are numbered from 1 and never reused, archived ones included), and its
// root is that record's Hash. A witness that holds (m, hash(m)) checks a
// larger checkpoint (n, hash(n)) from the n-m body digests of records
// m+1..n alone, by ChainHash, without trusting the adapter: that is the
// consistency proof of a hash chain.

// ChainHash is the chain step: SHA-256(prev || digest), where digest is
// a record's body digest (Record.Digest) and prev the previous record's
// hash (docs/access-log.md, "The chain").
func ChainHash(prev, digest [32]byte) [32]byte { return chainHash(prev, digest) }

// Extend applies ChainHash over digests starting from prev, and returns
// the last hash (prev itself if digests is empty).
func Extend(prev [32]byte, digests [][32]byte) [32]byte {
	for _, d := range digests {
		prev = chainHash(prev, d)
	}
	return prev
}

// MaxExtension caps the digests one Extension call returns (32 bytes
// each, so 2 MiB): a witness far behind is brought up in steps.
const MaxExtension = 1 << 16

// Extension returns the hash of record from (the anchor's when from is
// the anchor) and the body digests of records from+1..to, read from the
// log as it is stored, without checking them: a witness checks them
// against what it saw before. It fails with ErrInvalidArgument when the
// range is larger than MaxExtension, lies beyond the head, or starts
// before the log's anchor (those records were archived).
func (l *Log) Extension(ctx context.Context, from, to uint64) ([32]byte, [][32]byte, error) {
	h, err := readHead(ctx, l.store)
	if err != nil {
		return [32]byte{}, nil, err
	}
	if err := h.decodeTip(); err != nil {
		return [32]byte{}, nil, err
	}
	switch {
	case to < from || to-from > MaxExtension:
		return [32]byte{}, nil, fmt.Errorf("%w: extension %d..%d (at most %d records)", ErrInvalidArgument, from, to, MaxExtension)
	case to > h.seq:
		return [32]byte{}, nil, fmt.Errorf("%w: extension to %d beyond the head %d", ErrInvalidArgument, to, h.seq)
	case from < h.anchor.Seq:
		return [32]byte{}, nil, fmt.Errorf("%w: extension from %d: records up to %d are archived", ErrInvalidArgument, from, h.anchor.Seq)
	}
	prev := h.anchor.Hash
	var digests [][32]byte
	next := from
	if from > h.anchor.Seq {
		next = from - 1 // read record from for its hash
	}
	for next < to {
		items, err := l.store.Records(ctx, next+1, walkChunk)
		if err != nil {
			return [32]byte{}, nil, storageError(err)
		}
		if len(items) == 0 {
			return [32]byte{}, nil, &TamperError{Seq: next + 1, What: "record", Reason: "missing below the head"}
		}
		for _, it := range items {
			if it.Seq != next+1 {
				return [32]byte{}, nil, &TamperError{Seq: next + 1, What: "record", Reason: fmt.Sprintf("missing: the next record present is %d", it.Seq)}
			}
			r, err := decodeStored(it.Seq, it.Value)
			if err != nil {
				return [32]byte{}, nil, err
			}
			next = it.Seq
			if r.Seq == from {
				prev = r.Hash
				continue
			}
			d, err := r.Digest()
			if err != nil {
				return [32]byte{}, nil, &TamperError{Seq: r.Seq, What: "record", ID: r.ID, Reason: err.Error()}
			}
			digests = append(digests, d)
			if next == to {
				break
			}
		}
	}
	return prev, digests, nil
}

// LastCheckpoint returns the newest checkpoint as of this Log's last
// commit, and false if there is none yet.
func (l *Log) LastCheckpoint() (Checkpoint, bool) {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	if l.lastCP == nil {
		return Checkpoint{}, false
	}
	return *l.lastCP, true
}

// Witnessed is the newest checkpoint an outside witness countersigned:
// the log had Size records and record Size's hash was Head. Verification
// given one (VerifyOptions.Witnessed) demands that the log still holds
// that record with that hash: a tail cut off with its checkpoints, or a
// history rewritten and re-signed with the adapter's own keys, fails.
type Witnessed struct {
	Size uint64
	Head [32]byte
}

// witnessCheck is the verifier's part for VerifyOptions.Witnessed.
func (v *verifier) witnessRecord(seq uint64, hash [32]byte) error {
	w := v.witnessed
	if w == nil || seq != w.Size {
		return nil
	}
	v.rep.WitnessChecked = true
	if hash != w.Head {
		return v.fail("record", seq, "", "hash %x differs from the %x a witness countersigned for it (history rewritten)", hash[:4], w.Head[:4])
	}
	return nil
}

// witnessFinish checks, at the end of the walk, that the witnessed record
// was reached.
func (v *verifier) witnessFinish() error {
	w := v.witnessed
	if w == nil || v.rep.WitnessChecked {
		return nil
	}
	switch {
	case w.Size > v.seq:
		return &TamperError{Seq: v.seq + 1, What: "record", Line: v.line, Reason: fmt.Sprintf(
			"missing: a witness countersigned %d records, the log ends at %d (records removed from the end)", w.Size, v.seq)}
	case w.Size == v.rep.Anchor.Seq:
		return v.witnessRecord(w.Size, v.rep.Anchor.Hash)
	default:
		return &TamperError{Seq: w.Size, What: "record", Line: v.line, Reason: fmt.Sprintf(
			"the witnessed record %d is archived (the log starts after %d): verify the archive that holds it with the witness", w.Size, v.rep.Anchor.Seq)}
	}
}
