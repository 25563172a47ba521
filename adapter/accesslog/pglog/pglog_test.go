package pglog_test

import (
	"testing"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/adapter/accesslog/logtest"
	"github.com/darbaza/darbaza/adapter/accesslog/pglog"
	"github.com/darbaza/darbaza/internal/pgtest"
)

func TestConformance(t *testing.T) {
	logtest.Run(t, func(t *testing.T) func() logstore.Backend {
		opts := pgtest.Schema(t, true)
		// Each open is a new pool, as a restarted node's would be.
		return func() logstore.Backend { return pglog.New(pgtest.Open(t, opts)) }
	})
}
