package accesslog

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

func TestAppendChainsRecordsAndStoresOnlyHMACsOfPINs(t *testing.T) {
	k := newECKey(t)
	l := openTestLog(t, testOptions(t, k, filepath.Join(t.TempDir(), "log.db")))
	recs := appendN(t, l, 3)
	var prev [32]byte
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Errorf("record %d: Seq = %d", i, r.Seq)
		}
		if r.PrevHash != prev {
			t.Errorf("record %d: PrevHash does not link to the previous record", i)
		}
		if h, _ := r.ComputeHash(); h != r.Hash {
			t.Errorf("record %d: Hash does not match content", i)
		}
		pin := testEntry(i + 1).Subjects[0]
		if len(r.Subjects) != 1 || r.Subjects[0] != l.SubjectID(pin) || strings.Contains(r.Subjects[0], pin) {
			t.Errorf("record %d: Subjects = %v, want only the HMAC of %s", i, r.Subjects, pin)
		}
		prev = r.Hash
	}
	if seq, head := l.Head(); seq != 3 || head != prev {
		t.Errorf("Head = %d, %x; want 3, %x", seq, head, prev)
	}
}

func TestAppendRejectsInvalidEntries(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	tests := []struct {
		name string
		edit func(*Entry)
	}{
		{"empty id", func(e *Entry) { e.ID = "" }},
		{"empty outcome", func(e *Entry) { e.Outcome = "" }},
		{"zero time", func(e *Entry) { e.Time = time.Time{} }},
		{"year after 9999", func(e *Entry) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"negative latency", func(e *Entry) { e.Latency = -1 }},
		{"empty subject", func(e *Entry) { e.Subjects = []string{""} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEntry(1)
			tt.edit(&e)
			if _, err := l.Append(context.Background(), e); !errors.Is(err, ErrInvalidEntry) {
				t.Fatalf("Append: %v, want ErrInvalidEntry", err)
			}
		})
	}
	if seq, _ := l.Head(); seq != 0 {
		t.Errorf("invalid entries advanced the chain to %d", seq)
	}
}

func TestAppendCleansFieldsSoEveryExportReadsTheSame(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	e := testEntry(1)
	e.Reason = "bad\r\nline\x1b[31m\xff" + strings.Repeat("я", MaxFieldBytes)
	e.Subjects = []string{"20101199000001", "20101199000001", "10101199000002"}
	r, err := l.Append(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Reason, "bad\uFFFD\uFFFDline\uFFFD[31m\uFFFD") || len(r.Reason) > MaxFieldBytes {
		t.Errorf("Reason = %q (%d bytes)", r.Reason[:20], len(r.Reason))
	}
	if !strings.HasSuffix(r.Reason, "я") {
		t.Errorf("Reason was cut inside a UTF-8 sequence")
	}
	if len(r.Subjects) != 2 || r.Subjects[0] > r.Subjects[1] {
		t.Errorf("Subjects = %v, want two sorted unique HMACs", r.Subjects)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	k, other := newECKey(t), newECKey(t)
	path := filepath.Join(t.TempDir(), "log.db")
	tests := []struct {
		name string
		edit func(*Options)
	}{
		{"no path", func(o *Options) { o.Path = "" }},
		{"both a path and a backend", func(o *Options) { o.Backend = newMemData().open() }},
		{"no signer", func(o *Options) { o.Signer = nil }},
		{"no certificate", func(o *Options) { o.Certificate = nil }},
		{"certificate of another key", func(o *Options) { o.Certificate = other.Cert }},
		{"short subject key", func(o *Options) { o.SubjectKey = []byte("short") }},
		{"negative interval", func(o *Options) { o.CheckpointInterval = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t, k, path)
			tt.edit(&o)
			if l, err := Open(o); !errors.Is(err, ErrInvalidOptions) {
				if err == nil {
					l.Close()
				}
				t.Fatalf("Open: %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func TestReopenContinuesTheChainAndCloseSignsTheHead(t *testing.T) {
	k := newECKey(t)
	opts := testOptions(t, k, filepath.Join(t.TempDir(), "log.db"))
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	first := appendN(t, l, 5)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), testEntry(6)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if err := l.Healthy(); !errors.Is(err, ErrClosed) {
		t.Errorf("Healthy after Close: %v, want ErrClosed", err)
	}
	l = openTestLog(t, opts)
	r, err := l.Append(context.Background(), testEntry(6))
	if err != nil {
		t.Fatal(err)
	}
	if r.Seq != 6 || r.PrevHash != first[4].Hash {
		t.Errorf("after reopen: Seq %d, PrevHash links to the old head: %v", r.Seq, r.PrevHash == first[4].Hash)
	}
	rep, err := l.Verify(context.Background(), verifyOpts(k))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 6 || rep.Checkpoints != 1 || rep.LastCheckpoint.Seq != 5 || rep.Unsigned != 1 {
		t.Errorf("report = %+v; want 6 records, Close's checkpoint at 5, 1 unsigned", rep)
	}
}

func TestConcurrentAppendsShareCommits(t *testing.T) {
	k := newECKey(t)
	l := openTestLog(t, testOptions(t, k, filepath.Join(t.TempDir(), "log.db")))
	release := make(chan struct{})
	var mu sync.Mutex
	var batches []int
	l.beforeCommit = func(n int) error {
		mu.Lock()
		batches = append(batches, n)
		first := len(batches) == 1
		mu.Unlock()
		if first {
			<-release // hold the first commit until the others queue up
		}
		return nil
	}
	const waiting = 20
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); l.Append(context.Background(), testEntry(0)) }()
	for len(l.reqs) != 0 || func() bool { mu.Lock(); defer mu.Unlock(); return len(batches) == 0 }() {
		time.Sleep(time.Millisecond)
	}
	for i := 1; i <= waiting; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Append(context.Background(), testEntry(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	for len(l.reqs) != waiting {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 2 || batches[0] != 1 || batches[1] != waiting {
		t.Errorf("commit batches = %v, want [1 %d]: queued appends must share one commit", batches, waiting)
	}
}

func TestLoneAppendsAreCommittedOneByOne(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	var batches []int
	l.beforeCommit = func(n int) error { batches = append(batches, n); return nil }
	appendN(t, l, 3)
	if len(batches) != 3 {
		t.Errorf("batches = %v, want one commit per sequential append (no waiting for company)", batches)
	}
}

func TestExpectedAppendsShareOneCommit(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	l.lingerFor = time.Hour // were the batch not held for the expected records, they would be committed apart
	var mu sync.Mutex
	var batches []int
	l.beforeCommit = func(n int) error { mu.Lock(); defer mu.Unlock(); batches = append(batches, n); return nil }
	const expected = 5
	l.Expect(expected)
	var wg sync.WaitGroup
	for i := range expected {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Append(context.Background(), testEntry(i)); err != nil {
				t.Error(err)
			}
			l.Expect(-1)
		}()
		time.Sleep(time.Millisecond) // the Appends arrive one by one, as a pipeline's do
	}
	wg.Wait()
	if len(batches) != 1 || batches[0] != expected {
		t.Errorf("commit batches = %v, want [%d]: records announced by Expect must share the commit", batches, expected)
	}
	if n := l.expected.Load(); n != 0 {
		t.Errorf("expected = %d after every Append, want 0", n)
	}
}

func TestALingerEndsAtItsTargetBatch(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	l.lingerFor = time.Hour // a batch held past lingerTarget would hang the test until its timeout
	var mu sync.Mutex
	var batches []int
	l.beforeCommit = func(n int) error { mu.Lock(); defer mu.Unlock(); batches = append(batches, n); return nil }
	l.Expect(lingerTarget * 2) // half of them never come
	var wg sync.WaitGroup
	for i := range lingerTarget {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Append(context.Background(), testEntry(i)); err != nil {
				t.Error(err)
			}
		}()
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	if len(batches) != 1 || batches[0] != lingerTarget {
		t.Errorf("commit batches = %v, want [%d]", batches, lingerTarget)
	}
}

func TestALoneExpectedAppendIsNotHeld(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	l.lingerFor = time.Hour // a held batch would hang the test until its timeout
	var batches []int
	l.beforeCommit = func(n int) error { batches = append(batches, n); return nil }
	for i := range 3 {
		l.Expect(1)
		if _, err := l.Append(context.Background(), testEntry(i)); err != nil {
			t.Fatal(err)
		}
		l.Expect(-1)
	}
	if len(batches) != 3 {
		t.Errorf("batches = %v, want one commit per sequential append", batches)
	}
}

func TestCloseEndsALinger(t *testing.T) {
	l, err := Open(testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	if err != nil {
		t.Fatal(err)
	}
	l.lingerFor = time.Hour
	l.Expect(2) // one of them never comes
	rec, err := newRecord(testEntry(0), l.subjectKey)
	if err != nil {
		t.Fatal(err)
	}
	req := &request{rec: rec, done: make(chan result, 1)}
	l.reqs <- req
	for len(l.reqs) != 0 { // the committer took it and holds it for the other
		time.Sleep(time.Millisecond)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if res := <-req.done; res.err != nil {
		t.Errorf("the held record: %v, want it committed at Close", res.err)
	}
	if seq, _ := l.Head(); seq != 1 {
		t.Errorf("head = %d after Close, want the held record committed (1)", seq)
	}
}

func TestFailedCommitFailsTheBatchAndEveryLaterAppend(t *testing.T) {
	k := newECKey(t)
	reg := prometheus.NewRegistry()
	opts := testOptions(t, k, filepath.Join(t.TempDir(), "log.db"))
	opts.Registerer = reg
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	good := appendN(t, l, 2)
	diskFull := errors.New("no space left on device")
	l.beforeCommit = func(int) error { return diskFull }
	if _, err := l.Append(context.Background(), testEntry(3)); !errors.Is(err, ErrUnavailable) || !errors.Is(err, diskFull) {
		t.Fatalf("Append during failing commit: %v, want ErrUnavailable wrapping the cause", err)
	}
	l.beforeCommit = nil
	if err := l.Healthy(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Healthy = %v, want ErrUnavailable", err)
	}
	if _, err := l.Append(context.Background(), testEntry(4)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Append after failure: %v, want ErrUnavailable (fail closed)", err)
	}
	if got := testutil.ToFloat64(l.metrics.failures); got != 1 {
		t.Errorf("commit failures metric = %v, want 1", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened, the chain continues from the last committed record.
	opts.Registerer = nil
	l = openTestLog(t, opts)
	r, err := l.Append(context.Background(), testEntry(5))
	if err != nil {
		t.Fatal(err)
	}
	if r.Seq != 3 || r.PrevHash != good[1].Hash {
		t.Errorf("after reopen: record %d chains onto %x, want 3 onto the last committed %x", r.Seq, r.PrevHash[:4], good[1].Hash[:4])
	}
	if _, err := l.Verify(context.Background(), verifyOpts(k)); err != nil {
		t.Error(err)
	}
}

func TestMetricsCountRecordsAndChainHeight(t *testing.T) {
	reg := prometheus.NewRegistry()
	clock := newClock()
	opts := testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db"))
	opts.Registerer, opts.Now = reg, clock.Now
	l := openTestLog(t, opts)
	appendN(t, l, 4)
	if _, err := l.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(90 * time.Second)
	want := `
# HELP darbaza_accesslog_chain_height_records Sequence number of the newest durable record.
# TYPE darbaza_accesslog_chain_height_records gauge
darbaza_accesslog_chain_height_records 4
# HELP darbaza_accesslog_last_checkpoint_age_seconds Seconds since the newest signed checkpoint; -1 if the log has none.
# TYPE darbaza_accesslog_last_checkpoint_age_seconds gauge
darbaza_accesslog_last_checkpoint_age_seconds 90
# HELP darbaza_accesslog_records_written_total Access-log records made durable.
# TYPE darbaza_accesslog_records_written_total counter
darbaza_accesslog_records_written_total 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"darbaza_accesslog_chain_height_records", "darbaza_accesslog_last_checkpoint_age_seconds", "darbaza_accesslog_records_written_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "darbaza_accesslog_commit_batch_records", "darbaza_accesslog_commit_duration_seconds"); n != 2 {
		t.Errorf("histograms registered: %d, want 2", n)
	}
}

func TestCheckpointsAreSignedWithECDSAAndRSA(t *testing.T) {
	for _, tt := range []struct {
		name string
		key  testKey
	}{{"ecdsa p-256", newECKey(t)}, {"rsa 2048", newRSAKey(t)}} {
		t.Run(tt.name, func(t *testing.T) {
			l := openTestLog(t, testOptions(t, tt.key, filepath.Join(t.TempDir(), "log.db")))
			appendN(t, l, 2)
			cp, err := l.Checkpoint(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if cp.Seq != 2 || cp.CertFingerprint != CertFingerprint(tt.key.Cert) {
				t.Errorf("checkpoint = %+v", cp)
			}
			if err := verifyCheckpoint(&cp, certSet([]*x509.Certificate{tt.key.Cert})); err != nil {
				t.Errorf("signature does not verify with the certificate: %v", err)
			}
			cp.Seq++
			if err := verifyCheckpoint(&cp, certSet([]*x509.Certificate{tt.key.Cert})); err == nil {
				t.Error("signature still verifies after the sequence number changed")
			}
			again, err := l.Checkpoint(context.Background())
			if err != nil || again.Seq != 2 || string(again.Signature) != string(cp.Signature) {
				t.Errorf("second Checkpoint without new records signed again: %+v, %v", again, err)
			}
		})
	}
}

func TestConcurrentAppendsUnderRaceKeepTheChainIntact(t *testing.T) {
	k := newECKey(t)
	l := openTestLog(t, testOptions(t, k, filepath.Join(t.TempDir(), "log.db")))
	const callers, each = 16, 25
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := l.Append(context.Background(), testEntry(c*each+i)); err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 {
					l.Healthy()
					l.History(context.Background(), "20101199000001", "", 5)
				}
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); l.Checkpoint(context.Background()) }()
	wg.Wait()
	rep, err := l.Verify(context.Background(), verifyOpts(k))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != callers*each {
		t.Errorf("records = %d, want %d", rep.Records, callers*each)
	}
}

func TestAppendHonoursCancelledContext(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	block := make(chan struct{})
	l.beforeCommit = func(int) error { <-block; return nil }
	go l.Append(context.Background(), testEntry(1)) // occupies the committer
	_, err := l.Append(ctx, testEntry(2))
	close(block)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Append with cancelled context: %v, want context.Canceled", err)
	}
}

func TestBackupIsAVerifiableLogWhileAppendsGoOn(t *testing.T) {
	k := newECKey(t)
	l := openTestLog(t, testOptions(t, k, filepath.Join(t.TempDir(), "log.db")))
	ctx := context.Background()
	appendN(t, l, 50)
	var buf bytes.Buffer
	if _, err := l.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, testEntry(51)); err != nil { // the copy is of the moment it was taken
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep, err := r.Verify(ctx, verifyOpts(k))
	if err != nil {
		t.Fatalf("backup does not verify: %v", err)
	}
	if rep.Records != 50 {
		t.Errorf("backup holds %d records, want 50", rep.Records)
	}
}

// rolledBack is a committer whose transaction prepares the batch and then
// rolls back, as a registry transaction that fails after its seal does.
type rolledBack struct{ store logstore.Backend }

var errRolledBack = errors.New("the caller's transaction rolled back")

func (c rolledBack) Commit(ctx context.Context, prepare func(logstore.Head) (logstore.Batch, error)) error {
	h, err := c.store.Head(ctx)
	if err != nil {
		return err
	}
	if _, err := prepare(h); err != nil {
		return err
	}
	return errRolledBack
}

// AppendIn chains its record onto the head its committer reads, beside
// the group commit's records; a committer that fails returns its error,
// stores nothing, and leaves the log accepting records.
func TestAppendInChainsOntoTheHeadAndAFailedOneLeavesTheLogAvailable(t *testing.T) {
	k := newECKey(t)
	l := openTestLog(t, testOptions(t, k, filepath.Join(t.TempDir(), "access.db")))
	ctx := context.Background()
	appendN(t, l, 3)
	rec, err := l.AppendIn(ctx, l.store, testEntry(4))
	if err != nil || rec.Seq != 4 {
		t.Fatalf("AppendIn = seq %d, %v; want 4", rec.Seq, err)
	}
	if _, err := l.AppendIn(ctx, rolledBack{l.store}, testEntry(5)); !errors.Is(err, errRolledBack) {
		t.Fatalf("AppendIn with a failing committer = %v, want its error", err)
	}
	if err := l.Healthy(); err != nil {
		t.Fatalf("a failed AppendIn made the log unavailable: %v", err)
	}
	if r, err := l.Append(ctx, testEntry(6)); err != nil || r.Seq != 5 {
		t.Fatalf("Append after = seq %d, %v; want 5", r.Seq, err)
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(ctx, verifyOpts(k))
	if err != nil || rep.Records != 5 {
		t.Fatalf("Verify = %+v, %v; want 5 records", rep, err)
	}
}
