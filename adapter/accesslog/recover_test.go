package accesslog

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

// flakyStore is a backend whose server can be taken down and brought back.
type flakyStore struct {
	logstore.Backend
	down *atomic.Bool
}

var errDown = errors.New("flaky: the database server is down")

func (f flakyStore) Head(ctx context.Context) (logstore.Head, error) {
	if f.down.Load() {
		return logstore.Head{}, errDown
	}
	return f.Backend.Head(ctx)
}

func (f flakyStore) Commit(ctx context.Context, prepare func(logstore.Head) (logstore.Batch, error)) error {
	if f.down.Load() {
		return errDown
	}
	return f.Backend.Commit(ctx, prepare)
}

func TestRecoverAcceptsRecordsOnceTheBackendAnswers(t *testing.T) {
	k := newECKey(t)
	data := newMemData()
	down := new(atomic.Bool)
	opts := testOptions(t, k, "")
	opts.Backend = flakyStore{Backend: data.open(), down: down}
	opts.Recover = 5 * time.Millisecond
	l := openTestLog(t, opts)
	appendN(t, l, 3)

	down.Store(true)
	if _, err := l.Append(context.Background(), testEntry(4)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Append while the backend is down = %v, want ErrUnavailable", err)
	}
	time.Sleep(20 * time.Millisecond) // probes fail meanwhile
	if err := l.Healthy(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Healthy while down = %v, want ErrUnavailable", err)
	}
	// Another node appends while this one is cut off.
	other := testOptions(t, k, "")
	other.Backend = data.open()
	o := openTestLog(t, other)
	if _, err := o.Append(context.Background(), testEntry(5)); err != nil {
		t.Fatal(err)
	}

	down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for l.Healthy() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("still unhealthy after the backend came back: %v", l.Healthy())
		}
		time.Sleep(time.Millisecond)
	}
	r, err := l.Append(context.Background(), testEntry(6))
	if err != nil || r.Seq != 5 {
		t.Fatalf("Append after recovery = seq %d, %v; want 5, chained after the other node's record", r.Seq, err)
	}
	rep, err := l.Verify(context.Background(), verifyOpts(k))
	if err != nil || rep.Records != 5 {
		t.Fatalf("Verify = %+v, %v; want 5 records", rep, err)
	}
}

func TestWithoutRecoverAFailureLasts(t *testing.T) {
	k := newECKey(t)
	down := new(atomic.Bool)
	opts := testOptions(t, k, "")
	opts.Backend = flakyStore{Backend: newMemData().open(), down: down}
	l := openTestLog(t, opts)
	down.Store(true)
	if _, err := l.Append(context.Background(), testEntry(1)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Append while down = %v", err)
	}
	down.Store(false)
	time.Sleep(20 * time.Millisecond)
	if _, err := l.Append(context.Background(), testEntry(2)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Append after the backend came back, without Recover = %v, want ErrUnavailable", err)
	}
}
