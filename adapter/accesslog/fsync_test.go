package accesslog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/internal/testenv"
)

// fsyncChildEnv switches the test binary into the fsync test's child: it
// appends fsyncAppends records one at a time to a new log in that
// directory and fsyncs the file "marker" once before the first Append and
// once after each Append returns, so that a system-call trace shows where
// each acknowledgement happened.
const fsyncChildEnv = "DARBAZA_ACCESSLOG_FSYNC_CHILD"

const fsyncAppends = 20

func fsyncChild(dir string) int {
	signer, cert, err := readPEM(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	marker, err := os.Create(filepath.Join(dir, "marker"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	l, err := Open(Options{
		Path: filepath.Join(dir, "log.db"), Signer: signer, Certificate: cert,
		SubjectKey: testSubjectKey, CheckpointInterval: time.Hour,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	for i := range fsyncAppends + 1 {
		if i > 0 {
			if _, err := l.Append(context.Background(), testEntry(i)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
		}
		if err := marker.Sync(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
	}
	if err := l.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}

// TestEveryAcknowledgedAppendWasSynced observes durability rather than
// trusting a setting: it runs sequential Appends under strace and checks
// that between the return of one Append and the return of the next the
// log file was synced (fdatasync or fsync) at least once. A log that
// stopped syncing its commits (bbolt's NoSync, a backend that only writes)
// fails it, though no crash test could tell: the page cache survives a
// killed process.
func TestEveryAcknowledgedAppendWasSynced(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary under strace")
	}
	strace, err := exec.LookPath("strace")
	testenv.Require(t, "strace (Debian package strace, `make interop-deps`)", err)
	dir := t.TempDir()
	writePEM(t, newECKey(t), dir)
	trace := filepath.Join(dir, "trace")
	cmd := exec.Command(strace, "-f", "-qq", "-y", "-e", "trace=fdatasync,fsync", "-e", "signal=none",
		"-o", trace, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fsyncChildEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child under strace: %v\n%s", err, out)
	}
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logFile, markerFile := "<"+filepath.Join(dir, "log.db")+">", "<"+filepath.Join(dir, "marker")+">"
	markers, syncs := 0, 0
	var perAppend []int // log syncs between one marker and the next
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "fdatasync(") && !strings.Contains(line, "fsync(") {
			continue // "<... resumed>" lines: the call was counted where it began
		}
		switch {
		case strings.Contains(line, logFile):
			syncs++
		case strings.Contains(line, markerFile):
			if markers > 0 {
				perAppend = append(perAppend, syncs)
			}
			markers, syncs = markers+1, 0
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(perAppend) != fsyncAppends {
		t.Fatalf("the trace shows %d acknowledged appends, want %d", len(perAppend), fsyncAppends)
	}
	for i, n := range perAppend {
		if n == 0 {
			t.Errorf("Append %d returned without a sync of the log file: acknowledged before it was durable", i+1)
		}
	}
	t.Logf("log-file syncs per sequential Append: %v", perAppend)
}
