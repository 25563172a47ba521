package accesslog

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/boltlog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for the zero values of Options.
const (
	DefaultCheckpointInterval = time.Minute
	DefaultOpenTimeout        = time.Second
)

// maxBatch caps the records of one group commit, so one transaction stays
// small even under a burst; the next commit takes the rest.
const maxBatch = 1024

// Options configure Open. Every field's zero value is documented.
type Options struct {
	// Path is the log's bbolt file (package boltlog), created if missing.
	// Exactly one of Path and Backend is required.
	Path string
	// Backend is any other storage (see logstore.Backend). Open takes it
	// over: Close closes it, and so does an Open that fails.
	Backend            logstore.Backend
	Signer             crypto.Signer         // adapter key (ECDSA P-256 or RSA); signs checkpoints. Required.
	Certificate        *x509.Certificate     // certificate of Signer's public key; checkpoints name it by fingerprint. Required.
	SubjectKey         []byte                // HMAC-SHA256 key for subjects, >= 32 bytes. Required.
	CheckpointInterval time.Duration         // zero means DefaultCheckpointInterval
	Now                func() time.Time      // nil means time.Now
	Registerer         prometheus.Registerer // nil means no metrics
	Logger             *slog.Logger          // nil means discard
	// OpenTimeout bounds the wait for the lock on Path, which another
	// process (a running server) may hold. Zero means DefaultOpenTimeout.
	OpenTimeout time.Duration
	// Rand is the randomness for signatures; nil means crypto/rand.Reader.
	Rand io.Reader
	// Recover, if positive, makes a commit failure temporary: every Recover
	// the committer asks the backend for its head, and once it answers the
	// log accepts records again, chaining onto whatever the store holds (a
	// database server that was down and is back; several nodes may have
	// written meanwhile). Zero means a commit failure lasts until the log
	// is reopened, as for a local file whose disk failed.
	Recover time.Duration
}

// Log is the hash-chained, append-only access log (see the package doc).
// Its methods are safe for concurrent use.
//
// Appends are made durable by one committer goroutine that takes every
// Append waiting at the moment it becomes free and commits them in one
// backend transaction (one fsync): group commit. A lone Append on an idle
// log is committed at once; nothing waits for a batch to fill, except
// for records Expect announced (at most defaultLinger).
type Log struct {
	store      logstore.Backend
	name       string // Path, or a description of Backend, for messages
	signer     crypto.Signer
	cert       *x509.Certificate
	subjectKey []byte
	interval   time.Duration
	recover    time.Duration
	now        func() time.Time
	rand       io.Reader
	logger     *slog.Logger
	metrics    *metrics

	// mu guards closed and the send side of reqs.
	mu     sync.RWMutex
	closed bool
	reqs   chan *request
	done   chan struct{} // closed when the committer has exited

	// state is the chain head and the newest checkpoint as of the last
	// commit; the committer writes it, anyone may read it. Each commit
	// chains onto the head the backend reads in its transaction, not onto
	// this copy.
	stateMu  sync.Mutex
	seq      uint64
	head     [32]byte
	lastCP   *Checkpoint
	failed   error // sticky: the first commit failure, wrapped in ErrUnavailable
	closeErr error

	// beforeCommit, if set (tests only), runs inside each commit
	// transaction with the number of records in it; an error aborts it.
	// It is set before the Appends it is meant for.
	beforeCommit func(records int) error

	expected  atomic.Int64  // records on their way (Expect)
	lingerFor time.Duration // tests only: the linger; 0 means defaultLinger
}

type request struct {
	rec        Record
	checkpoint bool // a Checkpoint call rather than an Append
	done       chan result
	answered   bool // committer only: done has its result
}

// reply answers req once; later replies are dropped.
func (req *request) reply(res result) {
	if !req.answered {
		req.answered = true
		req.done <- res
	}
}

type result struct {
	rec Record
	cp  Checkpoint
	err error
}

// Open opens or creates the log at opts.Path (or in opts.Backend), checks
// it (format version, the chain from the newest checkpoint to the tail,
// and that checkpoint's signature when it names opts.Certificate) and
// starts the committer. A log whose tail does not verify is refused with
// an error wrapping ErrTampered: run `darbaza audit verify` to find the
// first bad record.
func Open(opts Options) (*Log, error) {
	if err := validateOptions(&opts); err != nil {
		if opts.Backend != nil {
			err = errors.Join(err, opts.Backend.Close())
		}
		return nil, err
	}
	store, name := opts.Backend, "the access log"
	if store == nil {
		b, err := boltlog.Open(opts.Path, boltlog.Options{Timeout: opts.OpenTimeout})
		if err != nil {
			return nil, err
		}
		store, name = b, opts.Path
	}
	l := &Log{
		store:      store,
		name:       name,
		signer:     opts.Signer,
		cert:       opts.Certificate,
		subjectKey: append([]byte(nil), opts.SubjectKey...),
		interval:   opts.CheckpointInterval,
		recover:    opts.Recover,
		now:        opts.Now,
		rand:       opts.Rand,
		logger:     opts.Logger,
		reqs:       make(chan *request, maxBatch),
		done:       make(chan struct{}),
	}
	if err := l.init(); err != nil {
		return nil, errors.Join(err, store.Close())
	}
	var err error
	l.metrics, err = newMetrics(opts.Registerer, l.now, l.lastCheckpointTime)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%w: metrics: %w", ErrInvalidOptions, err), store.Close())
	}
	l.metrics.chainHeight.Set(float64(l.seq))
	go l.run()
	l.logger.Info("access log opened", "path", name, "seq", l.seq, "head", hex.EncodeToString(l.head[:]))
	return l, nil
}

func validateOptions(o *Options) error {
	switch {
	case o.Path == "" && o.Backend == nil:
		return fmt.Errorf("%w: Path is empty and there is no Backend", ErrInvalidOptions)
	case o.Path != "" && o.Backend != nil:
		return fmt.Errorf("%w: both Path and Backend are set", ErrInvalidOptions)
	case o.Signer == nil:
		return fmt.Errorf("%w: Signer is nil", ErrInvalidOptions)
	case o.Certificate == nil:
		return fmt.Errorf("%w: Certificate is nil", ErrInvalidOptions)
	case !publicKeysMatch(o.Signer, o.Certificate):
		return fmt.Errorf("%w: Certificate does not hold Signer's public key", ErrInvalidOptions)
	case len(o.SubjectKey) < 32:
		return fmt.Errorf("%w: SubjectKey has %d bytes, want at least 32", ErrInvalidOptions, len(o.SubjectKey))
	case o.CheckpointInterval < 0:
		return fmt.Errorf("%w: negative CheckpointInterval", ErrInvalidOptions)
	case o.Recover < 0:
		return fmt.Errorf("%w: negative Recover", ErrInvalidOptions)
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = DefaultCheckpointInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OpenTimeout <= 0 {
		o.OpenTimeout = DefaultOpenTimeout
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return nil
}

// init creates the storage of a new log (a test write: Open fails at once
// on a read-only disk) and checks the tail of an existing one.
func (l *Log) init() error {
	ctx := context.Background()
	if err := l.store.Init(ctx, formatValue()); err != nil {
		return fmt.Errorf("%w: initialise: %w", ErrUnavailable, err)
	}
	seq, head, cp, err := verifyTail(ctx, l.store, certSet([]*x509.Certificate{l.cert}))
	if err != nil {
		return fmt.Errorf("accesslog: refusing to open %s: %w", l.name, err)
	}
	if cp != nil && cp.CertFingerprint != CertFingerprint(l.cert) {
		l.logger.Warn("newest access-log checkpoint is signed by another certificate; its signature was not checked",
			"seq", cp.Seq, "certificate", cp.CertFingerprint)
	}
	l.seq, l.head, l.lastCP = seq, head, cp
	return nil
}

// verifyTail checks the part of the chain no checkpoint signature covers
// yet (the newest checkpoint's record to the tail), the newest checkpoint
// itself, and that no record it covers is gone. It returns the head.
func verifyTail(ctx context.Context, store logstore.Backend, certs map[string]*x509.Certificate) (uint64, [32]byte, *Checkpoint, error) {
	h, err := readHead(ctx, store)
	if err == nil {
		err = h.decodeTip()
	}
	if err != nil {
		return 0, [32]byte{}, nil, err
	}
	start := h.anchor
	if cp := h.cp; cp != nil && cp.Seq > h.anchor.Seq {
		items, err := store.Records(ctx, cp.Seq, 1)
		if err != nil {
			return 0, [32]byte{}, nil, storageError(err)
		}
		if len(items) == 0 || items[0].Seq != cp.Seq {
			return 0, [32]byte{}, nil, &TamperError{Seq: cp.Seq, What: "record", Reason: "missing, though a checkpoint covers it (records removed from the end)"}
		}
		from, err := decodeStored(items[0].Seq, items[0].Value)
		if err != nil {
			return 0, [32]byte{}, nil, err
		}
		start = Anchor{Seq: from.Seq - 1, Hash: from.PrevHash}
	}
	v := newVerifier(start, certs)
	v.skipUnknownCert = true
	cpFrom := start.Seq
	if h.cp != nil {
		cpFrom = h.cp.Seq
	}
	if err := walk(ctx, store, h.raw, start.Seq+1, cpFrom,
		func(r Record) error { return v.record(&r) },
		func(c Checkpoint) error { return v.checkpoint(&c) }); err != nil {
		return 0, [32]byte{}, nil, err
	}
	rep, err := v.finish(false)
	if err != nil {
		return 0, [32]byte{}, nil, err
	}
	return rep.HeadSeq, rep.Head, rep.LastCheckpoint, nil
}

// Append records e and returns its chained record once that record is
// durable (committed and fsynced). Concurrent Appends share one commit.
//
// Strings are stored as valid UTF-8 without control characters (anything
// else becomes U+FFFD) and cut to MaxFieldBytes; subjects become
// SubjectID HMACs, sorted, duplicates removed. An Entry without ID or
// Outcome, with a zero Time, a negative Latency or an empty subject fails
// with ErrInvalidEntry.
//
// If the record cannot be made durable Append fails with an error wrapping
// ErrUnavailable, and so does every later Append until the log is reopened
// (or, with Options.Recover, until the backend answers again): the caller
// must then fail the request (fail closed). If ctx ends first,
// Append returns ctx's error; the record may still be committed.
func (l *Log) Append(ctx context.Context, e Entry) (Record, error) {
	rec, err := newRecord(e, l.subjectKey)
	if err != nil {
		return Record{}, err
	}
	if err := l.unavailable(); err != nil {
		return Record{}, err
	}
	res, err := l.submit(ctx, &request{rec: rec, done: make(chan result, 1)})
	if err != nil {
		return Record{}, err
	}
	return res.rec, res.err
}

// AppendIn is Append inside a transaction another store owns: c commits
// the record's batch in that transaction (pglog.Store.In), chained onto
// the head c reads there, so the record is durable exactly when that
// transaction commits and is gone if it rolls back. The group committer
// is not involved; its next checkpoint covers the record.
//
// It fails like Append while the log is unavailable or closed. A failure
// of c is returned wrapped, as is (a serialization failure stays one, so
// that the owner of the transaction may run it again), and does not make
// the log unavailable: the transaction it belongs to fails with it.
func (l *Log) AppendIn(ctx context.Context, c logstore.Committer, e Entry) (Record, error) {
	rec, err := newRecord(e, l.subjectKey)
	if err != nil {
		return Record{}, err
	}
	if err := l.unavailable(); err != nil {
		return Record{}, err
	}
	l.mu.RLock()
	closed := l.closed
	l.mu.RUnlock()
	if closed {
		return Record{}, ErrClosed
	}
	var out Record
	err = c.Commit(ctx, func(stored logstore.Head) (logstore.Batch, error) {
		h, err := decodeHead(stored)
		if err != nil {
			return logstore.Batch{}, err
		}
		out = rec // each call of prepare chains a fresh copy
		b, _, _, err := chain(h.seq, h.hash, []*Record{&out})
		return b, err
	})
	if err != nil {
		return Record{}, fmt.Errorf("accesslog: record in the caller's transaction: %w", err)
	}
	l.metrics.written.Inc()
	return out, nil
}

// chain numbers recs on from the record seq whose hash is hash, links and
// hashes each, and encodes them as the records of a batch; it returns the
// batch and the new head.
func chain(seq uint64, hash [32]byte, recs []*Record) (logstore.Batch, uint64, [32]byte, error) {
	var b logstore.Batch
	for _, r := range recs {
		r.Seq, r.PrevHash = seq+1, hash
		var err error
		if r.Hash, err = r.ComputeHash(); err != nil { // unreachable: newRecord builds valid records
			return logstore.Batch{}, 0, [32]byte{}, fmt.Errorf("%w: %w", ErrInvalidEntry, err)
		}
		v, err := encodeStored(r)
		if err != nil {
			return logstore.Batch{}, 0, [32]byte{}, err
		}
		subjects := make([][32]byte, 0, len(r.Subjects))
		for _, s := range r.Subjects {
			h, err := decodeHash(s)
			if err != nil {
				return logstore.Batch{}, 0, [32]byte{}, err
			}
			subjects = append(subjects, h)
		}
		b.Records = append(b.Records, logstore.Record{Item: logstore.Item{Seq: r.Seq, Value: v}, Subjects: subjects})
		seq, hash = r.Seq, r.Hash
	}
	return b, seq, hash, nil
}

// Checkpoint makes sure a signed checkpoint covers the current head and
// returns it: it signs and stores a new one unless the newest checkpoint
// already covers the head. The committer also does this every
// CheckpointInterval (if records were added) and at Close.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	if err := l.unavailable(); err != nil {
		return Checkpoint{}, err
	}
	res, err := l.submit(ctx, &request{checkpoint: true, done: make(chan result, 1)})
	if err != nil {
		return Checkpoint{}, err
	}
	return res.cp, res.err
}

func (l *Log) submit(ctx context.Context, req *request) (result, error) {
	if err := func() error {
		l.mu.RLock()
		defer l.mu.RUnlock()
		if l.closed {
			return ErrClosed
		}
		select {
		case l.reqs <- req:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("accesslog: %w", ctx.Err())
		}
	}(); err != nil {
		return result{}, err
	}
	select {
	case res := <-req.done:
		return res, nil
	case <-ctx.Done():
		return result{}, fmt.Errorf("accesslog: %w (the record may still be committed)", ctx.Err())
	}
}

// unavailable returns the sticky commit failure, if any.
func (l *Log) unavailable() error {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	return l.failed
}

// Healthy returns nil while the log accepts records, the commit failure
// (wrapping ErrUnavailable) after a failed commit, or ErrClosed after
// Close. /readyz reports it.
func (l *Log) Healthy() error {
	if err := l.unavailable(); err != nil {
		return err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	return nil
}

// Head returns the sequence number and hash of the newest durable record
// (the anchor's if the log holds no records) as of this Log's last commit;
// on a backend that several nodes share, others may have added more.
func (l *Log) Head() (uint64, [32]byte) {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	return l.seq, l.head
}

func (l *Log) lastCheckpointTime() time.Time {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	if l.lastCP == nil {
		return time.Time{}
	}
	return l.lastCP.Time
}

// SubjectID returns the HMAC the log stores for pin (lower-case hex).
func (l *Log) SubjectID(pin string) string { return SubjectID(l.subjectKey, pin) }

// Close stops accepting records, commits those already queued, writes a
// final checkpoint if records were added since the last one, and closes
// the backend. Calling it again returns nil.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.reqs)
	l.mu.Unlock()
	<-l.done
	l.logger.Info("access log closed", "seq", l.seq)
	return errors.Join(l.closeErr, l.store.Close())
}

// run is the committer goroutine.
func (l *Log) run() {
	defer close(l.done)
	ticker := time.NewTicker(l.interval)
	defer ticker.Stop()
	var probe <-chan time.Time
	if l.recover > 0 {
		t := time.NewTicker(l.recover)
		defer t.Stop()
		probe = t.C
	}
	batch := make([]*request, 0, maxBatch)
	lingering := time.NewTimer(time.Hour)
	lingering.Stop()
	for {
		tick := false
		select {
		case <-probe:
			l.tryRecover()
			continue
		case req, ok := <-l.reqs:
			if !ok {
				l.closeErr = l.finalCheckpoint()
				return
			}
			batch = append(batch[:0], req)
		case <-ticker.C:
			tick = true
			batch = batch[:0]
		}
		closed := false
	drain:
		for len(batch) < maxBatch {
			select {
			case req, ok := <-l.reqs:
				if !ok {
					closed = true
					break drain
				}
				batch = append(batch, req)
			default:
				break drain
			}
		}
		if !closed {
			batch, closed = l.linger(batch, lingering)
		}
		l.commit(batch, tick)
		if closed {
			l.closeErr = l.finalCheckpoint()
			return
		}
	}
}

// tryRecover clears a commit failure once the backend answers with a head
// that decodes, and takes that head as the log's state. Only the committer
// calls it, so no commit runs meanwhile.
func (l *Log) tryRecover() {
	if l.unavailable() == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.recover)
	defer cancel()
	raw, err := l.store.Head(ctx)
	if err != nil {
		return
	}
	h, err := decodeHead(raw)
	if err != nil {
		l.logger.Error("access log storage answers again but its head does not decode; still refusing", "err", err)
		return
	}
	l.stateMu.Lock()
	l.seq, l.head, l.lastCP, l.failed = h.seq, h.hash, h.cp, nil
	l.stateMu.Unlock()
	l.logger.Info("access log storage answers again; accepting requests", "seq", h.seq)
}

// finalCheckpoint signs a checkpoint at Close if the stored head moved
// since the newest stored one. It reads the stored head rather than this
// Log's copy: records appended in other stores' transactions (AppendIn),
// or by other nodes, moved it without this Log's committer.
func (l *Log) finalCheckpoint() error {
	if l.unavailable() != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, err := l.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("accesslog: final checkpoint: %w", storageError(err))
	}
	h, err := decodeHead(raw)
	if err != nil {
		return fmt.Errorf("accesslog: final checkpoint: %w", err)
	}
	if h.cp == nil && h.seq == 0 || h.cp != nil && h.cp.Seq == h.seq {
		return nil
	}
	res := make(chan result, 1)
	l.commit([]*request{{checkpoint: true, done: res}}, false)
	return (<-res).err
}

// commit makes the records of batch durable in one backend transaction,
// chained onto the head the backend reads in it, and answers every
// request. A checkpoint is signed in the same transaction when a request
// asks for one, or on a tick if the head moved since the last checkpoint.
// If the transaction fails, no in-memory state changes and the log
// becomes unavailable until reopened (or recovered, Options.Recover).
func (l *Log) commit(batch []*request, tick bool) {
	if err := l.unavailable(); err != nil {
		for _, req := range batch {
			req.reply(result{err: err})
		}
		return
	}
	var wantCP bool
	for _, req := range batch {
		wantCP = wantCP || req.checkpoint
	}
	// The outcome of the last call of prepare, the one the backend stores.
	var (
		recs   []*Record
		seq    uint64
		hash   [32]byte
		lastCP *Checkpoint // the newest checkpoint after the commit
		signed *Checkpoint // the one this commit signed, if any
	)
	prepare := func(stored logstore.Head) (logstore.Batch, error) {
		h, err := decodeHead(stored)
		if err != nil {
			return logstore.Batch{}, err
		}
		recs, lastCP, signed = recs[:0], h.cp, nil
		for _, req := range batch {
			if !req.checkpoint {
				recs = append(recs, &req.rec)
			}
		}
		var b logstore.Batch
		if b, seq, hash, err = chain(h.seq, h.hash, recs); err != nil {
			return logstore.Batch{}, err
		}
		moved := lastCP == nil && seq > 0 || lastCP != nil && lastCP.Seq != seq
		if (wantCP && (moved || lastCP == nil)) || (tick && moved) {
			cp := &Checkpoint{Seq: seq, Head: hash, Time: l.now().UTC().Round(0)}
			if err := signCheckpoint(cp, l.signer, l.cert, l.rand); err != nil {
				// A signing failure must not lose records: commit them unsigned.
				l.logger.Error("access-log checkpoint not signed", "seq", seq, "err", err)
			} else {
				b.Checkpoints = append(b.Checkpoints, logstore.Item{Seq: cp.Seq, Value: encodeCheckpoint(cp)})
				signed, lastCP = cp, cp
			}
		}
		if l.beforeCommit != nil && !b.Empty() {
			return b, l.beforeCommit(len(b.Records))
		}
		return b, nil
	}
	start := time.Now()
	err := l.store.Commit(context.Background(), prepare)
	if err != nil {
		err = fmt.Errorf("%w: commit of %d records: %w", ErrUnavailable, len(recs), storageError(err))
		l.stateMu.Lock()
		l.failed = err
		l.stateMu.Unlock()
		l.metrics.failures.Inc()
		l.logger.Error("access log commit failed; refusing all further requests", "err", err)
		for _, req := range batch {
			req.reply(result{err: err})
		}
		return
	}
	if len(recs) > 0 || signed != nil {
		l.metrics.commitTime.Observe(time.Since(start).Seconds())
	}
	l.stateMu.Lock()
	l.seq, l.head, l.lastCP = seq, hash, lastCP
	l.stateMu.Unlock()
	if len(recs) > 0 {
		l.metrics.written.Add(float64(len(recs)))
		l.metrics.batchSize.Observe(float64(len(recs)))
	}
	l.metrics.chainHeight.Set(float64(seq))
	if cp := signed; cp != nil {
		l.metrics.checkpoints.Inc()
		l.logger.Info("access-log checkpoint", "seq", cp.Seq, "head", hex.EncodeToString(cp.Head[:]),
			"time", cp.Time, "certificate", cp.CertFingerprint, "signature", hex.EncodeToString(cp.Signature))
	}
	for _, req := range batch {
		switch {
		case req.checkpoint && lastCP != nil:
			req.reply(result{cp: *lastCP})
		case req.checkpoint:
			req.reply(result{err: fmt.Errorf("%w: checkpoint could not be signed", ErrUnavailable)})
		default:
			req.reply(result{rec: req.rec})
		}
	}
}
