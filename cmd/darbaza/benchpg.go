package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/darbaza/darbaza/internal/postgres"
)

// benchSchema is the PostgreSQL schema of one bench run with --postgres:
// created empty when the run starts, so that runs never pile up, and
// dropped with everything in it when the run ends.
type benchSchema struct {
	admin postgres.Options // the DSN as given: the schema's owner connects with it
	name  string
	dsn   string // admin.DSN with search_path=name: what the nodes connect with
}

// createBenchSchema creates an empty schema bench_<random> in the database
// of dsn, whose password is the first line of passwordFile. The DSN must be
// a URL (postgres://user@host:port/db?...) without a password, as in a
// config.
func createBenchSchema(ctx context.Context, dsn, passwordFile string) (*benchSchema, error) {
	if err := postgres.CheckDSN(dsn); err != nil {
		return nil, fmt.Errorf("--postgres: %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("--postgres: not a postgres:// URL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	s := &benchSchema{admin: postgres.Options{DSN: dsn, PasswordFile: passwordFile}, name: "bench_" + hex.EncodeToString(b[:])}
	q := u.Query()
	q.Set("search_path", s.name)
	u.RawQuery = q.Encode()
	s.dsn = u.String()
	if err := s.exec(ctx, "CREATE SCHEMA "+s.name); err != nil {
		return nil, fmt.Errorf("creating the bench's schema: %w", err)
	}
	return s, nil
}

// drop drops the schema and everything in it.
func (s *benchSchema) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.exec(ctx, "DROP SCHEMA "+s.name+" CASCADE"); err != nil {
		return fmt.Errorf("dropping the bench's schema %s: %w", s.name, err)
	}
	return nil
}

func (s *benchSchema) exec(ctx context.Context, sql string) error {
	pool, err := postgres.Open(ctx, s.admin)
	if err != nil {
		return err
	}
	defer pool.Close()
	_, err = pool.Exec(ctx, sql)
	return err
}

// size is the bytes of the schema's tables with their indexes and TOAST.
func (s *benchSchema) size(ctx context.Context) (int64, error) {
	pool, err := postgres.Open(ctx, s.admin)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	var n int64
	err = pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
		WHERE ns.nspname = $1 AND c.relkind = 'r'`, s.name).Scan(&n)
	return n, err
}

// storageYAML is the storage part of a config on the schema.
func (s *benchSchema) storageYAML() string {
	return fmt.Sprintf(`storage: postgres
postgres:
  dsn: %q
  password_file: %q
`, s.dsn, s.admin.PasswordFile)
}

// importPostgres migrates the schema and imports the dataset src into it
// with 'darbaza migrate' and 'darbaza import --config', each a process of
// its own; only the import is timed.
func importPostgres(ctx context.Context, cfg benchConfig, src string, stderr io.Writer) (time.Duration, error) {
	conf := benchPath(cfg, "import.yaml")
	if err := os.WriteFile(conf, []byte("data_dir: import-data\n"+cfg.schema.storageYAML()), 0o600); err != nil {
		return 0, err
	}
	var took time.Duration
	for _, args := range [][]string{{"migrate", "--config", conf}, {"import", "--config", conf, src}} {
		cmd := exec.CommandContext(ctx, cfg.self, args...)
		cmd.Stderr = stderr
		start := time.Now()
		if out, err := cmd.Output(); err != nil {
			return 0, fmt.Errorf("darbaza %s: %w\n%s", args[0], err, out)
		}
		took = time.Since(start)
	}
	return took, nil
}

// nodeConfigs writes one config per node into the key type's folder dir,
// all on the bench's schema with the adapter key in dir, each with a data
// folder of its own (its admin socket) holding the one subject key every
// node sharing a database must have (docs/postgres.md). Node 1's is
// darbaza.yaml, node N's darbaza-N.yaml.
func nodeConfigs(cfg benchConfig, dir, common string) ([]string, error) {
	shared := benchPath(cfg, "subject-hmac.key")
	if _, err := createSubjectKey(shared); err != nil {
		return nil, err
	}
	subject, err := os.ReadFile(shared)
	if err != nil {
		return nil, err
	}
	var configs []string
	for n := 1; n <= slices.Max(cfg.nodes); n++ {
		data, conf := "data", "darbaza.yaml"
		if n > 1 {
			data, conf = fmt.Sprintf("data-%d", n), fmt.Sprintf("darbaza-%d.yaml", n)
		}
		keys := filepath.Join(dir, data, "keys")
		if err := os.MkdirAll(keys, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(keys, "subject-hmac.key"), subject, 0o600); err != nil {
			return nil, err
		}
		conf = filepath.Join(dir, conf)
		body := strings.Replace(common, "data_dir: data\n", "data_dir: "+data+"\n"+cfg.schema.storageYAML(), 1)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			return nil, err
		}
		configs = append(configs, conf)
	}
	return configs, nil
}
