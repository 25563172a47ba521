package witness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"
)

// ErrUnwitnessed reports that no witness has countersigned the log's
// newest checkpoint for longer than SenderOptions.MaxAge.
var ErrUnwitnessed = errors.New("witness: no witness acknowledged the access log's checkpoints in time")

// Source is what the sender reads from the access log (*accesslog.Log).
type Source interface {
	LastCheckpoint() (accesslog.Checkpoint, bool)
	Extension(ctx context.Context, from, to uint64) ([32]byte, [][32]byte, error)
}

// SenderOptions configure NewSender. Every field's zero value is documented.
type SenderOptions struct {
	// Log is the access log. Required.
	Log Source
	// Origin names the log in its checkpoints, and Signer (whose Name must
	// be Origin) signs them: the checkpoint key. Required.
	Signer note.Signer
	// Witnesses receive every checkpoint. At least one.
	Witnesses []*Client
	// Interval is how often the sender looks for a new checkpoint and
	// retries witnesses that did not acknowledge; zero means 10 s.
	Interval time.Duration
	// MaxAge is how long the newest checkpoint may stay without any
	// witness's cosignature before Healthy reports ErrUnwitnessed; zero
	// means 5 minutes.
	MaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger; nil means discard.
	Logger *slog.Logger
	// Registerer for the sender's metrics; nil means none.
	Registerer prometheus.Registerer
}

// Sender sends each checkpoint of the access log to every configured
// witness, with the chain extension from the size that witness knows,
// and tracks how long the newest checkpoint has gone unwitnessed.
type Sender struct {
	opt     SenderOptions
	started time.Time

	mu    sync.Mutex
	known map[*Client]uint64 // the size each witness acknowledged
	// pendingSince is when the oldest checkpoint no witness has
	// countersigned was first seen; zero when the newest one is witnessed.
	pendingSince time.Time
	pendingSize  uint64
	lastCosigned []byte

	unwitnessed prometheus.GaugeFunc
	sizeGauge   *prometheus.GaugeVec
	failures    *prometheus.CounterVec
}

// NewSender checks opts and registers the metrics.
func NewSender(opts SenderOptions) (*Sender, error) {
	switch {
	case opts.Log == nil:
		return nil, errors.New("witness: sender: no log")
	case opts.Signer == nil:
		return nil, errors.New("witness: sender: no checkpoint signer")
	case len(opts.Witnesses) == 0:
		return nil, errors.New("witness: sender: no witness")
	}
	if opts.Interval <= 0 {
		opts.Interval = 10 * time.Second
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sender{opt: opts, started: opts.Now(), known: map[*Client]uint64{}}
	s.unwitnessed = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "darbaza_accesslog_unwitnessed_seconds",
		Help: "How long the access log's newest checkpoint has waited for a witness's cosignature; 0 when it has one.",
	}, func() float64 { return s.Unwitnessed().Seconds() })
	s.sizeGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "darbaza_accesslog_witnessed_records",
		Help: "The log size (records) each witness last countersigned.",
	}, []string{"witness"})
	s.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "darbaza_accesslog_witness_failures_total",
		Help: "Checkpoints a witness did not countersign, by witness.",
	}, []string{"witness"})
	if r := opts.Registerer; r != nil {
		for _, c := range []prometheus.Collector{s.unwitnessed, s.sizeGauge, s.failures} {
			if err := r.Register(c); err != nil {
				return nil, fmt.Errorf("witness: metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Run sends checkpoints until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.opt.Interval)
	defer t.Stop()
	for {
		s.Sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sync sends the newest checkpoint to every witness that has not
// countersigned it, once, and returns the first error.
func (s *Sender) Sync(ctx context.Context) error {
	cp, ok := s.opt.Log.LastCheckpoint()
	if !ok {
		return nil
	}
	s.mu.Lock()
	if s.pendingSince.IsZero() && !s.witnessedLocked(cp.Seq) {
		s.pendingSince, s.pendingSize = s.opt.Now(), cp.Seq
	}
	s.mu.Unlock()
	var first error
	for _, w := range s.opt.Witnesses {
		if err := s.send(ctx, w, cp.Seq); err != nil {
			s.failures.WithLabelValues(w.URL).Inc()
			s.opt.Logger.Warn("witness did not countersign the access log's checkpoint", "witness", w.URL, "size", cp.Seq, "err", err)
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// witnessedLocked reports whether some witness has countersigned size.
func (s *Sender) witnessedLocked(size uint64) bool {
	for _, k := range s.known {
		if k >= size {
			return true
		}
	}
	return false
}

// send brings witness w up to size, in steps of at most
// accesslog.MaxExtension records.
func (s *Sender) send(ctx context.Context, w *Client, size uint64) error {
	s.mu.Lock()
	known, seen := s.known[w]
	s.mu.Unlock()
	if seen && known >= size {
		return nil
	}
	conflicts := 0
	for known < size || !seen {
		// A witness that knows nothing takes the first checkpoint without
		// a proof (there is nothing it must extend); later ones extend it.
		next, from := size, size
		if known > 0 {
			next, from = min(size, known+accesslog.MaxExtension), known
		}
		prev, digests, err := s.opt.Log.Extension(ctx, from, next)
		if err != nil {
			return err
		}
		c := Checkpoint{Origin: s.opt.Signer.Name(), Size: next, Root: accesslog.Extend(prev, digests)}
		msg, err := SignCheckpoint(c, s.opt.Signer)
		if err != nil {
			return fmt.Errorf("witness: sign checkpoint: %w", err)
		}
		cosigned, err := w.Add(ctx, known, digests, msg)
		var conflict *ConflictError
		if errors.As(err, &conflict) && conflicts < 2 {
			// The witness knows another size (first contact, or another
			// node of this log got there first): start from it.
			conflicts++
			if conflict.Known > size {
				return fmt.Errorf("%w: the witness knows %d records, the log has %d (records removed from the end?)", ErrRollback, conflict.Known, size)
			}
			known, seen = conflict.Known, true
			continue
		}
		if err != nil {
			return err
		}
		known, seen = next, true
		s.mu.Lock()
		s.known[w] = known
		s.lastCosigned = cosigned
		if s.pendingSize <= known {
			s.pendingSince, s.pendingSize = time.Time{}, 0
		}
		s.mu.Unlock()
		s.sizeGauge.WithLabelValues(w.URL).Set(float64(known))
	}
	return nil
}

// Unwitnessed returns how long the newest checkpoint has waited for a
// cosignature; zero when a witness has countersigned it.
func (s *Sender) Unwitnessed() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pendingSince.IsZero() {
		return 0
	}
	return s.opt.Now().Sub(s.pendingSince)
}

// Healthy returns nil, or an error wrapping ErrUnwitnessed when the newest
// checkpoint has waited longer than MaxAge. /readyz reports it.
func (s *Sender) Healthy() error {
	if d := s.Unwitnessed(); d > s.opt.MaxAge {
		return fmt.Errorf("%w: the newest checkpoint has waited %s (limit %s)", ErrUnwitnessed, d.Round(time.Second), s.opt.MaxAge)
	}
	return nil
}

// LastCosigned returns the newest checkpoint note a witness countersigned,
// nil if none yet.
func (s *Sender) LastCosigned() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.lastCosigned...)
}

// UnwitnessedGauge is the darbaza_accesslog_unwitnessed_seconds collector
// (for tests and for registries the sender was not given).
func (s *Sender) UnwitnessedGauge() prometheus.Collector { return s.unwitnessed }
