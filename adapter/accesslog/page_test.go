package accesslog

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

func TestBeforeWalksTheLogBackwardsBySequence(t *testing.T) {
	ctx := context.Background()
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	if recs, err := l.Before(ctx, 0, 10); err != nil || len(recs) != 0 {
		t.Fatalf("empty log: Before = %d records, %v; want none", len(recs), err)
	}
	want := appendN(t, l, 25)
	var got []uint64
	for before := uint64(0); ; {
		page, err := l.Before(ctx, before, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			got = append(got, r.Seq)
		}
		if len(page) < 7 {
			break
		}
		before = page[len(page)-1].Seq
	}
	if len(got) != len(want) {
		t.Fatalf("walked %d records, want %d: %v", len(got), len(want), got)
	}
	for i, seq := range got {
		if seq != uint64(len(want)-i) {
			t.Fatalf("record %d of the walk is %d, want %d (newest first, none skipped)", i, seq, len(want)-i)
		}
	}
	one, err := l.Before(ctx, 13, 1)
	if err != nil || len(one) != 1 || one[0].Seq != 12 || one[0].Hash != want[11].Hash {
		t.Fatalf("Before(13, 1) = %v, %v; want record 12 as stored", one, err)
	}
	if recs, err := l.Before(ctx, 1, 5); err != nil || len(recs) != 0 {
		t.Fatalf("Before(1) = %d records, %v; want none", len(recs), err)
	}
	if _, err := l.Before(ctx, 0, 0); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Before with limit 0: %v, want ErrInvalidArgument", err)
	}
}

func TestBeforeStartsAfterTheArchivedRecords(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db"))
	l := openTestLog(t, opts)
	recs := appendN(t, l, 10)
	var archive syncBuffer
	if _, err := l.Archive(ctx, recs[4].Time, &archive); err != nil {
		t.Fatal(err)
	}
	page, err := l.Before(ctx, 0, MaxPage+5)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, r := range page {
		seqs = append(seqs, r.Seq)
	}
	if !slices.Equal(seqs, []uint64{10, 9, 8, 7, 6, 5}) {
		t.Fatalf("after archiving 1..4, Before lists %v", seqs)
	}
}

func TestStateNamesTheHeadAndTheNewestCheckpoint(t *testing.T) {
	ctx := context.Background()
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	st, err := l.State(ctx)
	if err != nil || st.HeadSeq != 0 || st.LastCheckpoint != nil {
		t.Fatalf("empty log: State = %+v, %v", st, err)
	}
	appendN(t, l, 3)
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 2)
	st, err = l.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.HeadSeq != 5 || st.LastCheckpoint == nil || st.LastCheckpoint.Seq != 3 || !bytes.Equal(st.LastCheckpoint.Signature, cp.Signature) {
		t.Fatalf("State = %+v, want head 5 and the checkpoint over record 3", st)
	}
}

func TestVerifyReportsProgressForEveryRecord(t *testing.T) {
	k := newECKey(t)
	l := openTestLog(t, testOptions(t, k, filepath.Join(t.TempDir(), "log.db")))
	appendN(t, l, 12)
	var seen []uint64
	opts := verifyOpts(k)
	opts.Progress = func(seq uint64) { seen = append(seen, seq) }
	rep, err := l.Verify(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != rep.Records || seen[0] != 1 || seen[len(seen)-1] != 12 || !slices.IsSorted(seen) {
		t.Fatalf("progress %v for a report of %d records", seen, rep.Records)
	}
}

// syncBuffer is an in-memory archive destination.
type syncBuffer struct{ bytes.Buffer }

func (*syncBuffer) Sync() error { return nil }
