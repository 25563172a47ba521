package accesslog

import (
	"context"
	"io"
)

// Backup writes a consistent copy of the whole log storage to w, as of one
// snapshot, while appends go on. For the bbolt file the copy is itself a
// log file: `darbaza audit` reads it offline.
func (l *Log) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return l.store.Backup(ctx, w)
}

// Backup is Log.Backup on a log opened for reading.
func (r *Reader) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return r.store.Backup(ctx, w)
}
