package accesslog

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/boltlog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

// Reader is a read-only view of a log for offline auditing (`darbaza
// audit verify|list|export`). OpenReader opens a bbolt file with bbolt's
// ReadOnly option, which takes a shared file lock: it cannot open a file
// while a server holds it (the server's lock is exclusive), and while it
// is open the server cannot start. To audit a running server's log, audit
// a copy made with `darbaza backup`, or use the Log methods inside the
// server.
type Reader struct {
	store logstore.Backend
}

// OpenReader opens the log at path read-only, waiting at most timeout for
// the file lock (zero means DefaultOpenTimeout); a lock still held then
// yields an error wrapping ErrLocked. The file must exist.
func OpenReader(path string, timeout time.Duration) (*Reader, error) {
	if timeout <= 0 {
		timeout = DefaultOpenTimeout
	}
	store, err := boltlog.Open(path, boltlog.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	return NewReader(store)
}

// NewReader reads the log in store, which it takes over: Close closes it,
// and so does a NewReader that fails. It checks that store holds a log in
// a format this build reads.
func NewReader(store logstore.Backend) (*Reader, error) {
	if _, err := readHead(context.Background(), store); err != nil {
		return nil, errors.Join(err, store.Close())
	}
	return &Reader{store: store}, nil
}

// Close closes the backend.
func (r *Reader) Close() error { return r.store.Close() }

// List is Log.List on the stored log.
func (r *Reader) List(ctx context.Context, f Filter, fn func(Record) error) error {
	return list(ctx, r.store, f, fn)
}

// Export is Log.Export on the stored log.
func (r *Reader) Export(ctx context.Context, w io.Writer, format Format, f Filter) (ExportSummary, error) {
	return export(ctx, r.store, w, format, f)
}

// Verify checks the whole log: every record's hash and link, that no
// record is missing or out of place, every checkpoint's head and its
// signature by one of opts.Certificates, and that no checkpoint covers
// records the log no longer has. The first failure is returned as a
// *TamperError (wrapping ErrTampered); other errors are I/O. The report's
// Records and HeadSeq say how far it got: to the newest record stored
// when Verify began.
func (r *Reader) Verify(ctx context.Context, opts VerifyOptions) (Report, error) {
	return verifyStore(ctx, r.store, opts)
}

// Verify is Reader.Verify on the open log. It reads in short transactions
// and so can run while requests are being logged.
func (l *Log) Verify(ctx context.Context, opts VerifyOptions) (Report, error) {
	return verifyStore(ctx, l.store, opts)
}
