package main

import (
	"bufio"
	"bytes"
	enc "encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	bolt "go.etcd.io/bbolt"
)

// startWitness runs `darbaza witness serve` and returns its URL.
func startWitness(tb testing.TB, key, state, logKey string) string {
	tb.Helper()
	cmd := exec.Command(binary, "witness", "serve", "--key", key, "--state", state, "--log", logKey, "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := regexp.MustCompile(`serving on (\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case err := <-done:
		tb.Fatalf("the witness exited: %v\n%s", err, stderr.String())
	case <-time.After(time.Minute):
		tb.Fatalf("the witness did not start\n%s", stderr.String())
	}
	return ""
}

// TestAWitnessCatchesATailCutOffWithItsCheckpoints is issue 13 from
// outside: the adapter signs checkpoints with a checkpoint key kept out of
// the data folder and sends them to a witness running as its own process;
// after a tail is cut off the log together with the checkpoints that
// cover it, `audit verify` alone passes, `audit verify --witness` fails,
// and the restarted server, whose next checkpoint the witness refuses,
// says so in /readyz and its metrics.
func TestAWitnessCatchesATailCutOffWithItsCheckpoints(t *testing.T) {
	tmp := t.TempDir()
	keys := filepath.Join(tmp, "keys") // apart from the data folder
	if code, out, errOut := darbaza(t, "keygen", "--out", keys, "--name", "checkpoint"); code != 0 {
		t.Fatalf("keygen: %d %s%s", code, out, errOut)
	}
	cpCert := filepath.Join(keys, "checkpoint.crt")
	const origin = "darbaza.test/accesslog"
	code, logKey, errOut := darbaza(t, "witness", "logkey", "--cert", cpCert, "--origin", origin)
	if code != 0 {
		t.Fatalf("witness logkey: %d %s", code, errOut)
	}
	logKey = strings.TrimSpace(logKey)
	wkey := filepath.Join(tmp, "witness.key")
	code, witnessKey, errOut := darbaza(t, "witness", "keygen", "--name", "witness.test", "--out", wkey)
	if code != 0 {
		t.Fatalf("witness keygen: %d %s", code, errOut)
	}
	witnessKey = strings.TrimSpace(witnessKey)
	state := filepath.Join(tmp, "witness-state.json")
	wurl := startWitness(t, wkey, state, logKey)

	configure := func(dir string) {
		path := filepath.Join(dir, "darbaza.yaml")
		conf, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		witnessed := fmt.Sprintf(`checkpoint_interval: 1s
  checkpoint_key: %s
  checkpoint_cert: %s
  origin: %s
  witness_max_age: 2s
  witnesses:
    - url: %s
      key: %s
 `, filepath.Join(keys, "checkpoint.key"), cpCert, origin, wurl, witnessKey)
		out := bytes.Replace(conf, []byte("checkpoint_interval: 1m "), []byte(witnessed), 1)
		if bytes.Equal(out, conf) {
			t.Fatal("no checkpoint_interval in the demo config")
		}
		if err := os.WriteFile(path, out, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := startServerWith(t, configure)
	sample := filepath.Join("..", "..", "testdata", "requests", "getPerson-found.xml")
	const first = 4
	for range first {
		if code, out, errOut := s.send(t, "portal", sample); code != 0 {
			t.Fatalf("send: %d %s%s", code, out, errOut)
		}
	}
	waitFor(t, "the witness to countersign the first requests", func() bool {
		st, err := witness.ReadState(state)
		return err == nil && st.Logs[origin].Size >= first
	})
	for range 3 {
		s.send(t, "portal", sample)
	}
	waitFor(t, "the witness to countersign all requests", func() bool {
		st, err := witness.ReadState(state)
		return err == nil && st.Logs[origin].Size >= first+3
	})
	if code, body := get(t, s.URL+"readyz"); code != 200 {
		t.Errorf("/readyz while witnessed: %d %s", code, body)
	}
	s.stop(t)
	data := filepath.Join(s.Dir, "data")

	verify := func(extra ...string) (int, string) {
		args := append([]string{"audit", "verify", "--data", data, "--cert", cpCert}, extra...)
		code, out, errOut := darbaza(t, args...)
		return code, out + errOut
	}
	withWitness := []string{"--witness", state, "--witness-key", witnessKey}
	if code, out := verify(withWitness...); code != 0 || !strings.Contains(out, "witnessed:") {
		t.Fatalf("audit verify --witness of the untouched log: exit %d\n%s", code, out)
	}

	// Cut the last three records and every checkpoint that covers them.
	st, err := witness.ReadState(state)
	if err != nil {
		t.Fatal(err)
	}
	witnessedSize := st.Logs[origin].Size
	cutFrom := witnessedSize - 2
	cutTail(t, filepath.Join(data, "accesslog.db"), cutFrom)
	if code, out := verify(); code != 0 {
		t.Fatalf("without the witness the cut should go unnoticed (that is the hole the witness closes), but: exit %d\n%s", code, out)
	}
	code, out := verify(withWitness...)
	if code != 1 || !strings.Contains(out, "records removed from the end") || !strings.Contains(out, fmt.Sprintf("countersigned %d records", witnessedSize)) {
		t.Fatalf("audit verify --witness of the cut log: exit %d, want 1 naming the cut\n%s", code, out)
	}

	// The server reopens the cut log, but the witness refuses its
	// checkpoints; after witness_max_age it is not ready.
	s2 := startServerAt(t, s.Dir)
	s2.send(t, "portal", sample)
	waitFor(t, "/readyz to report the log unwitnessed", func() bool {
		code, body := get(t, s2.URL+"readyz")
		return code == 503 && strings.Contains(body, "unwitnessed")
	})
	if _, metrics := get(t, s2.URL+"metrics"); !regexp.MustCompile(`(?m)^darbaza_accesslog_unwitnessed_seconds [1-9]`).MatchString(metrics) {
		t.Errorf("metrics do not show the unwitnessed time:\n%s", grepLines(metrics, "witness"))
	}
	s2.stop(t) // its stderr is complete only once it has exited
	if !strings.Contains(s2.stderr.String(), "rollback refused") && !strings.Contains(s2.stderr.String(), "fork refused") {
		t.Errorf("the server's log does not say why the witness refused:\n%s", grepLines(s2.stderr.String(), "witness"))
	}
}

func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cutTail deletes, as someone with write access to the data folder would,
// every record and checkpoint from sequence number from on.
func cutTail(tb testing.TB, path string, from uint64) {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, bucket := range []string{"records", "checkpoints"} {
			c := tx.Bucket([]byte(bucket)).Cursor()
			start := enc.BigEndian.AppendUint64(nil, from)
			for k, _ := c.Seek(start); k != nil; k, _ = c.Seek(start) {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
}
