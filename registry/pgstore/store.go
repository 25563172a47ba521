package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/darbaza/darbaza/internal/postgres"
	"github.com/darbaza/darbaza/registry"
)

// maxAttempts bounds how often Update runs fn when it keeps losing races.
const maxAttempts = 100

// formatV1 is the format column of every stored record: the value is the
// record's JSON encoding as described on its type in package registry.
// Changing that encoding means a new format number and a decoder for the
// old one.
const formatV1 = 1

// Store is the registry in a PostgreSQL database. It implements
// [registry.Store] and is safe for concurrent use, also by several
// processes sharing the database.
type Store struct {
	pool    *pgxpool.Pool
	joinLog bool // Update holds postgres.LogLock (JoinLog)
}

var _ registry.Store = (*Store)(nil)

// New returns a store over pool, whose schema must be migrated
// (internal/postgres). The store does not own pool: Close leaves it open.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// JoinLog makes every Update hold the access log's head lock
// (postgres.LogLock) for its session from before its transaction begins
// until it ends, so that an access record chained inside the transaction
// (pglog.Store.In, through Tx) commits with the change, onto the newest
// head. It returns s. While a write runs, no node commits to the access
// log: writes are short, and they take turns with the log's group commits
// and with each other, so writes no longer race each other into
// serialization failures either.
func (s *Store) JoinLog() *Store {
	s.joinLog = true
	return s
}

// Tx returns the PostgreSQL transaction under a registry transaction of a
// Store's Update, for another store of the same database to work in, or
// nil if tx is not one.
func Tx(rt registry.Tx) pgx.Tx {
	if t, ok := rt.(*tx); ok && !t.readOnly {
		return t.q
	}
	return nil
}

// Close implements [registry.Store.Close]; the pool stays open for its owner.
func (s *Store) Close() error { return nil }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// View implements [registry.Store.View].
func (s *Store) View(ctx context.Context, fn func(registry.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer ptx.Rollback(context.WithoutCancel(ctx))
	// The snapshot is taken by the first statement, not by BEGIN: take it now.
	if _, err := ptx.Exec(ctx, "SELECT 1"); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return fn(&tx{ctx: ctx, q: ptx, readOnly: true})
}

// Update implements [registry.Store.Update] with a SERIALIZABLE
// transaction, running fn again (up to maxAttempts times) when PostgreSQL
// reports a serialization failure or a deadlock.
func (s *Store) Update(ctx context.Context, fn func(registry.Tx) error) error {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.update(ctx, fn)
		if err == nil || !postgres.Retryable(err) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("registry: gave up after %d serialization failures: %w", attempt, err)
		}
		// Back off a little, at random, so racers do not meet again.
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt, 20))))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// update is one attempt of Update. A panic in fn rolls back and goes on.
func (s *Store) update(ctx context.Context, fn func(registry.Tx) error) (err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer conn.Release()
	if s.joinLog {
		// Taken before BEGIN: the snapshot, made by the first statement
		// in the transaction, must already see the newest log head.
		defer unlockLog(ctx, conn)
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", postgres.LogLock); err != nil {
			return fmt.Errorf("registry: lock the access log: %w", err)
		}
	}
	ptx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadWrite})
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			ptx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(&tx{ctx: ctx, q: ptx}); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("registry: commit: %w", err)
	}
	committed = true
	return nil
}

// unlockLog releases the session's hold of postgres.LogLock (a no-op if
// it has none). If that fails the connection is closed instead, which
// ends the session and its locks, so the pool never hands out a
// connection still holding the lock.
func unlockLog(ctx context.Context, conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", postgres.LogLock); err != nil {
		conn.Conn().Close(ctx)
	}
}

// tx is one PostgreSQL transaction seen through [registry.Tx]. Each
// register adds its methods in a file of its own.
type tx struct {
	ctx      context.Context
	q        pgx.Tx
	readOnly bool
}

var _ registry.Tx = (*tx)(nil)

// writable fails with registry.ErrReadOnly inside View.
func (t *tx) writable() error {
	if t.readOnly {
		return registry.ErrReadOnly
	}
	return nil
}

// notFound wraps registry.ErrNotFound for a missing row, and says which.
func notFound(err error, what, key string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s %s", registry.ErrNotFound, what, key)
	}
	return fmt.Errorf("%s %q: %w", what, key, err)
}
