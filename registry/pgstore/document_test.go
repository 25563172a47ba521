package pgstore_test

import (
	"testing"

	"github.com/darbaza/darbaza/internal/pgtest"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/pgstore"
	"github.com/darbaza/darbaza/registry/storetest"
)

func TestDocumentsConform(t *testing.T) {
	storetest.RunDocuments(t, func(t *testing.T) registry.Store {
		return pgstore.New(pgtest.Open(t, pgtest.Schema(t, true)))
	})
}
