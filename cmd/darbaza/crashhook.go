package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// crashAfterEnv names the crash test's hook (cmd/darbaza/crash_test.go):
// a positive count n makes the server kill itself with SIGKILL right after
// its n-th response has been handed to the kernel, so that the test kills
// it at the same point on every run: when every response sent so far, that
// one included, must already have its access-log record. Unset in any real
// deployment; `darbaza serve` ignores it only when it is empty.
const crashAfterEnv = "DARBAZA_TEST_CRASH_AFTER_RESPONSES"

// crashAfterResponses returns h itself when setting is empty, otherwise h
// with the crash hook of crashAfterEnv set to setting.
func crashAfterResponses(h http.Handler, setting string) (http.Handler, error) {
	if setting == "" {
		return h, nil
	}
	n, err := strconv.Atoi(setting)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%s=%q: want a positive number of responses", crashAfterEnv, setting)
	}
	var started atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&crashWriter{ResponseWriter: w, isLast: func() bool { return started.Add(1) == int64(n) }}, r)
	}), nil
}

// crashWriter passes a response through unless it is the last one. That
// one gets a Content-Length (the pipeline writes a body in one Write), so
// the caller can read it whole, is flushed to the connection, and then the
// process kills itself before the handler does anything more.
type crashWriter struct {
	http.ResponseWriter
	isLast  func() bool
	started bool
	last    bool
	status  int
}

func (w *crashWriter) WriteHeader(code int) {
	if !w.started {
		w.started, w.last = true, w.isLast()
	}
	if w.last {
		w.status = code // sent by Write, with the body's length
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *crashWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if !w.last {
		return w.ResponseWriter.Write(p)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(p)))
	w.ResponseWriter.WriteHeader(w.status)
	n, err := w.ResponseWriter.Write(p)
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	time.Sleep(time.Minute) // SIGKILL ends the process before this does
	return n, err
}

// crashAtEnv names the write crash test's hook (cmd/darbaza/crash_test.go):
// the server kills itself with SIGKILL in the first store write after the
// registry is open (and the demo data loaded): at "begin", before the
// write's function runs; at "seal", when the function has returned (a
// write has sealed: its access record is durable) but before the commit;
// at "commit", after the commit, before the answer is sent. Unset in any
// real deployment.
const crashAtEnv = "DARBAZA_TEST_CRASH_AT"

// crashBeforeCommit returns s itself and a no-op when setting is empty,
// otherwise s with the hook of crashAtEnv, disarmed until arm is called.
func crashBeforeCommit(s registry.Store, setting string) (registry.Store, func(), error) {
	switch setting {
	case "":
		return s, func() {}, nil
	case "begin", "seal", "commit":
	default:
		return nil, nil, fmt.Errorf("%s=%q: want begin, seal or commit", crashAtEnv, setting)
	}
	c := &crashStore{Store: s, at: setting}
	return c, func() { c.armed.Store(true) }, nil
}

type crashStore struct {
	registry.Store
	at    string
	armed atomic.Bool
}

func (c *crashStore) Update(ctx context.Context, fn func(registry.Tx) error) error {
	if !c.armed.Load() {
		return c.Store.Update(ctx, fn)
	}
	c.kill("begin")
	err := c.Store.Update(ctx, func(tx registry.Tx) error {
		err := fn(tx)
		if err == nil {
			c.kill("seal")
		}
		return err
	})
	if err == nil {
		c.kill("commit")
	}
	return err
}

func (c *crashStore) kill(at string) {
	if c.at == at {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute) // SIGKILL ends the process before this does
	}
}
