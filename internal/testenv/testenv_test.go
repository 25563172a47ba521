package testenv

import (
	"errors"
	"runtime"
	"testing"
)

// outcome runs Require in a fake test and reports what it did to it.
func outcome(missing error) (failed, skipped bool) {
	ft := &fakeTB{}
	done := make(chan struct{})
	go func() { // Fatalf and Skipf end the goroutine, as in a real test
		defer close(done)
		Require(ft, "a tool", missing)
	}()
	<-done
	return ft.failed, ft.skipped
}

type fakeTB struct {
	testing.TB
	failed, skipped bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true; runtime.Goexit() }
func (f *fakeTB) Skipf(string, ...any)  { f.skipped = true; runtime.Goexit() }

func TestRequireFailsUnderAnyCIValueAndSkipsWithout(t *testing.T) {
	missing := errors.New("not on PATH")
	for _, tt := range []struct {
		ci                   string
		wantFailed, wantSkip bool
	}{
		{"", false, true},
		{"true", true, false},
		{"1", true, false},
		{"yes", true, false},
	} {
		t.Setenv("CI", tt.ci)
		if failed, skipped := outcome(missing); failed != tt.wantFailed || skipped != tt.wantSkip {
			t.Errorf("CI=%q, tool missing: failed %v skipped %v, want failed %v skipped %v", tt.ci, failed, skipped, tt.wantFailed, tt.wantSkip)
		}
		if failed, skipped := outcome(nil); failed || skipped {
			t.Errorf("CI=%q, tool present: failed %v skipped %v, want neither", tt.ci, failed, skipped)
		}
	}
}
