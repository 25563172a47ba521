// Package pglog keeps the access log in PostgreSQL, so that every adapter
// node sharing the database appends to one verifiable chain (see
// logstore.Backend for the contract, docs/postgres.md for the design).
//
// One global chain with a database-side sequencer: each Commit is one
// transaction that first takes the log's advisory lock
// (postgres.LogLock) and locks the single row of access_log_head (SELECT
// ... FOR UPDATE), then reads the head, lets the log chain its batch onto
// it and inserts the batch. Commits from all nodes therefore run one at a
// time, in the order they get the lock, and each continues the chain the
// previous one left; a node that dies mid-commit holds the lock only until
// PostgreSQL ends its session, and its transaction leaves nothing.
//
// A commit may also join a transaction of the registry on the same
// database (In): a write's record then commits with its change, or not at
// all. That transaction holds the lock from before its first statement
// (pgstore's JoinLog), so no other commit runs while it is open.
//
// Durability: the transaction commits with synchronous_commit on (the pool
// of internal/postgres sets it), so COMMIT returns only once the server
// has flushed the commit to its write-ahead log.
//
// The tables are created by internal/postgres's migration
// 0002_access_log.sql. Values are kept as the opaque bytes package
// accesslog encodes, so the same verifier checks them.
package pglog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/internal/postgres"
)

// CommitTimeout bounds one Commit, so that a database that stops answering
// (a network partition rather than a refused connection) fails the commit,
// and the requests waiting on it, instead of holding them forever.
const CommitTimeout = 10 * time.Second

// Store is the access log in a PostgreSQL database. It implements
// logstore.Backend and may be shared by any number of processes.
type Store struct {
	pool *pgxpool.Pool
}

var _ logstore.Backend = (*Store)(nil)

// New returns a store over pool, whose schema must be migrated
// (internal/postgres). The store does not own pool: Close leaves it open.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Close implements logstore.Backend; the pool stays open for its owner.
func (s *Store) Close() error { return nil }

// Init stores format if the database holds no log yet.
func (s *Store) Init(ctx context.Context, format []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, "INSERT INTO access_log_meta (key, value) VALUES ('format', $1) ON CONFLICT (key) DO NOTHING", format)
	if err != nil {
		return fmt.Errorf("pglog: init: %w", err)
	}
	return nil
}

// headQuery reads the whole head in one statement, hence one snapshot.
const headQuery = `SELECT
	(SELECT value FROM access_log_meta WHERE key = 'format'),
	(SELECT value FROM access_log_meta WHERE key = 'anchor'),
	r.seq, r.value, c.seq, c.value
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (SELECT seq, value FROM access_log_records ORDER BY seq DESC LIMIT 1) AS r ON true
LEFT JOIN LATERAL (SELECT seq, value FROM access_log_checkpoints ORDER BY seq DESC LIMIT 1) AS c ON true`

func readHead(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (logstore.Head, error) {
	var h logstore.Head
	var rseq, cseq *int64
	var rval, cval []byte
	if err := q.QueryRow(ctx, headQuery).Scan(&h.Format, &h.Anchor, &rseq, &rval, &cseq, &cval); err != nil {
		return logstore.Head{}, fmt.Errorf("pglog: head: %w", err)
	}
	if rseq != nil {
		h.Record = &logstore.Item{Seq: uint64(*rseq), Value: rval}
	}
	if cseq != nil {
		h.Checkpoint = &logstore.Item{Seq: uint64(*cseq), Value: cval}
	}
	return h, nil
}

// Head implements logstore.Backend.
func (s *Store) Head(ctx context.Context) (logstore.Head, error) {
	if err := ctx.Err(); err != nil {
		return logstore.Head{}, err
	}
	return readHead(ctx, s.pool)
}

// lockHeadSQL takes the advisory lock, then the head row, in one round
// trip: two statements in one simple-protocol query (no arguments), run in
// order.
var lockHeadSQL = fmt.Sprintf("SELECT pg_advisory_xact_lock(%d); SELECT id FROM access_log_head WHERE id = 1 FOR UPDATE", postgres.LogLock)

// lockHead takes the sequencer's lock for the rest of tx: the advisory
// lock every commit and trim take (and a joined registry transaction
// holds already), then the head row, as every version of this package has.
func lockHead(ctx context.Context, tx pgx.Tx) error {
	tag, err := tx.Exec(ctx, lockHeadSQL)
	if err == nil && tag.RowsAffected() != 1 {
		err = errors.New("access_log_head has no row (is the schema migrated?)")
	}
	if err != nil {
		return fmt.Errorf("pglog: lock the head: %w", err)
	}
	return nil
}

// Commit implements logstore.Backend: lock, read the head, prepare, check
// and insert, in one READ COMMITTED transaction (each statement after the
// lock sees every commit made before it was granted).
func (s *Store) Commit(ctx context.Context, prepare func(logstore.Head) (logstore.Batch, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, CommitTimeout)
	defer cancel()
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		return commitIn(ctx, tx, prepare)
	})
}

// In returns a committer whose Commit runs inside tx, a transaction of
// the caller's on this store's database, instead of one of its own: what
// it stores commits or rolls back with tx, and is durable only once tx
// commits. The caller must hold postgres.LogLock for tx's session since
// before tx's first statement (pgstore.Store.JoinLog does), so that tx's
// snapshot sees the newest head; a batch chained onto an older one is
// refused (logstore.ErrConflict, or the primary key), never stored.
func (s *Store) In(tx pgx.Tx) logstore.Committer { return joined{tx} }

type joined struct{ tx pgx.Tx }

func (j joined) Commit(ctx context.Context, prepare func(logstore.Head) (logstore.Batch, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return commitIn(ctx, j.tx, prepare)
}

// commitIn is Commit's work in tx: lock, read the head, prepare, check and
// insert.
func commitIn(ctx context.Context, tx pgx.Tx, prepare func(logstore.Head) (logstore.Batch, error)) error {
	if err := lockHead(ctx, tx); err != nil {
		return err
	}
	h, err := readHead(ctx, tx)
	if err != nil {
		return err
	}
	if h.Format == nil {
		return fmt.Errorf("%w: the database holds no log (Init was not called)", logstore.ErrCorrupt)
	}
	b, err := prepare(h)
	if err != nil {
		return err
	}
	if b.Empty() {
		return nil
	}
	if err := b.Continues(h, 1, math.MaxInt64); err != nil {
		return err
	}
	var subjects [][]any
	records := make([][]any, 0, len(b.Records))
	for _, r := range b.Records {
		records = append(records, []any{int64(r.Seq), r.Value})
		for _, sub := range r.Subjects {
			subjects = append(subjects, []any{sub[:], int64(r.Seq)})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"access_log_records"}, []string{"seq", "value"}, pgx.CopyFromRows(records)); err != nil {
		return fmt.Errorf("pglog: records: %w", err)
	}
	if len(subjects) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"access_log_subjects"}, []string{"subject", "seq"}, pgx.CopyFromRows(subjects)); err != nil {
			return fmt.Errorf("pglog: subjects: %w", err)
		}
	}
	for _, c := range b.Checkpoints {
		if _, err := tx.Exec(ctx, "INSERT INTO access_log_checkpoints (seq, value) VALUES ($1, $2)", int64(c.Seq), c.Value); err != nil {
			return fmt.Errorf("pglog: checkpoint: %w", err)
		}
	}
	return nil
}

// clamp maps a sequence number onto bigint.
func clamp(seq uint64) int64 { return int64(min(seq, math.MaxInt64)) }

// Records implements logstore.Backend with one statement.
func (s *Store) Records(ctx context.Context, from uint64, limit int) ([]logstore.Item, error) {
	return s.page(ctx, "SELECT seq, value FROM access_log_records WHERE seq >= $1 ORDER BY seq LIMIT $2", from, limit)
}

// Checkpoints implements logstore.Backend with one statement.
func (s *Store) Checkpoints(ctx context.Context, from uint64, limit int) ([]logstore.Item, error) {
	return s.page(ctx, "SELECT seq, value FROM access_log_checkpoints WHERE seq >= $1 ORDER BY seq LIMIT $2", from, limit)
}

func (s *Store) page(ctx context.Context, query string, from uint64, limit int) ([]logstore.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || from > math.MaxInt64 {
		return nil, nil
	}
	return s.items(ctx, query, int64(from), limit)
}

func (s *Store) items(ctx context.Context, query string, args ...any) ([]logstore.Item, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("pglog: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (logstore.Item, error) {
		var seq int64
		var it logstore.Item
		err := row.Scan(&seq, &it.Value)
		it.Seq = uint64(seq)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("pglog: %w", err)
	}
	return items, nil
}

// Lookup implements logstore.Backend with one statement.
func (s *Store) Lookup(ctx context.Context, subject [32]byte, atMost uint64, limit int) ([]logstore.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || atMost == 0 {
		return nil, nil
	}
	return s.items(ctx, `SELECT s.seq, r.value FROM access_log_subjects s
		LEFT JOIN access_log_records r ON r.seq = s.seq
		WHERE s.subject = $1 AND s.seq <= $2 ORDER BY s.seq DESC LIMIT $3`, subject[:], clamp(atMost), limit)
}

// Trim implements logstore.Backend in one transaction under the
// sequencer's lock. It removes every subject entry of the removed records
// (those with seq <= through), which includes refs.
func (s *Store) Trim(ctx context.Context, through uint64, refs []logstore.SubjectRef, anchor []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_ = refs // every entry <= through goes, refs among them
	t := clamp(through)
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if err := lockHead(ctx, tx); err != nil {
			return err
		}
		for _, q := range []string{
			"DELETE FROM access_log_records WHERE seq <= $1",
			"DELETE FROM access_log_checkpoints WHERE seq <= $1",
			"DELETE FROM access_log_subjects WHERE seq <= $1",
		} {
			if _, err := tx.Exec(ctx, q, t); err != nil {
				return fmt.Errorf("pglog: trim: %w", err)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO access_log_meta (key, value) VALUES ('anchor', $1)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, anchor)
		if err != nil {
			return fmt.Errorf("pglog: trim: %w", err)
		}
		return nil
	})
}

// Backup is left to PostgreSQL's own tools (pg_dump; docs/postgres.md):
// it returns an error wrapping errors.ErrUnsupported.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return 0, fmt.Errorf("pglog: back up the database with pg_dump (docs/postgres.md): %w", errors.ErrUnsupported)
}
