package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
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
