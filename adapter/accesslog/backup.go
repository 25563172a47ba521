package accesslog

import (
	"context"
	"io"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole log file to w, as of one
// read transaction, while appends go on. The copy is itself a log file:
// `darbaza audit` reads it offline.
func (l *Log) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return backup(ctx, l.db, w)
}

// Backup is Log.Backup on a file opened read-only.
func (r *Reader) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return backup(ctx, r.db, w)
}

func backup(ctx context.Context, db *bolt.DB, w io.Writer) (n int64, err error) {
	err = db.View(func(tx *bolt.Tx) error {
		n, err = tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	return n, err
}

// ctxWriter stops a long copy when ctx ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
