package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
)

// verifyJob is one full verification, run in the background: one at a
// time for the whole console, shown to every auditor.
type verifyJob struct {
	auditor     string
	started     time.Time
	first, last uint64        // the chain's records when it started
	done        atomic.Uint64 // the last record checked

	// Set once when the job ends, guarded by Console.mu.
	finished time.Time
	report   accesslog.Report
	err      error
}

// jobStatus is the JSON /verify/status sends and console.js draws.
type jobStatus struct {
	State    string `json:"state"` // "none", "running", "ok", "tampered", "failed"
	Auditor  string `json:"auditor,omitempty"`
	Started  string `json:"started,omitempty"`
	First    uint64 `json:"first"`
	Last     uint64 `json:"last"`
	Done     uint64 `json:"done"`
	Percent  int    `json:"percent"`
	Result   string `json:"result,omitempty"`   // the report, as `darbaza audit verify` prints it
	Problem  string `json:"problem,omitempty"`  // the first bad item, or why verification stopped
	Finished string `json:"finished,omitempty"` // UTC
}

// status reports j; the caller holds c.mu.
func (j *verifyJob) status() jobStatus {
	if j == nil {
		return jobStatus{State: "none"}
	}
	st := jobStatus{Auditor: j.auditor, Started: j.started.UTC().Format(time.DateTime), First: j.first, Last: j.last,
		Done: j.done.Load(), State: "running"}
	if st.Done < j.first {
		st.Done = j.first - 1
	}
	if n := j.last - j.first + 1; j.last >= j.first && n > 0 {
		st.Percent = int(min((st.Done-(j.first-1))*100/n, 100))
	} else {
		st.Percent = 100
	}
	if j.finished.IsZero() {
		return st
	}
	st.Finished = j.finished.UTC().Format(time.DateTime)
	var tamper *accesslog.TamperError
	switch {
	case j.err == nil:
		st.State, st.Percent, st.Result = "ok", 100, j.report.String()
	case errors.As(j.err, &tamper):
		st.State, st.Problem = "tampered", tamper.Error()
	default:
		st.State, st.Problem = "failed", j.err.Error()
	}
	return st
}

// startVerify records the request and starts a full verification, unless
// one is running: then the auditor watches that one.
func (c *Console) startVerify(w http.ResponseWriter, r *http.Request, s *session) {
	start := c.opts.Now()
	c.mu.Lock()
	running := c.job != nil && c.job.finished.IsZero()
	c.mu.Unlock()
	if running {
		http.Redirect(w, r, "/verify", http.StatusSeeOther)
		return
	}
	if err := c.record(r.Context(), s.actor(), serviceVerify, outcomeOK, "full verification", start); err != nil {
		c.unavailable(w, r, err)
		return
	}
	st, err := c.opts.Log.State(r.Context())
	if err != nil {
		c.internal(w, r, err)
		return
	}
	job := &verifyJob{auditor: s.auditor, started: start, first: st.Anchor.Seq + 1, last: st.HeadSeq}
	c.mu.Lock()
	if c.job != nil && c.job.finished.IsZero() { // another auditor was quicker
		c.mu.Unlock()
		http.Redirect(w, r, "/verify", http.StatusSeeOther)
		return
	}
	c.job = job
	c.mu.Unlock()
	c.wg.Add(1)
	go c.runVerify(c.ctx, job)
	http.Redirect(w, r, "/verify", http.StatusSeeOther)
}

// runVerify verifies the whole chain, reporting progress to job. The
// verification walks the log in short read transactions, so requests go
// on being logged meanwhile.
func (c *Console) runVerify(ctx context.Context, job *verifyJob) {
	defer c.wg.Done()
	opts := c.opts.Verify
	opts.Progress = func(seq uint64) { job.done.Store(seq) }
	rep, err := c.opts.Log.Verify(ctx, opts)
	c.mu.Lock()
	job.finished, job.report, job.err = c.opts.Now(), rep, err
	c.mu.Unlock()
	if err != nil {
		c.opts.Logger.Warn("console: verification failed", "auditor", job.auditor, "err", err)
	} else {
		c.opts.Logger.Info("console: verification passed", "auditor", job.auditor, "records", rep.Records)
	}
}

func (c *Console) currentJob() jobStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.job.status()
}

// verifyPage shows the newest verification and a button to start one.
func (c *Console) verifyPage(w http.ResponseWriter, r *http.Request, s *session) {
	st := c.currentJob()
	c.render(w, r, http.StatusOK, "verify", &view{Session: s, Job: &st})
}

// verifyStatus sends the newest verification's progress as JSON.
func (c *Console) verifyStatus(w http.ResponseWriter, r *http.Request, s *session) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(c.currentJob())
}
