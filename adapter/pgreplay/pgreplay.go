// Package pgreplay keeps replay claims in PostgreSQL, so that a request
// replayed to another adapter node is refused too (docs/postgres.md). It
// implements adapter.Replayer over the table replay_claims of
// internal/postgres's migration 0003_replay.sql: one row per verified
// (client, message id) pair, with the time it may be used again.
//
// A claim is one INSERT ... ON CONFLICT statement, atomic across nodes:
// of two nodes claiming the same pair at once, exactly one succeeds. An
// unreachable database fails the claim, so the request fails closed.
package pgreplay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/darbaza/darbaza/adapter"
)

// Timeout bounds one claim, so that a request does not hang on a database
// that does not answer.
const Timeout = 5 * time.Second

// Cache is the replay claims of every node sharing a database.
type Cache struct {
	pool   *pgxpool.Pool
	window time.Duration

	mu     sync.Mutex
	nextGC time.Time
}

var _ adapter.Replayer = (*Cache)(nil)

// New returns claims in pool's database, each kept for window.
func New(pool *pgxpool.Pool, window time.Duration) *Cache {
	return &Cache{pool: pool, window: window}
}

const claim = `INSERT INTO replay_claims (client, id, expires) VALUES ($1, $2, $3)
ON CONFLICT (client, id) DO UPDATE SET expires = excluded.expires
WHERE replay_claims.expires <= $4
RETURNING true`

// Claim records (client, id) as used at now, or fails with an error
// wrapping adapter.ErrReplay if any node claimed it within the window.
func (c *Cache) Claim(client, id string, now time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	var claimed bool
	err := c.pool.QueryRow(ctx, claim, client, id, now.Add(c.window), now).Scan(&claimed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %s, id %q", adapter.ErrReplay, client, id)
	case err != nil:
		return fmt.Errorf("replay claims: %w", err)
	}
	c.collect(ctx, now)
	return nil
}

// collect deletes expired claims, at most every quarter window per node.
func (c *Cache) collect(ctx context.Context, now time.Time) {
	c.mu.Lock()
	due := now.After(c.nextGC)
	if due {
		c.nextGC = now.Add(c.window / 4)
	}
	c.mu.Unlock()
	if due {
		// A failure only leaves rows for the next round.
		_, _ = c.pool.Exec(ctx, "DELETE FROM replay_claims WHERE expires <= $1", now)
	}
}
