package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/internal/postgres"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
	"github.com/darbaza/darbaza/registry/pgstore"
)

const migrateUsage = `Usage: darbaza migrate [--config FILE]

Creates or updates the PostgreSQL schema of a config with storage: postgres
(docs/postgres.md). Migrations are numbered and forward-only: each is applied
once, in order, in its own transaction; a database whose schema is newer than
this build is refused and left as it is. Several nodes may run it at once:
they wait for each other. 'darbaza serve' runs it at start when
postgres.migrate is true, and otherwise refuses a schema that is not current.

Flags:
`

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, migrateUsage); fl.PrintDefaults() }
	configPath := fl.String("config", "darbaza.yaml", "configuration file (YAML) with storage: postgres")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fl.NArg() > 0 {
		fl.Usage()
		return 2
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza migrate:", err)
		return 2
	}
	if cfg.Storage != "postgres" {
		fmt.Fprintf(stderr, "darbaza migrate: %s: storage is %q; migrate is for storage: postgres\n", *configPath, cfg.Storage)
		return 2
	}
	pool, err := postgres.Open(ctx, pgOptions(cfg.Postgres))
	if err != nil {
		fmt.Fprintln(stderr, "darbaza migrate:", err)
		return 1
	}
	defer pool.Close()
	from, to, err := postgres.Migrate(ctx, pool)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza migrate:", err)
		return 1
	}
	if from == to {
		fmt.Fprintf(stdout, "schema version %d: up to date\n", to)
	} else {
		fmt.Fprintf(stdout, "schema version %d -> %d\n", from, to)
	}
	return 0
}

func pgOptions(c config.Postgres) postgres.Options {
	return postgres.Options{DSN: c.DSN, PasswordFile: c.PasswordFile, PasswordEnv: c.PasswordEnv, MaxConns: c.MaxConns}
}

// openPostgres connects to the database of cfg and migrates its schema or
// checks that it is current. The error never holds the password.
func openPostgres(ctx context.Context, cfg config.Postgres, logger *slog.Logger) (*pgxpool.Pool, error) {
	pool, err := postgres.Open(ctx, pgOptions(cfg))
	if err != nil {
		return nil, fmt.Errorf("%w: postgres.dsn: %w", config.ErrInvalid, err)
	}
	if cfg.Migrate {
		from, to, err := postgres.Migrate(ctx, pool)
		if err != nil {
			pool.Close()
			return nil, err
		}
		logger.Info("postgres schema", "from", from, "to", to)
		return pool, nil
	}
	if err := postgres.Check(ctx, pool); err != nil {
		pool.Close()
		if errors.Is(err, postgres.ErrOlderSchema) {
			err = fmt.Errorf("%w (or set postgres.migrate: true)", err)
		}
		return nil, err
	}
	return pool, nil
}

// agreeOnKeys refuses to serve with a subject key other than the one the
// nodes sharing the database use: records made under two keys would each
// be found under one only (getAccessHistory, audit list --pin).
func agreeOnKeys(ctx context.Context, pool *pgxpool.Pool, data dataDir, keys serverKeys) error {
	fp := accesslog.SubjectID(keys.subject, "darbaza: the fingerprint of the subject key")
	if err := postgres.AgreeOnKey(ctx, pool, "subject-hmac", fp); err != nil {
		return fmt.Errorf("%s: %w; copy keys/ from a node that serves on this database", data.SubjectKeyPath(), err)
	}
	return nil
}

// openConfiguredStore opens the registry store of cfg for a command other
// than serve: its database (whose schema must be current) for storage:
// postgres, else the bbolt file in its data folder. The function returned
// closes it (and the pool).
func openConfiguredStore(ctx context.Context, cfg config.Config, readOnly bool) (registry.Store, func(), error) {
	if cfg.Storage != "postgres" {
		if !readOnly {
			if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				return nil, nil, err
			}
		}
		return openBoltRegistry(dataDir(cfg.DataDir), readOnly)
	}
	pool, err := postgres.Open(ctx, pgOptions(cfg.Postgres))
	if err != nil {
		return nil, nil, err
	}
	if err := postgres.Check(ctx, pool); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return pgstore.New(pool), pool.Close, nil
}

// openBoltRegistry opens the registry file of data.
func openBoltRegistry(data dataDir, readOnly bool) (registry.Store, func(), error) {
	file, err := boltstore.Open(data.RegistryPath(), boltstore.Options{ReadOnly: readOnly})
	if err != nil {
		return nil, nil, err
	}
	return file, func() { file.Close() }, nil
}

// pingTimeout bounds the database check of /readyz.
const pingTimeout = time.Second

// backupPostgres copies the config file and dumps the database of cfg
// (pg_dump, one consistent snapshot, while the nodes serve) into out.
func backupPostgres(ctx context.Context, cfg config.Config, configPath, out string) error {
	if err := copyFile(configPath, filepath.Join(out, "darbaza.yaml")); err != nil {
		return err
	}
	return pgDump(ctx, cfg.Postgres, filepath.Join(out, "postgres.dump"))
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

// pgDump runs pg_dump --format=custom on the database of cfg into path.
// The password goes to pg_dump in PGPASSWORD, never on its command line;
// a search_path in the DSN (libpq does not know it as a parameter) goes in
// PGOPTIONS.
func pgDump(ctx context.Context, cfg config.Postgres, path string) error {
	bin, err := findPGDump()
	if err != nil {
		return err
	}
	dsn, env, err := libpqDSN(cfg)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--file="+path, "--dbname="+dsn)
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_dump: %w: %s", err, bytes.TrimSpace(msg))
	}
	return nil
}

func findPGDump() (string, error) {
	if p, err := exec.LookPath("pg_dump"); err == nil {
		return p, nil
	}
	if ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump"); len(ms) > 0 {
		return ms[len(ms)-1], nil
	}
	return "", errors.New("pg_dump not found; install Debian's postgresql-client")
}

func libpqDSN(cfg config.Postgres) (string, []string, error) {
	var env []string
	pw, err := postgres.Password(pgOptions(cfg))
	if err != nil {
		return "", nil, err
	}
	if pw != "" {
		env = append(env, "PGPASSWORD="+pw)
	}
	dsn := cfg.DSN
	if u, err := url.Parse(dsn); err == nil && strings.Contains(dsn, "://") {
		q := u.Query()
		if sp := q.Get("search_path"); sp != "" {
			q.Del("search_path")
			u.RawQuery = q.Encode()
			dsn = u.String()
			env = append(env, "PGOPTIONS=-c search_path="+sp)
		}
	}
	return dsn, env, nil
}
