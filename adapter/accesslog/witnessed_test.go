package accesslog

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// witnessedFixture is tamperFixture with what a witness countersigned:
// the newest checkpoint (record 5).
func witnessedFixture(tb testing.TB, k testKey) (*memData, Options, *Witnessed) {
	tb.Helper()
	d, opts := tamperFixture(tb, k)
	cp := d.checkpoint(tb, 5)
	return d, opts, &Witnessed{Size: cp.Seq, Head: cp.Head}
}

// The tampering a signature check cannot see, because the attacker
// removed or re-signed every checkpoint that would show it; a witness's
// countersigned checkpoint shows it.
func TestVerifyWithAWitnessFindsWhatTheAdaptersKeysCannot(t *testing.T) {
	k := newECKey(t)
	tests := []struct {
		name       string
		edit       func(t *testing.T, d *memData, k testKey)
		wantSeq    uint64
		wantReason string
	}{
		{"a truncated tail together with its checkpoint", func(t *testing.T, d *memData, _ testKey) {
			delete(d.records, 5)
			delete(d.records, 4)
			delete(d.checkpoints, 5)
		}, 4, "records removed from the end"},
		{"the last record cut, no checkpoint covering the rest", func(t *testing.T, d *memData, _ testKey) {
			delete(d.records, 5)
			delete(d.checkpoints, 5)
		}, 5, "records removed from the end"},
		{"history rewritten and re-signed with the real key", func(t *testing.T, d *memData, k testKey) {
			prev := d.record(t, 1).Hash
			for seq := uint64(2); seq <= 5; seq++ {
				r := d.record(t, seq)
				if seq == 2 {
					r.Client = "central-server/GOV/70000009/someone-else"
				}
				r.PrevHash = prev
				r.Hash, _ = r.ComputeHash()
				prev = r.Hash
				d.putRecord(t, seq, r)
				if _, ok := d.checkpoints[seq]; ok {
					c := Checkpoint{Seq: seq, Head: r.Hash, Time: d.checkpoint(t, seq).Time}
					if err := signCheckpoint(&c, k.Key, k.Cert, nil); err != nil {
						t.Fatal(err)
					}
					d.putCheckpoint(seq, c)
				}
			}
		}, 5, "history rewritten"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, opts, w := witnessedFixture(t, k)
			tt.edit(t, d, k)
			// Without the witness, the log passes: this is what the
			// witness is for.
			if te, openRefused := verifyStored(t, d, opts, k); te != nil || openRefused {
				t.Fatalf("the edit is visible without a witness (%v, open refused %v); the test proves nothing", te, openRefused)
			}
			rd, err := NewReader(d.open())
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			vo := verifyOpts(k)
			vo.Witnessed = w
			_, err = rd.Verify(context.Background(), vo)
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("Verify with the witness: %v, want a TamperError", err)
			}
			if te.Seq != tt.wantSeq || !strings.Contains(te.Reason, tt.wantReason) {
				t.Errorf("Verify with the witness: %v, want record %d: ... %s", te, tt.wantSeq, tt.wantReason)
			}
		})
	}
}

func TestVerifyWithAWitnessPassesTheUntamperedLogAndSaysSo(t *testing.T) {
	k := newECKey(t)
	d, _, w := witnessedFixture(t, k)
	rd, err := NewReader(d.open())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	vo := verifyOpts(k)
	vo.Witnessed = w
	rep, err := rd.Verify(context.Background(), vo)
	if err != nil || !rep.WitnessChecked {
		t.Fatalf("Verify: %v, witness checked %v", err, rep.WitnessChecked)
	}
	if !strings.Contains(rep.String(), "witnessed:") {
		t.Errorf("the report does not mention the witness:\n%s", rep)
	}
	// A witness that saw fewer records still matches its record.
	r3 := d.record(t, 3)
	vo.Witnessed = &Witnessed{Size: 3, Head: r3.Hash}
	if rep, err := rd.Verify(context.Background(), vo); err != nil || !rep.WitnessChecked {
		t.Fatalf("Verify with an older witnessed checkpoint: %v, witness checked %v", err, rep.WitnessChecked)
	}
}

// An export cut right after a checkpoint verifies on its own; the witness
// shows the cut.
func TestVerifyExportWithAWitnessFindsAnExportTruncatedAtACheckpoint(t *testing.T) {
	k := newECKey(t)
	d, opts, w := witnessedFixture(t, k)
	opts.Backend = d.open()
	l := openTestLog(t, opts)
	var out bytes.Buffer
	if _, err := l.Export(context.Background(), &out, FormatJSONL, Filter{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(out.String(), "\n")
	cut := -1
	for i, line := range lines {
		if strings.HasPrefix(line, `{"type":"checkpoint","seq":3,`) {
			cut = i + 1
		}
	}
	if cut < 0 {
		t.Fatalf("no checkpoint 3 in the export:\n%s", out.String())
	}
	truncated := strings.Join(lines[:cut], "")
	if _, err := VerifyExport(context.Background(), strings.NewReader(truncated), verifyOpts(k)); err != nil {
		t.Fatalf("the truncated export fails without a witness (%v); the test proves nothing", err)
	}
	vo := verifyOpts(k)
	vo.Witnessed = w
	_, err := VerifyExport(context.Background(), strings.NewReader(truncated), vo)
	var te *TamperError
	if !errors.As(err, &te) || !strings.Contains(te.Reason, "records removed from the end") || te.Seq != 4 {
		t.Fatalf("VerifyExport with the witness: %v, want record 4 missing", err)
	}
	if _, err := VerifyExport(context.Background(), &out, vo); err != nil {
		t.Fatalf("the whole export with the witness: %v", err)
	}
}

func TestExtensionProvesTheChainFromOneSizeToAnother(t *testing.T) {
	k := newECKey(t)
	d, opts := tamperFixture(t, k)
	opts.Backend = d.open()
	l := openTestLog(t, opts)
	ctx := context.Background()
	for _, from := range []uint64{0, 1, 3, 5} {
		prev, digests, err := l.Extension(ctx, from, 5)
		if err != nil {
			t.Fatalf("Extension(%d, 5): %v", from, err)
		}
		if len(digests) != int(5-from) {
			t.Fatalf("Extension(%d, 5): %d digests", from, len(digests))
		}
		var want [32]byte
		if from > 0 {
			want = d.record(t, from).Hash
		}
		if prev != want {
			t.Errorf("Extension(%d, 5) starts at %x, want record %d's hash %x", from, prev[:4], from, want[:4])
		}
		if got := Extend(prev, digests); got != d.record(t, 5).Hash {
			t.Errorf("Extension(%d, 5) does not lead to the head", from)
		}
	}
	for _, bad := range [][2]uint64{{3, 2}, {0, 6}} {
		if _, _, err := l.Extension(ctx, bad[0], bad[1]); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Extension(%d, %d): %v, want ErrInvalidArgument", bad[0], bad[1], err)
		}
	}
}
