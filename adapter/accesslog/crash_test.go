package accesslog

import (
	"bufio"
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/darbaza/darbaza/signing"
)

// readPEM loads what writePEM stored.
func readPEM(dir string) (crypto.Signer, *x509.Certificate, error) {
	return signing.LoadKeyPair(filepath.Join(dir, "adapter.key"), filepath.Join(dir, "adapter.crt"))
}

// crashChildEnv switches the test binary into the crash test's child: it
// appends under concurrent load to the log in that directory and prints
// "ack <id>" for every Append that returned, until it is killed.
const crashChildEnv = "DARBAZA_ACCESSLOG_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	if dir := os.Getenv(fsyncChildEnv); dir != "" {
		os.Exit(fsyncChild(dir))
	}
	os.Exit(m.Run())
}

func crashChild(dir string) int {
	signer, cert, err := readPEM(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	l, err := Open(Options{
		Path: filepath.Join(dir, "log.db"), Signer: signer, Certificate: cert,
		SubjectKey: testSubjectKey, CheckpointInterval: 5 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				e := testEntry(w*1_000_000 + i)
				e.ID = fmt.Sprintf("%d-%s", os.Getpid(), e.ID) // unique across rounds
				if _, err := l.Append(context.Background(), e); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				out.Lock()
				os.Stdout.WriteString("ack " + e.ID + "\n") // unbuffered: one write per ack
				out.Unlock()
			}
		}()
	}
	wg.Wait()
	return 0
}

func TestKillDuringLoadLosesNoAcknowledgedRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	k := newECKey(t)
	dir := t.TempDir()
	writePEM(t, k, dir)
	for round := range 2 { // the second round appends to the log the first one crashed
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[string]bool{}
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			id, ok := strings.CutPrefix(sc.Text(), "ack ")
			if !ok {
				t.Fatalf("child printed %q", sc.Text())
			}
			acked[id] = true
			if len(acked) == 400 {
				cmd.Process.Kill() // SIGKILL mid-load; keep reading what was acknowledged before it
			}
		}
		err = cmd.Wait()
		if len(acked) < 400 {
			t.Fatalf("round %d: child stopped after %d acks: %v\n%s", round, len(acked), err, stderr.String())
		}

		l := openTestLog(t, Options{Path: filepath.Join(dir, "log.db"), Signer: k.Key, Certificate: k.Cert, SubjectKey: testSubjectKey})
		rep, err := l.Verify(context.Background(), verifyOpts(k))
		if err != nil {
			t.Fatalf("round %d: log does not verify after kill -9: %v", round, err)
		}
		if err := l.List(context.Background(), Filter{}, func(r Record) error {
			delete(acked, r.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(acked) != 0 {
			t.Fatalf("round %d: %d acknowledged records missing after kill -9 (of %d in the log)", round, len(acked), rep.Records)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d records, %d checkpoints verified after kill -9", round, rep.Records, rep.Checkpoints)
	}
}
