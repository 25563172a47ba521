package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter"
)

// TestKillDuringLoadLosesNoAnsweredRecord runs the server under load from
// concurrent callers with the crash hook (crashAfterEnv): it kills itself
// with SIGKILL right after handing its killAfter-th response to the kernel,
// while other requests are in flight. So every run ends the same way: a
// response has just left, and nothing after it happened. Restarted on the
// same files, the access log must verify, hold at least killAfter records
// (each response sent had its record first) and a record for every answer
// a caller received, the last one included, and the replay cache must have
// come back from it. A server that answered before its record was written
// would lose at least the last answer's record, on every run.
func TestKillDuringLoadLosesNoAnsweredRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server twice")
	}
	const callers, perCaller, killAfter = 8, 40, 120
	dir := filepath.Join(t.TempDir(), "demo")
	s := startServerEnv(t, dir, fmt.Sprintf("%s=%d", crashAfterEnv, killAfter))
	signed := presign(t, s, callers*perCaller)
	batches := make([][][]byte, callers)
	for c := range batches {
		batches[c] = signed[c*perCaller : (c+1)*perCaller]
	}
	replies := drive(t, s.URL, batches)
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		t.Fatalf("the server did not kill itself after %d responses", killAfter)
	}
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the server ended with %v, want death by SIGKILL from the crash hook\n%s", s.cmd.ProcessState, s.stderr)
	}
	answered := map[string][]byte{} // message id -> request
	for _, r := range replies {
		if r.result != adapter.OutcomeOK {
			t.Fatalf("request %s: result %q fault %q, want OK", r.messageID, r.result, r.fault)
		}
		answered[r.messageID] = r.request
	}
	if len(answered) == 0 {
		t.Fatalf("no answer received; the server sent %d before it died", killAfter)
	}

	s2 := startServerAt(t, dir)
	// One answered request again: the replay cache was rebuilt from the log.
	for id, req := range answered {
		if _, body, err := postWith(http.DefaultClient, s2.URL, req); err != nil || !strings.Contains(body, adapter.CodeReplay) {
			t.Errorf("replay of %s after the restart was not refused: %v\n%.300s", id, err, body)
		}
		break
	}
	s2.stop(t)

	data := filepath.Join(dir, "data")
	if code, out, errOut := darbaza(t, "audit", "verify", "--data", data); code != 0 {
		t.Fatalf("audit verify after kill -9 and restart: exit %d\n%s%s", code, out, errOut)
	}
	_, list, _ := darbaza(t, "audit", "list", "--data", data, "--outcome", adapter.OutcomeOK)
	logged := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		for _, f := range strings.Split(line, "\t") {
			if id, ok := strings.CutPrefix(f, "msg="); ok {
				logged[id] = true
			}
		}
	}
	if len(logged) < killAfter {
		t.Errorf("%d answered requests in the log, but the server sent %d answers before it died", len(logged), killAfter)
	}
	for id := range answered {
		if !logged[id] {
			t.Errorf("answered request %s has no access-log record", id)
		}
	}
	t.Logf("killed after answer %d; %d answers received, %d answered requests in the verified log", killAfter, len(answered), len(logged))
}
