package accesslog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/darbaza/darbaza/adapter/accesslog/boltlog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

// writeChain stores n chained records and a signed checkpoint after every
// record seq for which cpAt(seq) is true, plus checkpoints at the sequence
// numbers in beyond (past the last record), in one commit to a new log
// file. It returns the file and the sequence numbers of the checkpoints.
func writeChain(tb testing.TB, k testKey, n int, cpAt func(seq uint64) bool, beyond []uint64) (string, []uint64) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "accesslog.db")
	store, err := boltlog.Open(path, boltlog.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer store.Close()
	if err := store.Init(context.Background(), formatValue()); err != nil {
		tb.Fatal(err)
	}
	var cps []uint64
	var batch logstore.Batch
	putCP := func(seq uint64, head [32]byte) error {
		c := &Checkpoint{Seq: seq, Head: head, Time: newClock().Now()}
		if err := signCheckpoint(c, k.Key, k.Cert, nil); err != nil {
			return err
		}
		cps = append(cps, seq)
		batch.Checkpoints = append(batch.Checkpoints, logstore.Item{Seq: seq, Value: encodeCheckpoint(c)})
		return nil
	}
	var head [32]byte
	for i := 1; i <= n; i++ {
		r, err := newRecord(testEntry(i), testSubjectKey)
		if err != nil {
			tb.Fatal(err)
		}
		r.Seq, r.PrevHash = uint64(i), head
		if r.Hash, err = r.ComputeHash(); err != nil {
			tb.Fatal(err)
		}
		head = r.Hash
		v, err := encodeStored(&r)
		if err != nil {
			tb.Fatal(err)
		}
		batch.Records = append(batch.Records, logstore.Record{Item: logstore.Item{Seq: r.Seq, Value: v}})
		if cpAt(r.Seq) {
			if err := putCP(r.Seq, head); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for _, seq := range beyond {
		if err := putCP(seq, head); err != nil {
			tb.Fatal(err)
		}
	}
	if err := store.Commit(context.Background(), func(logstore.Head) (logstore.Batch, error) { return batch, nil }); err != nil {
		tb.Fatal(err)
	}
	return path, cps
}

// TestEveryReaderSeesEveryItem is the property test of walk: whatever the
// number of records and wherever the checkpoints are, verify, export,
// list and the walk itself return exactly the records and checkpoints
// stored. Sizes straddle walk's chunk of 1,024 items.
func TestEveryReaderSeesEveryItem(t *testing.T) {
	k := newECKey(t)
	type placement struct {
		name   string
		at     func(n int) func(uint64) bool
		beyond func(n int) []uint64
	}
	never := func(int) func(uint64) bool { return func(uint64) bool { return false } }
	none := func(int) []uint64 { return nil }
	placements := []placement{
		{"no checkpoints", never, none},
		{"checkpoint at the first record", func(int) func(uint64) bool { return func(s uint64) bool { return s == 1 } }, none},
		{"checkpoint at the last record", func(n int) func(uint64) bool { return func(s uint64) bool { return s == uint64(n) } }, none},
		{"checkpoint every 7th record", func(int) func(uint64) bool { return func(s uint64) bool { return s%7 == 0 } }, none},
		{"checkpoint every 500th record", func(int) func(uint64) bool { return func(s uint64) bool { return s%500 == 0 } }, none},
		{"checkpoints only beyond the last record", never, func(n int) []uint64 { return []uint64{uint64(n) + 1, uint64(n) + 2000} }},
	}
	for _, n := range []int{0, 1, 1023, 1024, 1025, 2049, 10000} {
		for _, p := range placements {
			t.Run(fmt.Sprintf("%d records, %s", n, p.name), func(t *testing.T) {
				path, cps := writeChain(t, k, n, p.at(n), p.beyond(n))
				r, err := OpenReader(path, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				ctx := context.Background()

				var gotRecs, gotCPs []uint64
				h, err := r.store.Head(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := walk(ctx, r.store, h, 1, 0,
					func(rec Record) error { gotRecs = append(gotRecs, rec.Seq); return nil },
					func(c Checkpoint) error { gotCPs = append(gotCPs, c.Seq); return nil }); err != nil {
					t.Fatalf("walk: %v", err)
				}
				assertSeqs(t, "walk records", gotRecs, n)
				assertSame(t, "walk checkpoints", gotCPs, cps)

				listed := 0
				if err := r.List(ctx, Filter{}, func(Record) error { listed++; return nil }); err != nil {
					t.Fatalf("List: %v", err)
				}
				if listed != n {
					t.Errorf("List saw %d records, want %d", listed, n)
				}

				var buf bytes.Buffer
				sum, err := r.Export(ctx, &buf, FormatJSONL, Filter{})
				if err != nil {
					t.Fatalf("Export: %v", err)
				}
				if sum.Records != n || sum.Checkpoints != len(cps) || sum.HeadSeq != uint64(n) {
					t.Errorf("Export wrote %+v, want %d records, %d checkpoints, head %d", sum, n, len(cps), n)
				}
				exRecs, exCPs := exportedSeqs(t, buf.Bytes())
				assertSeqs(t, "exported records", exRecs, n)
				assertSame(t, "exported checkpoints", exCPs, cps)

				rep, err := r.Verify(ctx, verifyOpts(k))
				if len(p.beyond(n)) > 0 {
					if !errors.Is(err, ErrTampered) {
						t.Fatalf("Verify of checkpoints beyond the last record: %v, want ErrTampered", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if rep.Records != n || rep.HeadSeq != uint64(n) || rep.Checkpoints != len(cps) {
					t.Errorf("Verify checked %d records to head %d with %d checkpoints, want %d to %d with %d",
						rep.Records, rep.HeadSeq, rep.Checkpoints, n, n, len(cps))
				}
			})
		}
	}
}

// shortStore is a backend whose reads stop early: Records and
// Checkpoints return nothing at or after stopAt, as a broken backend or a
// broken paging loop would.
type shortStore struct {
	logstore.Backend
	stopAt uint64
}

func (s shortStore) cut(items []logstore.Item, err error) ([]logstore.Item, error) {
	for i, it := range items {
		if it.Seq >= s.stopAt {
			return items[:i], err
		}
	}
	return items, err
}

func (s shortStore) Records(ctx context.Context, from uint64, limit int) ([]logstore.Item, error) {
	return s.cut(s.Backend.Records(ctx, from, limit))
}

func (s shortStore) Checkpoints(ctx context.Context, from uint64, limit int) ([]logstore.Item, error) {
	return s.cut(s.Backend.Checkpoints(ctx, from, limit))
}

// TestWalkThatStopsShortIsAnError: a walk that did not reach the last
// record or checkpoint stored when it began fails, whatever made it stop,
// and so do verify, list and export; none reports a partial success.
func TestWalkThatStopsShortIsAnError(t *testing.T) {
	k := newECKey(t)
	path, _ := writeChain(t, k, 3000, func(s uint64) bool { return s%1500 == 0 }, nil)
	ctx := context.Background()
	for _, stopAt := range []uint64{1, 1024, 1025, 2049, 3000} {
		t.Run(fmt.Sprintf("reads stop at %d", stopAt), func(t *testing.T) {
			store, err := boltlog.Open(path, boltlog.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(shortStore{store, stopAt})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			h, err := r.store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := walk(ctx, r.store, h, 1, 0, nil, func(Checkpoint) error { return nil }); !errors.Is(err, errWalkShort) {
				t.Errorf("walk: %v, want errWalkShort", err)
			}
			if _, err := r.Verify(ctx, verifyOpts(k)); !errors.Is(err, errWalkShort) {
				t.Errorf("Verify: %v, want errWalkShort", err)
			}
			if err := r.List(ctx, Filter{}, func(Record) error { return nil }); !errors.Is(err, errWalkShort) {
				t.Errorf("List: %v, want errWalkShort", err)
			}
			if _, err := r.Export(ctx, io.Discard, FormatJSONL, Filter{}); !errors.Is(err, errWalkShort) {
				t.Errorf("Export: %v, want errWalkShort", err)
			}
		})
	}
}

func assertSeqs(tb testing.TB, what string, got []uint64, n int) {
	tb.Helper()
	if len(got) != n {
		tb.Fatalf("%s: %d, want %d", what, len(got), n)
	}
	for i, s := range got {
		if s != uint64(i+1) {
			tb.Fatalf("%s: item %d is %d, want %d", what, i, s, i+1)
		}
	}
}

func assertSame(tb testing.TB, what string, got, want []uint64) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			tb.Fatalf("%s: item %d is %d, want %d", what, i, got[i], want[i])
		}
	}
}

// exportedSeqs reads the sequence numbers of the record and checkpoint
// lines of a JSON Lines export.
func exportedSeqs(tb testing.TB, b []byte) (recs, cps []uint64) {
	tb.Helper()
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var item struct {
			Type string `json:"type"`
			Seq  uint64 `json:"seq"`
		}
		if err := json.Unmarshal(sc.Bytes(), &item); err != nil {
			tb.Fatal(err)
		}
		switch item.Type {
		case "record":
			recs = append(recs, item.Seq)
		case "checkpoint":
			cps = append(cps, item.Seq)
		}
	}
	return recs, cps
}
