package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/user"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/pglog"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/internal/postgres"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/pgstore"
)

// operatorClientPrefix starts the client of an access record that an
// operator's command made (darbaza certificate revoke): operator/USER, as
// the auditors' console's records are console/NAME.
const operatorClientPrefix = "operator/"

// operatorWrite is the registry and the access log of cfg, opened for a
// command that changes the registry outside a request: its change is
// recorded under the write contract (docs/protocol.md, "Writes"), the
// record committed before the change (bbolt) or with it (PostgreSQL).
type operatorWrite struct {
	store registry.Store
	log   *accesslog.Log
	pool  *pgxpool.Pool // storage: postgres
	who   string
	close func() error
}

// openOperatorWrite opens the stores of cfg for writing, with the keys
// serve uses (the checkpoint key signs the log's checkpoints). With bbolt
// the files are locked, so the server must be stopped.
func openOperatorWrite(ctx context.Context, cfg config.Config, logger *slog.Logger) (*operatorWrite, error) {
	data := dataDir(cfg.DataDir)
	keys, err := loadServerKeys(data, cfg.Signing, logger)
	if err != nil {
		return nil, err
	}
	if keys.checkpoint, keys.checkpointCert, err = loadCheckpointKey(cfg.AccessLog, keys.signer, keys.cert); err != nil {
		return nil, err
	}
	op := &operatorWrite{who: operatorName()}
	var closeStore func()
	if cfg.Storage == "postgres" {
		if op.pool, err = postgres.Open(ctx, pgOptions(cfg.Postgres)); err != nil {
			return nil, err
		}
		if err := postgres.Check(ctx, op.pool); err != nil {
			op.pool.Close()
			return nil, err
		}
		op.store, closeStore = pgstore.New(op.pool).JoinLog(), op.pool.Close
	} else if op.store, closeStore, err = openBoltRegistry(data, false); err != nil {
		return nil, fmt.Errorf("%w (is the server running?)", err)
	}
	if op.log, err = openAccessLog(data, op.pool, keys, cfg, nil, logger); err != nil {
		closeStore()
		return nil, err
	}
	op.close = func() error {
		err := op.log.Close()
		closeStore()
		return err
	}
	return op, nil
}

// record appends e, as this operator's, inside tx where the log can join
// it (PostgreSQL), else in the log's own transaction.
func (op *operatorWrite) record(ctx context.Context, tx registry.Tx, e accesslog.Entry) error {
	e.ID = accesslog.NewRecordID()
	e.Client, e.UserID = operatorClientPrefix+op.who, op.who
	var err error
	if q := pgstore.Tx(tx); q != nil { // storage: postgres
		_, err = op.log.AppendIn(ctx, pglog.New(op.pool).In(q), e)
	} else {
		_, err = op.log.Append(ctx, e)
	}
	if err != nil {
		return fmt.Errorf("the access log: %w; nothing was changed", err)
	}
	return nil
}

// operatorName is the system user running the command.
func operatorName() string {
	u, err := user.Current()
	if err != nil || u.Username == "" {
		return "unknown"
	}
	return u.Username
}
