package accesslog

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

// Report summarises a successful verification.
type Report struct {
	// Anchor is where the verified segment starts: zero for a log that
	// begins at its first record, otherwise the last record of the archive
	// that precedes it.
	Anchor Anchor
	// Records counts records checked, Omitted of which appeared only as
	// digests (a filtered export).
	Records, Omitted int
	// Checkpoints counts verified checkpoint signatures.
	Checkpoints int
	// HeadSeq and Head are the last record's sequence number and hash (the
	// anchor's when there are no records).
	HeadSeq uint64
	Head    [32]byte
	// LastCheckpoint is the newest checkpoint, nil if there is none.
	LastCheckpoint *Checkpoint
	// Unsigned counts the records after the last checkpoint. They are
	// chained but no signature covers them yet, so deleting them from the
	// end would not be detected; a live log has a few (at most one
	// checkpoint interval's worth), an archive none.
	Unsigned uint64
	// WitnessChecked reports that the record VerifyOptions.Witnessed names
	// was found with the countersigned hash.
	WitnessChecked bool
}

// VerifyOptions says what to trust and what to demand.
type VerifyOptions struct {
	// Certificates are the adapter certificates whose checkpoint
	// signatures are accepted. A checkpoint naming any other certificate
	// fails verification.
	Certificates []*x509.Certificate
	// Sealed demands that a checkpoint covers the last record, as every
	// archive file's does (see Log.Archive). Use it for archives.
	Sealed bool
	// Witnessed, if set, is the newest checkpoint a witness countersigned
	// (see Witnessed): the log must hold its record, with its hash.
	Witnessed *Witnessed
	// Progress, if set, is called with each record's sequence number once
	// the record has been checked, in order: a stored log's verification
	// reports how far it got (the auditors' console shows it as a bar).
	Progress func(seq uint64)
}

// verifier checks a chain segment item by item, in order.
type verifier struct {
	certs map[string]*x509.Certificate
	// skipUnknownCert lets a checkpoint signed by another certificate pass
	// unverified; only the startup tail check uses it (key rotation).
	skipUnknownCert bool
	rep             Report
	seq             uint64
	prev            [32]byte
	cpSeq           uint64 // seq of the last checkpoint, valid if rep.LastCheckpoint != nil
	line            int    // current export line, 0 for a stored log
	witnessed       *Witnessed
}

func newVerifier(a Anchor, certs map[string]*x509.Certificate) *verifier {
	return &verifier{certs: certs, rep: Report{Anchor: a}, seq: a.Seq, prev: a.Hash}
}

func (v *verifier) fail(what string, seq uint64, id, format string, args ...any) error {
	return &TamperError{Seq: seq, What: what, ID: id, Line: v.line, Reason: fmt.Sprintf(format, args...)}
}

// link checks that the item with sequence number seq continues the chain.
func (v *verifier) link(seq uint64, id string, prev [32]byte) error {
	want := v.seq + 1
	switch {
	case seq > want:
		return v.fail("record", want, "", "missing: the next record present is %d (deleted records)", seq)
	case seq < want:
		return v.fail("record", seq, id, "out of order: expected record %d (reordered or duplicated records)", want)
	case prev != v.prev:
		return v.fail("record", seq, id, "previous-hash %x does not match record %d's hash %x (changed or reordered records)", prev[:4], v.seq, v.prev[:4])
	}
	return nil
}

func (v *verifier) record(r *Record) error {
	if err := v.link(r.Seq, r.ID, r.PrevHash); err != nil {
		return err
	}
	h, err := r.ComputeHash()
	if err != nil {
		return v.fail("record", r.Seq, r.ID, "%v", err)
	}
	if h != r.Hash {
		return v.fail("record", r.Seq, r.ID, "content does not match its hash (a field was changed)")
	}
	if err := v.witnessRecord(r.Seq, h); err != nil {
		return err
	}
	v.advance(r.Seq, h)
	return nil
}

// omitted checks a record that an export replaced by its body digest.
func (v *verifier) omitted(seq uint64, digest, hash [32]byte) error {
	if err := v.link(seq, "", v.prev); err != nil {
		return err
	}
	if chainHash(v.prev, digest) != hash {
		return v.fail("record", seq, "", "omitted record's digest does not match its hash")
	}
	if err := v.witnessRecord(seq, hash); err != nil {
		return err
	}
	v.rep.Omitted++
	v.advance(seq, hash)
	return nil
}

func (v *verifier) advance(seq uint64, h [32]byte) {
	v.seq, v.prev = seq, h
	v.rep.Records++
}

func (v *verifier) checkpoint(c *Checkpoint) error {
	switch {
	case c.Seq > v.seq:
		return v.fail("checkpoint", c.Seq, "", "covers record %d but the chain ends at %d (records removed from the end)", c.Seq, v.seq)
	case c.Seq < v.seq || (v.rep.LastCheckpoint != nil && c.Seq <= v.cpSeq):
		return v.fail("checkpoint", c.Seq, "", "out of order after record %d", v.seq)
	case c.Head != v.prev:
		return v.fail("checkpoint", c.Seq, "", "signed head %x does not match record %d's hash %x", c.Head[:4], c.Seq, v.prev[:4])
	}
	if err := verifyCheckpoint(c, v.certs); err != nil {
		if !(v.skipUnknownCert && errors.Is(err, errUnknownSignerFP)) {
			return v.fail("checkpoint", c.Seq, "", "%v", err)
		}
	} else {
		v.rep.Checkpoints++
	}
	cp := *c
	v.rep.LastCheckpoint = &cp
	v.cpSeq = c.Seq
	return nil
}

func (v *verifier) finish(sealed bool) (Report, error) {
	v.rep.HeadSeq, v.rep.Head = v.seq, v.prev
	base := v.rep.Anchor.Seq
	if v.rep.LastCheckpoint != nil {
		base = v.cpSeq
	}
	v.rep.Unsigned = v.seq - base
	if err := v.witnessFinish(); err != nil {
		return v.rep, err
	}
	if sealed && (v.rep.LastCheckpoint == nil || v.rep.Unsigned != 0) {
		return v.rep, &TamperError{Seq: v.seq, What: "file", Reason: fmt.Sprintf(
			"the last %d records are not covered by a checkpoint, as an archive's must be (truncated or unsigned archive)", v.rep.Unsigned)}
	}
	return v.rep, nil
}

// verifyStore checks the whole chain and every checkpoint of a stored log,
// up to its head when the verification began.
func verifyStore(ctx context.Context, store logstore.Backend, opts VerifyOptions) (Report, error) {
	h, err := readHead(ctx, store)
	if err != nil {
		return Report{}, err
	}
	v := newVerifier(h.anchor, certSet(opts.Certificates))
	v.witnessed = opts.Witnessed
	err = walk(ctx, store, h.raw, h.anchor.Seq+1, 0,
		func(r Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := v.record(&r); err != nil {
				return err
			}
			if opts.Progress != nil {
				opts.Progress(r.Seq)
			}
			return nil
		},
		func(c Checkpoint) error { return v.checkpoint(&c) })
	if err != nil {
		return v.rep, err
	}
	return v.finish(opts.Sealed)
}

// String renders a report the way `darbaza audit verify` prints it.
func (r Report) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "records:      %d", r.Records)
	if r.Omitted > 0 {
		fmt.Fprintf(&b, " (%d present only as digests)", r.Omitted)
	}
	if r.HeadSeq > r.Anchor.Seq {
		fmt.Fprintf(&b, "\nchain:        records %d..%d\n", r.Anchor.Seq+1, r.HeadSeq)
	} else {
		fmt.Fprintf(&b, "\nchain:        no records\n")
	}
	if r.Anchor.Seq > 0 {
		fmt.Fprintf(&b, "starts after: archived record %d, hash %s\n", r.Anchor.Seq, hex.EncodeToString(r.Anchor.Hash[:]))
	}
	fmt.Fprintf(&b, "head:         %s\n", hex.EncodeToString(r.Head[:]))
	fmt.Fprintf(&b, "checkpoints:  %d signatures verified\n", r.Checkpoints)
	if c := r.LastCheckpoint; c != nil {
		fmt.Fprintf(&b, "last checkpoint: record %d at %s, certificate %s\n", c.Seq, c.Time.Format("2006-01-02T15:04:05Z07:00"), c.CertFingerprint)
	}
	if r.Unsigned > 0 {
		fmt.Fprintf(&b, "note:         the last %d records are not yet covered by a checkpoint signature\n", r.Unsigned)
	}
	if r.WitnessChecked {
		fmt.Fprintf(&b, "witnessed:    the log holds the record a witness countersigned, with the same hash\n")
	}
	return b.String()
}
