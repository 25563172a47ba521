package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the darbaza binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "darbaza-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "darbaza")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building darbaza:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testServer is a running `darbaza serve --demo` in a temporary folder.
type testServer struct {
	URL    string // http://127.0.0.1:PORT/
	Dir    string // the demo folder: darbaza.yaml, data/, members/
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

var servingRe = regexp.MustCompile(`serving on (\S+)`)

// startServer runs the real binary on a free port with the demo setup and
// stops it (SIGTERM) when the test ends unless the test stopped it.
func startServer(tb testing.TB) *testServer {
	tb.Helper()
	return startServerAt(tb, filepath.Join(tb.TempDir(), "demo"))
}

// startServerAt is startServer on the demo folder dir, which may hold a
// demo setup from an earlier run.
func startServerAt(tb testing.TB, dir string) *testServer {
	tb.Helper()
	return startServerEnv(tb, dir)
}

// startServerEnv is startServerAt with extra environment variables
// ("NAME=value") for the server.
func startServerEnv(tb testing.TB, dir string, env ...string) *testServer {
	tb.Helper()
	s := &testServer{Dir: dir, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary, "serve", "--demo", "--demo-dir", s.Dir, "--listen", "127.0.0.1:0")
	s.cmd.Env = append(os.Environ(), env...)
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case s.URL = <-urls:
	case err := <-s.done:
		tb.Fatalf("darbaza exited before serving: %v\n%s", err, s.stderr)
	case <-time.After(2 * time.Minute):
		_ = s.cmd.Process.Kill()
		tb.Fatalf("darbaza did not start serving in 2 minutes\n%s", s.stderr)
	}
	tb.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.stop(tb)
		}
	})
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *testServer) stop(tb testing.TB) {
	tb.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			tb.Errorf("darbaza did not exit cleanly after SIGTERM: %v\n%s", err, s.stderr)
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		tb.Errorf("darbaza did not stop within 30s of SIGTERM\n%s", s.stderr)
	}
}

// member returns the key and certificate files of a demo member.
func (s *testServer) member(name string) (key, cert string) {
	return filepath.Join(s.Dir, "members", name+".key"), filepath.Join(s.Dir, "members", name+".crt")
}

// adapterCert is the demo adapter's certificate file.
func (s *testServer) adapterCert() string {
	return filepath.Join(s.Dir, "data", "keys", "adapter.crt")
}

// darbaza runs a subcommand of the binary and returns its exit code and output.
func darbaza(tb testing.TB, args ...string) (int, string, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		tb.Fatalf("running darbaza %s: %v", strings.Join(args, " "), err)
	}
	return code, stdout.String(), stderr.String()
}

// send signs and sends a sample as member with `darbaza send`.
func (s *testServer) send(tb testing.TB, member, sample string) (int, string, string) {
	tb.Helper()
	key, cert := s.member(member)
	return darbaza(tb, "send", "--url", s.URL, "--key", key, "--cert", cert, "--server-cert", s.adapterCert(), sample)
}

func get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var resultCodeRe = regexp.MustCompile(`<code>(\w+)</code>`)

func TestServeDemoAnswersTheSamplesAndShutsDownCleanly(t *testing.T) {
	s := startServer(t)
	if code, body := get(t, s.URL+"healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := get(t, s.URL+"readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	code, wsdl := get(t, s.URL+"?wsdl")
	if code != 200 || !strings.Contains(wsdl, `<wsdl:operation name="getPerson">`) || !strings.Contains(wsdl, "<xrd:version>v1</xrd:version>") {
		t.Errorf("GET /?wsdl: %d\n%.400s", code, wsdl)
	}

	samples := map[string]string{ // sample -> business code of the answer
		"getPerson-found":             "OK",
		"getPerson-not-found":         "PersonNotFound",
		"getPerson-invalid-pin":       "InvalidPin",
		"getRegistration-found":       "OK",
		"getRegistration-not-found":   "PersonNotFound",
		"getRegistration-invalid-pin": "InvalidPin",
		"getAccessHistory-found":      "OK",
	}
	sent := 0
	for name, want := range samples {
		code, out, errOut := s.send(t, "portal", filepath.Join("..", "..", "testdata", "requests", name+".xml"))
		sent++
		m := resultCodeRe.FindStringSubmatch(out)
		if code != 0 || m == nil || m[1] != want {
			t.Errorf("%s: exit %d, want result %s\n%s%s", name, code, want, out, errOut)
		}
	}
	code, out, errOut := s.send(t, "sanarip-aymak", "../../testdata/requests/getDwellingResidents-ten.xml")
	sent++
	if code != 0 || !strings.Contains(out, "<persons>10</persons>") {
		t.Errorf("getDwellingResidents: exit %d\n%s%s", code, out, errOut)
	}
	// The tax cabinet may not read the access history.
	code, out, _ = s.send(t, "tax-cabinet", "../../testdata/requests/getAccessHistory-found.xml")
	sent++
	if code == 0 || !strings.Contains(out+errOut, "Client.CertificateMismatch") {
		t.Errorf("tax cabinet key on a portal request: exit %d, want Client.CertificateMismatch\n%s", code, out)
	}

	_, metrics := get(t, s.URL+"metrics")
	if !strings.Contains(metrics, `darbaza_requests_total{outcome="OK",service="getPerson"} 1`) {
		t.Errorf("metrics lack the getPerson count:\n%s", grepLines(metrics, "darbaza_requests_total"))
	}

	// A hot backup while serving is a data folder the audit tools accept,
	// given the certificate: it holds no keys (issue 13).
	copyDir := filepath.Join(t.TempDir(), "backup")
	if code, out, errOut := darbaza(t, "backup", "--data", filepath.Join(s.Dir, "data"), "--out", copyDir); code != 0 || !strings.Contains(out, "running server") || !strings.Contains(out, "keys are not in the backup") {
		t.Errorf("backup while serving: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(copyDir, "keys")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the backup holds a keys folder (%v)", err)
	}
	if code, out, errOut := darbaza(t, "audit", "verify", "--data", copyDir, "--cert", s.adapterCert()); code != 0 {
		t.Errorf("audit verify of the hot backup: exit %d\n%s%s", code, out, errOut)
	}

	s.stop(t)
	data := filepath.Join(s.Dir, "data")
	code, out, errOut = darbaza(t, "audit", "verify", "--data", data)
	if code != 0 {
		t.Fatalf("audit verify after shutdown: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = darbaza(t, "audit", "list", "--data", data)
	if lines := strings.Count(strings.TrimSpace(out), "\n") + 1; code != 0 || lines != sent {
		t.Errorf("audit list: exit %d, %d lines for %d requests\n%s%s", code, lines, sent, out, errOut)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
