package boltlog_test

import (
	"path/filepath"
	"testing"

	"github.com/darbaza/darbaza/adapter/accesslog/boltlog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/adapter/accesslog/logtest"
)

func TestConformance(t *testing.T) {
	logtest.Run(t, func(t *testing.T) func() logstore.Backend {
		path := filepath.Join(t.TempDir(), "log.db")
		return func() logstore.Backend {
			s, err := boltlog.Open(path, boltlog.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}
