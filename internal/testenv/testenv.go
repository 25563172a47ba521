// Package testenv holds the one rule Darbaza's tests follow for external
// tools (xmlsec1, node, python3-zeep, strace ...): on a developer's machine
// a test whose tool is missing is skipped, saying how to install it; under
// continuous integration, which installs every tool, it fails instead, so a
// CI run can never pass by skipping what it was meant to check.
package testenv

import (
	"os"
	"testing"
)

// CI reports whether the tests run under continuous integration: the
// environment variable CI holds any non-empty value (GitHub Actions and
// GitLab set CI=true; CI=1 counts the same).
func CI() bool {
	return os.Getenv("CI") != ""
}

// Require fails tb under CI and skips it elsewhere when missing, the reason
// a tool the test needs is unavailable, is not nil. what names the tool and
// how to get it.
func Require(tb testing.TB, what string, missing error) {
	tb.Helper()
	if missing == nil {
		return
	}
	if CI() {
		tb.Fatalf("%s is required under CI (CI=%q): %v", what, os.Getenv("CI"), missing)
	}
	tb.Skipf("%s is missing, so this test is skipped (it fails under CI): %v", what, missing)
}
