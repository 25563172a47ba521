package postgres

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string // the file name
	SQL     string
	Sum     string // hex SHA-256 of SQL
}

// Errors of Migrate and Check, tested with errors.Is.
var (
	// ErrNewerSchema: the database was migrated by a newer build.
	ErrNewerSchema = errors.New("the database schema is newer than this build")
	// ErrOlderSchema: the database needs `darbaza migrate`.
	ErrOlderSchema = errors.New("the database schema is older than this build; run darbaza migrate")
	// ErrChangedMigration: an applied migration's file has changed since.
	ErrChangedMigration = errors.New("an applied migration differs from this build's file")
)

// Migrations returns the migrations this build holds, in order. Two files
// with one number, or a gap, is an error.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 4 {
			return nil, fmt.Errorf("postgres: migration %s: want NNNN_<what>.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b), Sum: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("postgres: migration %s: want number %04d (two files with one number, or a gap)", m.Name, i+1)
		}
	}
	return out, nil
}

// Latest is the schema version this build writes.
func Latest() int {
	ms, err := Migrations()
	if err != nil {
		panic(err) // the embedded files are checked by this package's tests
	}
	return len(ms)
}

// lockKey is the advisory lock that makes one Migrate run at a time
// across nodes ("darbaza" as 8 bytes).
const lockKey = 0x64617262617a61

const createSchemaTable = `CREATE TABLE IF NOT EXISTS darbaza_schema (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	sha256     text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// Migrate brings the database to [Latest]: it applies each migration not
// yet applied, in order, each in one transaction with its darbaza_schema
// row, and returns the versions before and after. It refuses a database
// with a newer schema (ErrNewerSchema) or a changed applied migration
// (ErrChangedMigration), applying nothing. Concurrent Migrates (several
// nodes starting at once) wait for each other on an advisory lock.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (from, to int, err error) {
	ms, err := Migrations()
	if err != nil {
		return 0, 0, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return 0, 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockKey))
	if _, err := conn.Exec(ctx, createSchemaTable); err != nil {
		return 0, 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	applied, err := appliedSums(ctx, conn.Conn())
	if err != nil {
		return 0, 0, err
	}
	if err := compare(applied, ms); err != nil {
		return len(applied), len(applied), err
	}
	from = len(applied)
	for _, m := range ms[from:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO darbaza_schema (version, name, sha256) VALUES ($1, $2, $3)", m.Version, m.Name, m.Sum)
			return err
		})
		if err != nil {
			return from, m.Version - 1, fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
	}
	return from, len(ms), nil
}

// Check returns nil if the database's schema is exactly [Latest], and an
// error wrapping ErrOlderSchema, ErrNewerSchema or ErrChangedMigration
// otherwise. Nodes call it at start unless they migrate.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Release()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('darbaza_schema') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if !exists {
		return fmt.Errorf("%w (the database has no Darbaza schema)", ErrOlderSchema)
	}
	applied, err := appliedSums(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if err := compare(applied, ms); err != nil {
		return err
	}
	if len(applied) < len(ms) {
		return fmt.Errorf("%w (version %d, this build needs %d)", ErrOlderSchema, len(applied), len(ms))
	}
	return nil
}

func appliedSums(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT version, sha256 FROM darbaza_schema ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("postgres: schema versions: %w", err)
	}
	var sums []string
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, err
		}
		if v != len(sums)+1 {
			return nil, fmt.Errorf("postgres: darbaza_schema skips to version %d", v)
		}
		sums = append(sums, sum)
	}
	return sums, rows.Err()
}

// compare checks that the applied migrations are a prefix of ms.
func compare(applied []string, ms []Migration) error {
	if len(applied) > len(ms) {
		return fmt.Errorf("%w (version %d, this build knows %d)", ErrNewerSchema, len(applied), len(ms))
	}
	for i, sum := range applied {
		if sum != ms[i].Sum {
			return fmt.Errorf("%w: %s", ErrChangedMigration, ms[i].Name)
		}
	}
	return nil
}
