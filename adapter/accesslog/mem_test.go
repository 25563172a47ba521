package accesslog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/adapter/accesslog/logtest"
)

// memData is an in-memory log store. It is the second implementation the
// conformance suite runs against (so the suite pins the contract, not
// bbolt's habits), and the store the tamper tests edit as an attacker with
// write access to the storage would.
type memData struct {
	mu          sync.Mutex
	format      []byte
	anchor      []byte
	records     map[uint64][]byte
	checkpoints map[uint64][]byte
	subjects    map[[32]byte]map[uint64]bool
}

func newMemData() *memData {
	return &memData{records: map[uint64][]byte{}, checkpoints: map[uint64][]byte{}, subjects: map[[32]byte]map[uint64]bool{}}
}

// open returns a Backend over d; closing it leaves d as it is.
func (d *memData) open() logstore.Backend { return &memStore{d: d} }

type memStore struct {
	d      *memData
	closed bool
}

var errMemClosed = errors.New("memstore: closed")

// lock locks the data of an open store.
func (m *memStore) lock(ctx context.Context) (*memData, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.closed {
		return nil, errMemClosed
	}
	m.d.mu.Lock()
	return m.d, nil
}

func (m *memStore) Close() error {
	if m.closed {
		return errMemClosed
	}
	m.closed = true
	return nil
}

func (m *memStore) Init(ctx context.Context, format []byte) error {
	d, err := m.lock(ctx)
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	if d.format == nil {
		d.format = bytes.Clone(format)
	}
	return nil
}

func sortedKeys(m map[uint64][]byte) []uint64 {
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func newest(m map[uint64][]byte) *logstore.Item {
	keys := sortedKeys(m)
	if len(keys) == 0 {
		return nil
	}
	k := keys[len(keys)-1]
	return &logstore.Item{Seq: k, Value: bytes.Clone(m[k])}
}

func (d *memData) head() logstore.Head {
	if d.format == nil {
		return logstore.Head{}
	}
	return logstore.Head{Format: bytes.Clone(d.format), Anchor: bytes.Clone(d.anchor),
		Record: newest(d.records), Checkpoint: newest(d.checkpoints)}
}

func (m *memStore) Head(ctx context.Context) (logstore.Head, error) {
	d, err := m.lock(ctx)
	if err != nil {
		return logstore.Head{}, err
	}
	defer d.mu.Unlock()
	return d.head(), nil
}

func (m *memStore) Commit(ctx context.Context, prepare func(logstore.Head) (logstore.Batch, error)) error {
	d, err := m.lock(ctx)
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	if d.format == nil {
		return fmt.Errorf("%w: not initialised", logstore.ErrCorrupt)
	}
	h := d.head()
	b, err := prepare(h)
	if err != nil {
		return err
	}
	ascending := func(what string, top *logstore.Item, seqs []uint64) error {
		for _, seq := range seqs {
			if top != nil && seq <= top.Seq {
				return fmt.Errorf("%w: %s %d after %d", logstore.ErrConflict, what, seq, top.Seq)
			}
			top = &logstore.Item{Seq: seq}
		}
		return nil
	}
	var recSeqs, cpSeqs []uint64
	for _, r := range b.Records {
		recSeqs = append(recSeqs, r.Seq)
	}
	for _, c := range b.Checkpoints {
		cpSeqs = append(cpSeqs, c.Seq)
	}
	if err := errors.Join(ascending("record", h.Record, recSeqs), ascending("checkpoint", h.Checkpoint, cpSeqs)); err != nil {
		return err
	}
	for _, r := range b.Records {
		d.records[r.Seq] = bytes.Clone(r.Value)
		for _, s := range r.Subjects {
			if d.subjects[s] == nil {
				d.subjects[s] = map[uint64]bool{}
			}
			d.subjects[s][r.Seq] = true
		}
	}
	for _, c := range b.Checkpoints {
		d.checkpoints[c.Seq] = bytes.Clone(c.Value)
	}
	return nil
}

func (m *memStore) page(ctx context.Context, pick func(d *memData) map[uint64][]byte, from uint64, limit int) ([]logstore.Item, error) {
	d, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	var out []logstore.Item
	items := pick(d)
	for _, k := range sortedKeys(items) {
		if k >= from && len(out) < limit {
			out = append(out, logstore.Item{Seq: k, Value: bytes.Clone(items[k])})
		}
	}
	return out, nil
}

func (m *memStore) Records(ctx context.Context, from uint64, limit int) ([]logstore.Item, error) {
	return m.page(ctx, func(d *memData) map[uint64][]byte { return d.records }, from, limit)
}

func (m *memStore) Checkpoints(ctx context.Context, from uint64, limit int) ([]logstore.Item, error) {
	return m.page(ctx, func(d *memData) map[uint64][]byte { return d.checkpoints }, from, limit)
}

func (m *memStore) Lookup(ctx context.Context, subject [32]byte, atMost uint64, limit int) ([]logstore.Item, error) {
	d, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	var seqs []uint64
	for s := range d.subjects[subject] {
		if s <= atMost {
			seqs = append(seqs, s)
		}
	}
	slices.Sort(seqs)
	slices.Reverse(seqs)
	var out []logstore.Item
	for _, s := range seqs[:min(limit, len(seqs))] {
		out = append(out, logstore.Item{Seq: s, Value: bytes.Clone(d.records[s])})
	}
	return out, nil
}

func (m *memStore) Trim(ctx context.Context, through uint64, refs []logstore.SubjectRef, anchor []byte) error {
	d, err := m.lock(ctx)
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	for _, items := range []map[uint64][]byte{d.records, d.checkpoints} {
		for k := range items {
			if k <= through {
				delete(items, k)
			}
		}
	}
	for _, r := range refs {
		delete(d.subjects[r.Subject], r.Seq)
	}
	d.anchor = bytes.Clone(anchor)
	return nil
}

func (m *memStore) Backup(context.Context, io.Writer) (int64, error) {
	return 0, fmt.Errorf("memstore: backup: %w", errors.ErrUnsupported)
}

func TestMemStoreConforms(t *testing.T) {
	logtest.Run(t, func(t *testing.T) func() logstore.Backend {
		d := newMemData()
		return d.open
	})
}
