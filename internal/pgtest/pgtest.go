// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the server that DARBAZA_TEST_POSTGRES names (a DSN; .ci/postgres
// starts one and `make test` passes it on). Without the variable a test is
// skipped, and under CI it fails (package testenv's rule), so CI can never
// pass by skipping the PostgreSQL tests.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/darbaza/darbaza/internal/postgres"
	"github.com/darbaza/darbaza/internal/testenv"
)

// EnvDSN names the environment variable holding the test server's DSN.
const EnvDSN = "DARBAZA_TEST_POSTGRES"

// Server returns the test server's DSN, or skips (fails under CI) tb.
func Server(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvDSN)
	var missing error
	if dsn == "" {
		missing = errors.New(EnvDSN + " is not set")
	}
	testenv.Require(tb, "a PostgreSQL server (make pg-up; export "+EnvDSN+"=$(cat /tmp/darbaza-pg/dsn))", missing)
	return dsn
}

// Admin returns the options that connect to the test server's database as
// its owner, as a config gives them: the DSN without its password, which
// is in a file of tb's.
func Admin(tb testing.TB) postgres.Options {
	tb.Helper()
	u, err := url.Parse(Server(tb))
	if err != nil {
		tb.Fatalf("%s: not a URL DSN", EnvDSN)
	}
	pw, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	pwFile := filepath.Join(tb.TempDir(), "pg-password")
	if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return postgres.Options{DSN: u.String(), PasswordFile: pwFile}
}

// Schema creates an empty schema for tb, migrated to the latest version if
// migrate is set and dropped when tb ends, and returns the options that
// connect to it: the DSN without its password, which is in a file.
func Schema(tb testing.TB, migrate bool) postgres.Options {
	tb.Helper()
	admin := Admin(tb)
	u, err := url.Parse(admin.DSN)
	if err != nil {
		tb.Fatal(err)
	}
	var b [8]byte
	rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	pool := Open(tb, admin)
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	opts := postgres.Options{DSN: u.String(), PasswordFile: admin.PasswordFile}
	if migrate {
		p := Open(tb, opts)
		if _, _, err := postgres.Migrate(ctx, p); err != nil {
			tb.Fatalf("migrate: %v", err)
		}
		p.Close()
	}
	return opts
}

// Open opens a pool with opts, closed when tb ends.
func Open(tb testing.TB, opts postgres.Options) *pgxpool.Pool {
	tb.Helper()
	pool, err := postgres.Open(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}
