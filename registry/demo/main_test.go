package demo

import (
	"fmt"
	"os"
	"testing"
)

var sharedDir string

// dirForDefault returns a directory for the store shared by the tests and
// benchmarks of this binary; TestMain removes it.
func dirForDefault() (string, error) { return sharedDir, nil }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "darbaza-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedDir = dir
	code := m.Run()
	if defaultStore != nil {
		defaultStore.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}
