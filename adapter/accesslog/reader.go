package accesslog

import (
	"context"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Reader is a read-only view of a log file for offline auditing (`darbaza
// audit verify|list|export`). It opens the file with bbolt's ReadOnly
// option, which takes a shared file lock: it cannot open a file while a
// server holds it (the server's lock is exclusive), and while it is open
// the server cannot start. To audit a running server's log, audit a copy
// made with `darbaza backup`, or use the Log methods inside the server.
type Reader struct {
	db *bolt.DB
}

// OpenReader opens the log at path read-only, waiting at most timeout for
// the file lock (zero means DefaultOpenTimeout); a lock still held then
// yields an error wrapping ErrLocked. The file must exist.
func OpenReader(path string, timeout time.Duration) (*Reader, error) {
	if timeout <= 0 {
		timeout = DefaultOpenTimeout
	}
	db, err := openBolt(path, true, timeout)
	if err != nil {
		return nil, err
	}
	if err := db.View(func(tx *bolt.Tx) error {
		_, err := readAnchor(tx)
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	return &Reader{db: db}, nil
}

// Close closes the file.
func (r *Reader) Close() error { return r.db.Close() }

// List is Log.List on the file.
func (r *Reader) List(ctx context.Context, f Filter, fn func(Record) error) error {
	return list(ctx, r.db, f, fn)
}

// Export is Log.Export on the file.
func (r *Reader) Export(ctx context.Context, w io.Writer, format Format, f Filter) (ExportSummary, error) {
	return export(ctx, r.db, w, format, f)
}

// Verify checks the whole file: every record's hash and link, that no
// record is missing or out of place, every checkpoint's head and its
// signature by one of opts.Certificates, and that no checkpoint covers
// records the file no longer has. The first failure is returned as a
// *TamperError (wrapping ErrTampered); other errors are I/O.
func (r *Reader) Verify(ctx context.Context, opts VerifyOptions) (Report, error) {
	return verifyDB(ctx, r.db, opts)
}

// Verify is Reader.Verify on the open log. It reads in short transactions
// and so can run while requests are being logged.
func (l *Log) Verify(ctx context.Context, opts VerifyOptions) (Report, error) {
	return verifyDB(ctx, l.db, opts)
}
