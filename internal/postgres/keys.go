package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrKeyMismatch reports a node whose copy of a shared key differs from
// the one the database was first used with.
var ErrKeyMismatch = errors.New("this node's key differs from the one the other nodes use")

// AgreeOnKey makes sure every node sharing the database holds the same key
// called name: the first call stores fingerprint (a one-way value derived
// from the key, never the key), and every later call with another
// fingerprint fails with ErrKeyMismatch. Nodes call it at start for the
// keys whose differences would go unnoticed otherwise, such as the access
// log's subject key (records made under two keys are found under neither
// alone).
func AgreeOnKey(ctx context.Context, pool *pgxpool.Pool, name, fingerprint string) error {
	var stored string
	err := pool.QueryRow(ctx, `INSERT INTO darbaza_keys (name, fingerprint) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name
		RETURNING fingerprint`, name, fingerprint).Scan(&stored)
	if err != nil {
		return fmt.Errorf("postgres: key %s: %w", name, err)
	}
	if stored != fingerprint {
		return fmt.Errorf("%w: %s", ErrKeyMismatch, name)
	}
	return nil
}
