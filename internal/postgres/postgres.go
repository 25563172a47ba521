package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options say how to reach the database.
type Options struct {
	// DSN is a libpq connection string, URL or key=value form. It must not
	// hold a password: that comes from PasswordFile or PasswordEnv.
	DSN string
	// PasswordFile, if set, names a file whose first line is the password.
	PasswordFile string
	// PasswordEnv, if set, names an environment variable holding the
	// password. PasswordFile wins if both are set.
	PasswordEnv string
	// MaxConns caps the pool's connections; zero means pgxpool's default
	// (the larger of 4 and the number of CPUs).
	MaxConns int32
	// ConnectTimeout bounds each new connection; zero means 5 seconds, so
	// a request does not hang on an unreachable server.
	ConnectTimeout time.Duration
}

// ErrPasswordInDSN reports a DSN that carries a password.
var ErrPasswordInDSN = errors.New("the DSN holds a password; give it in password_file or password_env")

// passwordSetting finds a password in a key=value DSN ("password = x" too).
var passwordSetting = regexp.MustCompile(`(^|\s)password\s*=`)

// CheckDSN reports whether dsn can be parsed and carries no password. It
// never includes the DSN in its error, in case it does hold a secret.
func CheckDSN(dsn string) error {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return errors.New("the DSN is not a valid URL")
		}
		if _, ok := u.User.Password(); ok || u.Query().Has("password") {
			return ErrPasswordInDSN
		}
	} else if passwordSetting.MatchString(dsn) {
		return ErrPasswordInDSN
	}
	if _, err := pgconn.ParseConfig(dsn); err != nil {
		return errors.New("the DSN does not parse as a PostgreSQL connection string")
	}
	return nil
}

// Open connects a pool to the database opts name. It does not touch the
// schema: call [Migrate] or [Check]. Errors never include the password.
func Open(ctx context.Context, opts Options) (*pgxpool.Pool, error) {
	if err := CheckDSN(opts.DSN); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(opts.DSN)
	if err != nil {
		return nil, errors.New("postgres: the DSN does not parse")
	}
	password, err := Password(opts)
	if err != nil {
		return nil, err
	}
	if password != "" {
		cfg.ConnConfig.Password = password
	}
	cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	if cfg.ConnConfig.ConnectTimeout <= 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	// Commits must be durable before a record or a registration is
	// acknowledged, whatever the server's default.
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	cfg.ConnConfig.RuntimeParams["application_name"] = "darbaza"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return pool, nil
}

// Password reads the password opts name: from PasswordFile, else from
// PasswordEnv, else none ("").
func Password(opts Options) (string, error) {
	switch {
	case opts.PasswordFile != "":
		b, err := os.ReadFile(opts.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("postgres: password file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	case opts.PasswordEnv != "":
		pw, ok := os.LookupEnv(opts.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("postgres: the environment variable %s is not set", opts.PasswordEnv)
		}
		return pw, nil
	}
	return "", nil
}

// Retryable reports whether err is a transaction that lost a race and may
// be run again: a serialization failure or a deadlock (SQLSTATE 40001,
// 40P01).
func Retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// LogLock is the advisory lock key of the access log's head ("darbazb"),
// the sequencer of docs/postgres.md. Every transaction that adds to or
// trims the log (package pglog) takes it as a transaction lock before it
// reads the head. A registry write whose access record joins its
// transaction (pgstore's JoinLog) takes it for its session before that
// transaction's first statement, so that the transaction's snapshot
// already sees the newest head and no other commit can move the head
// until it ends; advisory locks are re-entrant within a session, so the
// record's own commit inside the transaction takes it again at once.
const LogLock int64 = 0x64617262617a62
