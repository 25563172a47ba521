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
	pool *pgxpool.Pool
}

var _ registry.Store = (*Store)(nil)

// New returns a store over pool, whose schema must be migrated
// (internal/postgres). The store does not own pool: Close leaves it open.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

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
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadWrite})
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
