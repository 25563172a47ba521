package pgstore_test

import (
	"testing"

	"github.com/darbaza/darbaza/internal/pgtest"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/pgstore"
	"github.com/darbaza/darbaza/registry/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store {
		s := pgstore.New(pgtest.Open(t, pgtest.Schema(t, true)))
		t.Cleanup(func() { s.Close() })
		return s
	})
}
