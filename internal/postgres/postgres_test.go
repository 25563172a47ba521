package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/darbaza/darbaza/internal/pgtest"
	"github.com/darbaza/darbaza/internal/postgres"
)

func TestMigrationsAreNumberedOnceEach(t *testing.T) {
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || postgres.Latest() != len(ms) {
		t.Fatalf("%d migrations, Latest %d", len(ms), postgres.Latest())
	}
}

func TestCheckDSNRefusesAPassword(t *testing.T) {
	for _, tt := range []struct {
		dsn  string
		want error
	}{
		{"postgres://darbaza@db:5432/darbaza?sslmode=verify-full", nil},
		{"host=db user=darbaza dbname=darbaza", nil},
		{"postgres://darbaza:secret@db/darbaza", postgres.ErrPasswordInDSN},
		{"postgres://darbaza@db/darbaza?password=secret", postgres.ErrPasswordInDSN},
		{"host=db user=darbaza password=secret", postgres.ErrPasswordInDSN},
		{"password = secret host=db", postgres.ErrPasswordInDSN},
		{"host=db passwordless=1", nil},
	} {
		if err := postgres.CheckDSN(tt.dsn); !errors.Is(err, tt.want) {
			t.Errorf("CheckDSN(%q) = %v, want %v", tt.dsn, err, tt.want)
		}
	}
}

func TestMigrateIsForwardOnly(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Open(t, pgtest.Schema(t, false))
	if err := postgres.Check(ctx, pool); !errors.Is(err, postgres.ErrOlderSchema) {
		t.Errorf("Check on an empty database = %v, want ErrOlderSchema", err)
	}
	from, to, err := postgres.Migrate(ctx, pool)
	if err != nil || from != 0 || to != postgres.Latest() {
		t.Fatalf("Migrate = %d, %d, %v; want 0, %d", from, to, err, postgres.Latest())
	}
	if err := postgres.Check(ctx, pool); err != nil {
		t.Errorf("Check after Migrate = %v", err)
	}
	if from, to, err := postgres.Migrate(ctx, pool); err != nil || from != to || to != postgres.Latest() {
		t.Errorf("Migrate again = %d, %d, %v; want nothing to do", from, to, err)
	}

	// A newer build's migration is refused by Migrate and Check alike.
	if _, err := pool.Exec(ctx, "INSERT INTO darbaza_schema (version, name, sha256) VALUES ($1, 'from-the-future.sql', 'x')", postgres.Latest()+1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := postgres.Migrate(ctx, pool); !errors.Is(err, postgres.ErrNewerSchema) {
		t.Errorf("Migrate on a newer schema = %v, want ErrNewerSchema", err)
	}
	if err := postgres.Check(ctx, pool); !errors.Is(err, postgres.ErrNewerSchema) {
		t.Errorf("Check on a newer schema = %v, want ErrNewerSchema", err)
	}
	if _, err := pool.Exec(ctx, "DELETE FROM darbaza_schema WHERE version > $1", postgres.Latest()); err != nil {
		t.Fatal(err)
	}

	// An applied migration that was edited afterwards is found.
	if _, err := pool.Exec(ctx, "UPDATE darbaza_schema SET sha256 = 'edited' WHERE version = 1"); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Check(ctx, pool); !errors.Is(err, postgres.ErrChangedMigration) {
		t.Errorf("Check after editing a migration = %v, want ErrChangedMigration", err)
	}
}

func TestNodesAgreeOnAKey(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Open(t, pgtest.Schema(t, true))
	if err := postgres.AgreeOnKey(ctx, pool, "subject", "aaaa"); err != nil {
		t.Fatalf("the first node: %v", err)
	}
	if err := postgres.AgreeOnKey(ctx, pool, "subject", "aaaa"); err != nil {
		t.Errorf("a node with the same key: %v", err)
	}
	if err := postgres.AgreeOnKey(ctx, pool, "subject", "bbbb"); !errors.Is(err, postgres.ErrKeyMismatch) {
		t.Errorf("a node with another key = %v, want ErrKeyMismatch", err)
	}
	if err := postgres.AgreeOnKey(ctx, pool, "other", "bbbb"); err != nil {
		t.Errorf("another key name: %v", err)
	}
}
