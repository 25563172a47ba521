// Package logtest is the conformance suite of the access log's storage
// contract (logstore.Backend). Every backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		logtest.Run(t, func(t *testing.T) func() logstore.Backend {
//			path := filepath.Join(t.TempDir(), "log.db")
//			return func() logstore.Backend { return open(t, path) }
//		})
//	}
//
// The suite treats values as opaque bytes, as the contract does; package
// accesslog's own tests check what the log makes of them.
package logtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

// NewStore returns, for one test, a function that opens one store of that
// test's own: the first call opens it empty, and each later call (made
// after the suite closed the previous Backend) opens the same store again.
type NewStore func(t *testing.T) (open func() logstore.Backend)

var format = []byte{0x7f}

// Run runs the suite against the backend newStore makes.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func() logstore.Backend)
	}{
		{"a new store holds no log until Init", testInit},
		{"Init never changes an existing log's format", testInitKeepsFormat},
		{"a commit stores its batch and the head reads it back", testCommitAndHead},
		{"each commit builds on the head the last one stored", testCommitsChain},
		{"concurrent commits are serialised", testConcurrentCommits},
		{"a batch that does not continue the head is refused whole", testConflict},
		{"a failed prepare stores nothing", testPrepareError},
		{"an empty batch stores nothing", testEmptyBatch},
		{"a cancelled commit stores nothing", testCancelledCommit},
		{"records and checkpoints read from any position in pages", testPages},
		{"subject lookups are newest first and paged", testLookup},
		{"trim drops a prefix and moves the anchor", testTrim},
		{"everything survives a reopen", testReopen},
		{"values are copied in and out", testCopies},
		{"backup writes what it counts", testBackup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// opened opens the store, closing it at the end of the test unless the
// test closes it first.
func opened(t *testing.T, open func() logstore.Backend) logstore.Backend {
	t.Helper()
	b := open()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { b.Close() }) })
	return &closeOnce{Backend: b, once: &once}
}

type closeOnce struct {
	logstore.Backend
	once *sync.Once
	err  error
}

func (c *closeOnce) Close() error {
	c.once.Do(func() { c.err = c.Backend.Close() })
	return c.err
}

func initialised(t *testing.T, open func() logstore.Backend) logstore.Backend {
	t.Helper()
	b := opened(t, open)
	if err := b.Init(context.Background(), format); err != nil {
		t.Fatalf("Init: %v", err)
	}
	return b
}

// value is the test value of record or checkpoint seq: distinct per seq
// and kind, and of varying length.
func value(kind string, seq uint64) []byte {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s %d", kind, seq))
	return append(fmt.Appendf(nil, "%s %d:", kind, seq), sum[:seq%32]...)
}

// subjects of record seq: subject seq%3, and subject 9 for every 4th.
func subjects(seq uint64) [][32]byte {
	s := [][32]byte{subject(seq % 3)}
	if seq%4 == 0 {
		s = append(s, subject(9))
	}
	return s
}

func subject(i uint64) [32]byte { return sha256.Sum256(fmt.Appendf(nil, "subject %d", i)) }

func record(seq uint64) logstore.Record {
	return logstore.Record{Item: item("record", seq), Subjects: subjects(seq)}
}

func item(kind string, seq uint64) logstore.Item {
	return logstore.Item{Seq: seq, Value: value(kind, seq)}
}

// appendRange commits records from..to in one batch, with checkpoints at
// the given sequence numbers.
func appendRange(t *testing.T, b logstore.Backend, from, to uint64, cps ...uint64) {
	t.Helper()
	var batch logstore.Batch
	for seq := from; seq <= to; seq++ {
		batch.Records = append(batch.Records, record(seq))
	}
	for _, seq := range cps {
		batch.Checkpoints = append(batch.Checkpoints, item("checkpoint", seq))
	}
	if err := b.Commit(context.Background(), func(logstore.Head) (logstore.Batch, error) { return batch, nil }); err != nil {
		t.Fatalf("Commit %d..%d: %v", from, to, err)
	}
}

func head(t *testing.T, b logstore.Backend) logstore.Head {
	t.Helper()
	h, err := b.Head(context.Background())
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return h
}

func checkItem(t *testing.T, what string, got *logstore.Item, want logstore.Item) {
	t.Helper()
	switch {
	case got == nil:
		t.Errorf("%s: none, want %d", what, want.Seq)
	case got.Seq != want.Seq || !bytes.Equal(got.Value, want.Value):
		t.Errorf("%s: %d %q, want %d %q", what, got.Seq, got.Value, want.Seq, want.Value)
	}
}

// checkHead asserts the newest record and checkpoint (0: none).
func checkHead(t *testing.T, h logstore.Head, rec, cp uint64) {
	t.Helper()
	if !bytes.Equal(h.Format, format) {
		t.Errorf("head format %q, want %q", h.Format, format)
	}
	if rec == 0 && h.Record != nil {
		t.Errorf("head record %d, want none", h.Record.Seq)
	} else if rec != 0 {
		checkItem(t, "head record", h.Record, item("record", rec))
	}
	if cp == 0 && h.Checkpoint != nil {
		t.Errorf("head checkpoint %d, want none", h.Checkpoint.Seq)
	} else if cp != 0 {
		checkItem(t, "head checkpoint", h.Checkpoint, item("checkpoint", cp))
	}
}

// readAll reads every item of one kind with pages of limit from `from`.
func readAll(t *testing.T, page func(context.Context, uint64, int) ([]logstore.Item, error), from uint64, limit int) []logstore.Item {
	t.Helper()
	var out []logstore.Item
	for {
		items, err := page(context.Background(), from, limit)
		if err != nil {
			t.Fatalf("page from %d: %v", from, err)
		}
		if len(items) > limit {
			t.Fatalf("page from %d of limit %d holds %d items", from, limit, len(items))
		}
		out = append(out, items...)
		if len(items) < limit {
			return out
		}
		from = items[len(items)-1].Seq + 1
	}
}

// checkItems asserts items are exactly kind's items at seqs.
func checkItems(t *testing.T, what, kind string, items []logstore.Item, seqs []uint64) {
	t.Helper()
	if len(items) != len(seqs) {
		t.Fatalf("%s: %d items %v, want %d %v", what, len(items), itemSeqs(items), len(seqs), seqs)
	}
	for i, seq := range seqs {
		checkItem(t, fmt.Sprintf("%s: item %d", what, i), &items[i], item(kind, seq))
	}
}

func itemSeqs(items []logstore.Item) []uint64 {
	out := make([]uint64, len(items))
	for i, it := range items {
		out[i] = it.Seq
	}
	return out
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func testInit(t *testing.T, open func() logstore.Backend) {
	b := opened(t, open)
	if h := head(t, b); h.Format != nil || h.Record != nil || h.Checkpoint != nil || h.Anchor != nil {
		t.Errorf("head of a new store: %+v, want the zero Head", h)
	}
	if err := b.Init(context.Background(), format); err != nil {
		t.Fatal(err)
	}
	h := head(t, b)
	checkHead(t, h, 0, 0)
	if h.Anchor != nil {
		t.Errorf("anchor of a new log: %q, want none", h.Anchor)
	}
	if items, err := b.Records(context.Background(), 0, 10); err != nil || len(items) != 0 {
		t.Errorf("records of a new log: %v, %v", items, err)
	}
}

func testInitKeepsFormat(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	appendRange(t, b, 1, 2)
	if err := b.Init(context.Background(), []byte("another")); err != nil {
		t.Fatal(err)
	}
	checkHead(t, head(t, b), 2, 0)
}

func testCommitAndHead(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	appendRange(t, b, 1, 3, 3)
	checkHead(t, head(t, b), 3, 3)
	appendRange(t, b, 4, 5)
	checkHead(t, head(t, b), 5, 3)
	checkItems(t, "records", "record", readAll(t, b.Records, 0, 10), seqRange(1, 5))
	checkItems(t, "checkpoints", "checkpoint", readAll(t, b.Checkpoints, 0, 10), []uint64{3})
}

func testCommitsChain(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	for i := range 5 {
		err := b.Commit(context.Background(), func(h logstore.Head) (logstore.Batch, error) {
			next := uint64(1)
			if h.Record != nil {
				next = h.Record.Seq + 1
			}
			if next != uint64(i+1) {
				return logstore.Batch{}, fmt.Errorf("commit %d sees head %d", i, next-1)
			}
			return logstore.Batch{Records: []logstore.Record{record(next)}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	checkHead(t, head(t, b), 5, 0)
}

// testConcurrentCommits: commits that each chain one record onto the head
// they are given never collide, as several nodes sharing a store must not.
func testConcurrentCommits(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				errs <- b.Commit(context.Background(), func(h logstore.Head) (logstore.Batch, error) {
					next := uint64(1)
					if h.Record != nil {
						next = h.Record.Seq + 1
					}
					return logstore.Batch{Records: []logstore.Record{record(next)}}, nil
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Commit: %v", err)
		}
	}
	checkItems(t, "records", "record", readAll(t, b.Records, 0, 1000), seqRange(1, writers*each))
}

func testConflict(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	appendRange(t, b, 1, 3, 2)
	for _, tt := range []struct {
		name  string
		batch logstore.Batch
	}{
		{"a record at the head", logstore.Batch{Records: []logstore.Record{record(4), record(3)}}},
		{"a record below the head", logstore.Batch{Records: []logstore.Record{record(1)}}},
		{"records out of order", logstore.Batch{Records: []logstore.Record{record(5), record(4)}}},
		{"a repeated record", logstore.Batch{Records: []logstore.Record{record(4), record(4)}}},
		{"a checkpoint at the newest", logstore.Batch{Records: []logstore.Record{record(4)}, Checkpoints: []logstore.Item{item("checkpoint", 2)}}},
		{"checkpoints out of order", logstore.Batch{Checkpoints: []logstore.Item{item("checkpoint", 4), item("checkpoint", 3)}}},
	} {
		err := b.Commit(context.Background(), func(logstore.Head) (logstore.Batch, error) { return tt.batch, nil })
		if !errors.Is(err, logstore.ErrConflict) {
			t.Errorf("%s: Commit = %v, want ErrConflict", tt.name, err)
		}
	}
	checkHead(t, head(t, b), 3, 2)
	checkItems(t, "records", "record", readAll(t, b.Records, 0, 10), seqRange(1, 3))
}

func testPrepareError(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	appendRange(t, b, 1, 1)
	boom := errors.New("boom")
	err := b.Commit(context.Background(), func(logstore.Head) (logstore.Batch, error) {
		return logstore.Batch{Records: []logstore.Record{record(2)}, Checkpoints: []logstore.Item{item("checkpoint", 2)}}, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Commit = %v, want prepare's error", err)
	}
	checkHead(t, head(t, b), 1, 0)
	if got := lookupSeqs(t, b, subject(2), ^uint64(0), 10); len(got) != 0 {
		t.Errorf("a failed commit indexed records %v", got)
	}
}

func testEmptyBatch(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	appendRange(t, b, 1, 1)
	if err := b.Commit(context.Background(), func(logstore.Head) (logstore.Batch, error) { return logstore.Batch{}, nil }); err != nil {
		t.Errorf("empty Commit = %v", err)
	}
	checkHead(t, head(t, b), 1, 0)
}

func testCancelledCommit(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := b.Commit(ctx, func(logstore.Head) (logstore.Batch, error) {
		return logstore.Batch{Records: []logstore.Record{record(1)}}, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Commit with a cancelled context = %v, want context.Canceled", err)
	}
	checkHead(t, head(t, b), 0, 0)
}

// testPages reads 2,100 records and checkpoints every 3rd, plus two
// checkpoints beyond the last record, from many positions and in pages of
// many sizes, across the 1,024-item pages the log reads in.
func testPages(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	const n = 2100
	var cps []uint64
	for s := uint64(3); s <= n; s += 3 {
		cps = append(cps, s)
	}
	appendRange(t, b, 1, 1000, cps[:333]...)
	appendRange(t, b, 1001, n, append(slices.Clone(cps[333:]), n+1, n+500)...)
	cps = append(cps, n+1, n+500)
	checkHead(t, head(t, b), n, n+500)
	for _, from := range []uint64{0, 1, 2, 1023, 1024, 1025, 2048, n, n + 1, n + 500, n + 501} {
		for _, limit := range []int{1, 7, 1024, 5000} {
			if limit == 1 && from < 1000 {
				continue // slow and adds nothing
			}
			want := seqRange(max(from, 1), n)
			checkItems(t, fmt.Sprintf("records from %d by %d", from, limit), "record", readAll(t, b.Records, from, limit), want)
			var wantCPs []uint64
			for _, s := range cps {
				if s >= from {
					wantCPs = append(wantCPs, s)
				}
			}
			checkItems(t, fmt.Sprintf("checkpoints from %d by %d", from, limit), "checkpoint", readAll(t, b.Checkpoints, from, limit), wantCPs)
		}
	}
}

func lookupSeqs(t *testing.T, b logstore.Backend, s [32]byte, atMost uint64, limit int) []uint64 {
	t.Helper()
	items, err := b.Lookup(context.Background(), s, atMost, limit)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	for _, it := range items {
		if it.Value != nil && !bytes.Equal(it.Value, value("record", it.Seq)) {
			t.Errorf("Lookup returned record %d with value %q", it.Seq, it.Value)
		}
	}
	return itemSeqs(items)
}

func testLookup(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	appendRange(t, b, 1, 20)
	appendRange(t, b, 21, 30)
	for _, tt := range []struct {
		name    string
		subject [32]byte
		atMost  uint64
		limit   int
		want    []uint64
	}{
		{"everything", subject(1), ^uint64(0), 100, []uint64{28, 25, 22, 19, 16, 13, 10, 7, 4, 1}},
		{"a first page", subject(1), ^uint64(0), 3, []uint64{28, 25, 22}},
		{"a page from a record of the subject", subject(1), 22, 3, []uint64{22, 19, 16}},
		{"a page from between its records", subject(1), 21, 2, []uint64{19, 16}},
		{"the oldest", subject(1), 1, 5, []uint64{1}},
		{"before the oldest", subject(2), 1, 5, nil},
		{"a second subject of a record", subject(9), ^uint64(0), 100, []uint64{28, 24, 20, 16, 12, 8, 4}},
		{"a subject the log does not know", subject(5), ^uint64(0), 100, nil},
	} {
		if got := lookupSeqs(t, b, tt.subject, tt.atMost, tt.limit); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testTrim(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	appendRange(t, b, 1, 10, 4, 8)
	var refs []logstore.SubjectRef
	for seq := uint64(1); seq <= 5; seq++ {
		for _, s := range subjects(seq) {
			refs = append(refs, logstore.SubjectRef{Subject: s, Seq: seq})
		}
	}
	anchor := []byte("anchor after 5")
	if err := b.Trim(context.Background(), 5, refs, anchor); err != nil {
		t.Fatal(err)
	}
	h := head(t, b)
	checkHead(t, h, 10, 8)
	if !bytes.Equal(h.Anchor, anchor) {
		t.Errorf("anchor = %q, want %q", h.Anchor, anchor)
	}
	checkItems(t, "records", "record", readAll(t, b.Records, 0, 3), seqRange(6, 10))
	checkItems(t, "checkpoints", "checkpoint", readAll(t, b.Checkpoints, 0, 3), []uint64{8})
	if got := lookupSeqs(t, b, subject(1), ^uint64(0), 100); !slices.Equal(got, []uint64{10, 7}) {
		t.Errorf("lookup after trim: %v, want [10 7]", got)
	}
	// Trimming everything leaves the anchor, and the next commit goes on.
	refs = refs[:0]
	for seq := uint64(6); seq <= 10; seq++ {
		for _, s := range subjects(seq) {
			refs = append(refs, logstore.SubjectRef{Subject: s, Seq: seq})
		}
	}
	if err := b.Trim(context.Background(), 10, refs, []byte("anchor after 10")); err != nil {
		t.Fatal(err)
	}
	h = head(t, b)
	checkHead(t, h, 0, 0)
	if string(h.Anchor) != "anchor after 10" {
		t.Errorf("anchor = %q", h.Anchor)
	}
	appendRange(t, b, 11, 12)
	checkHead(t, head(t, b), 12, 0)
	if got := lookupSeqs(t, b, subject(1), ^uint64(0), 100); len(got) != 0 {
		t.Errorf("lookup after trimming everything and two commits: %v", got)
	}
}

func testReopen(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	appendRange(t, b, 1, 1500, 700, 1500)
	if err := b.Trim(context.Background(), 2, []logstore.SubjectRef{{Subject: subject(1), Seq: 1}, {Subject: subject(2), Seq: 2}}, []byte("anchor")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = opened(t, open)
	h := head(t, b)
	checkHead(t, h, 1500, 1500)
	if string(h.Anchor) != "anchor" {
		t.Errorf("anchor after reopen = %q", h.Anchor)
	}
	checkItems(t, "records after reopen", "record", readAll(t, b.Records, 0, 1024), seqRange(3, 1500))
	checkItems(t, "checkpoints after reopen", "checkpoint", readAll(t, b.Checkpoints, 0, 1024), []uint64{700, 1500})
	if got := lookupSeqs(t, b, subject(9), 12, 2); !slices.Equal(got, []uint64{12, 8}) {
		t.Errorf("lookup after reopen: %v", got)
	}
	// Init on the reopened store changes nothing; commits go on.
	if err := b.Init(context.Background(), format); err != nil {
		t.Fatal(err)
	}
	appendRange(t, b, 1501, 1501)
	checkHead(t, head(t, b), 1501, 1500)
}

func testCopies(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	r := record(1)
	r.Value = bytes.Clone(r.Value)
	if err := b.Commit(context.Background(), func(logstore.Head) (logstore.Batch, error) {
		return logstore.Batch{Records: []logstore.Record{r}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	r.Value[0] ^= 0xff // the caller reuses its buffer
	items, err := b.Records(context.Background(), 0, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("Records = %v, %v", items, err)
	}
	items[0].Value[0] ^= 0xff // the caller changes what it was given
	checkItems(t, "records", "record", readAll(t, b.Records, 0, 10), []uint64{1})
	checkHead(t, head(t, b), 1, 0)
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func testBackup(t *testing.T, open func() logstore.Backend) {
	b := initialised(t, open)
	appendRange(t, b, 1, 50, 50)
	var w countingWriter
	n, err := b.Backup(context.Background(), &w)
	if errors.Is(err, errors.ErrUnsupported) {
		// The contract's other answer: backups are its database's tools'
		// business. Then it must say so and write nothing.
		if n != 0 || w.n != 0 {
			t.Errorf("an unsupported Backup wrote %d bytes (reported %d)", w.n, n)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n != w.n {
		t.Errorf("Backup reported %d bytes and wrote %d", n, w.n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Backup(ctx, io.Discard); err == nil {
		t.Error("Backup with a cancelled context succeeded")
	}
}
