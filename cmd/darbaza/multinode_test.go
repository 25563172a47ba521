package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/internal/pgtest"
	"github.com/darbaza/darbaza/internal/postgres"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/demo"
	"github.com/darbaza/darbaza/registry/pgstore"
)

// pgCluster is a PostgreSQL server of the test's own, started with the
// repository's .ci/postgres, so the test can stop and start it.
type pgCluster struct {
	dir, port, dsn, password string
}

func (c *pgCluster) ctl(tb testing.TB, verb string) {
	tb.Helper()
	args := []string{verb, c.dir}
	if verb == "start" {
		args = append(args, c.port)
	}
	out, err := exec.Command("../../.ci/postgres", args...).CombinedOutput()
	if err != nil {
		tb.Fatalf(".ci/postgres %s: %v\n%s", verb, err, out)
	}
}

func startCluster(tb testing.TB) *pgCluster {
	tb.Helper()
	pgtest.Server(tb) // PostgreSQL is there (or the test skips, or fails under CI)
	dir, err := os.MkdirTemp("", "darbaza-pg-multinode-")
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	c := &pgCluster{dir: dir, port: fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)}
	ln.Close()
	c.ctl(tb, "start")
	tb.Cleanup(func() {
		exec.Command("../../.ci/postgres", "stop", dir).Run()
		os.RemoveAll(dir)
	})
	b, err := os.ReadFile(filepath.Join(dir, "password"))
	if err != nil {
		tb.Fatal(err)
	}
	c.password = strings.TrimSpace(string(b))
	c.dsn = fmt.Sprintf("postgres://darbaza@127.0.0.1:%s/darbaza?sslmode=disable", c.port)
	return c
}

// pgDemo prepares a demo setup in dir whose storage is the cluster's
// database, with a small dataset imported.
func pgDemo(tb testing.TB, c *pgCluster, dir string) {
	tb.Helper()
	cfgPath, err := prepareDemo(dir, io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	pw := filepath.Join(dir, "pg-password")
	if err := os.WriteFile(pw, []byte(c.password+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "\ndemo: true", "\ndemo: false", 1)
	cfg = strings.Replace(cfg, "\nstorage: bolt\n", "\n", 1)
	cfg += fmt.Sprintf("storage: postgres\npostgres:\n  dsn: %s\n  password_file: pg-password\n  migrate: true\n  recover: 200ms\n", c.dsn)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// copyDir copies the demo setup of one node for another: the same keys,
// members and config, its own data folder.
// importDataset migrates the database of the config cfg and imports a demo
// dataset of persons people into it.
func importDataset(t *testing.T, cfg string, persons int) {
	t.Helper()
	if code, out, errOut := darbaza(t, "migrate", "--config", cfg); code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	dataset := filepath.Join(t.TempDir(), "dataset.jsonl")
	f, err := os.Create(dataset)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Write(f, demo.Options{Persons: persons}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if code, out, errOut := darbaza(t, "import", "--config", cfg, dataset); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
}

// pgData is the database of the config cfg (written by pgDemo) on c.
func pgData(t *testing.T, c *pgCluster, cfg string) stored {
	return stored{flags: []string{"--config", cfg}, view: func(t *testing.T, fn func(registry.Tx) error) {
		t.Helper()
		pool, err := postgres.Open(context.Background(), postgres.Options{DSN: c.dsn, PasswordFile: filepath.Join(filepath.Dir(cfg), "pg-password")})
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		if err := pgstore.New(pool).View(context.Background(), fn); err != nil && !errors.Is(err, registry.ErrNotFound) {
			t.Fatal(err)
		}
	}}
}

func copyDir(tb testing.TB, from, to string) {
	tb.Helper()
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		tb.Fatalf("cp: %v %s", err, out)
	}
}

func readyz(tb testing.TB, url string) int {
	resp, err := http.Get(url + "readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// loggedOK returns the message ids of the OK records in the database's log.
func loggedOK(tb testing.TB, cfg string) map[string]bool {
	tb.Helper()
	code, list, errOut := darbaza(tb, "audit", "list", "--config", cfg, "--outcome", adapter.OutcomeOK)
	if code != 0 {
		tb.Fatalf("audit list: exit %d\n%s", code, errOut)
	}
	logged := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		for _, f := range strings.Split(line, "\t") {
			if id, ok := strings.CutPrefix(f, "msg="); ok {
				logged[id] = true
			}
		}
	}
	return logged
}

var (
	accessRe     = regexp.MustCompile(`<access>`)
	nextCursorRe = regexp.MustCompile(`<nextCursor>([^<]+)</nextCursor>`)
)

// historyCount pages through getAccessHistory of the sample's person on
// the node at url and returns how many accesses it lists.
func historyCount(tb testing.TB, s *testServer, url string) int {
	tb.Helper()
	signer, err := loadSigner(s.member("portal"))
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile("../../testdata/requests/getAccessHistory-found.xml")
	if err != nil {
		tb.Fatal(err)
	}
	n, cursor := 0, ""
	for range 100 {
		page := "<reg:limit>100</reg:limit>"
		if cursor != "" {
			page = "<reg:cursor>" + cursor + "</reg:cursor>" + page
		}
		req, err := signRequest(signer, []byte(strings.Replace(string(raw), "<reg:limit>5</reg:limit>", page, 1)), true)
		if err != nil {
			tb.Fatal(err)
		}
		code, body, err := postWith(http.DefaultClient, url, req)
		if err != nil || code != http.StatusOK || !strings.Contains(body, "<code>"+adapter.OutcomeOK+"</code>") {
			tb.Fatalf("getAccessHistory: %d %v\n%.600s", code, err, body)
		}
		n += len(accessRe.FindAllString(body, -1))
		m := nextCursorRe.FindStringSubmatch(body)
		if m == nil {
			return n
		}
		cursor = m[1]
	}
	tb.Fatal("getAccessHistory pages do not end")
	return 0
}

func TestThreeNodesOnOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and three servers")
	}
	c := startCluster(t)
	base := t.TempDir()
	dirs := []string{filepath.Join(base, "node1"), filepath.Join(base, "node2"), filepath.Join(base, "node3")}
	pgDemo(t, c, dirs[0])
	cfg := filepath.Join(dirs[0], "darbaza.yaml")
	importDataset(t, cfg, 200)
	// A node whose subject key is not the others' is refused at start.
	stray := filepath.Join(base, "stray")
	copyDir(t, dirs[0], stray)
	if _, err := createSubjectKey(demoDataDir(stray).SubjectKeyPath()); err != nil {
		t.Fatal(err)
	}
	startServerAt(t, stray).stop(t) // the first node fixes the database's key
	if code, _, errOut := darbaza(t, "serve", "--config", cfg, "--listen", "127.0.0.1:0"); code != 1 || !strings.Contains(errOut, "subject-hmac.key") {
		t.Fatalf("a node with another subject key: exit %d, want 1 naming the key\n%s", code, errOut)
	}
	// The nodes share the stray's keys from now on.
	if err := os.RemoveAll(demoDataDir(dirs[0]).KeysDir()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(demoDataDir(stray).KeysDir(), demoDataDir(dirs[0]).KeysDir()); err != nil {
		t.Fatal(err)
	}
	copyDir(t, dirs[0], dirs[1])
	copyDir(t, dirs[0], dirs[2])

	// Three nodes under load; node 1 is killed (SIGKILL) after its 60th answer.
	const callers, perCaller, killAfter = 4, 40, 60
	nodes := []*testServer{
		startServerEnv(t, dirs[0], fmt.Sprintf("%s=%d", crashAfterEnv, killAfter)),
		startServerAt(t, dirs[1]),
		startServerAt(t, dirs[2]),
	}
	signed := presign(t, nodes[0], len(nodes)*callers*perCaller+20)
	spare := signed[len(nodes)*callers*perCaller:]
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		replies []reply
		byNode1 []reply
	)
	// Beside the reads, each node is sent the same registration (one
	// application number, a fresh xrd:id each time) again and again.
	const writes = 6
	for n, s := range nodes {
		batches := make([][][]byte, callers, callers+1)
		for i := range batches {
			from := (n*callers + i) * perCaller
			batches[i] = signed[from : from+perCaller]
		}
		var again [][]byte
		for range writes {
			again = append(again, signedSample(t, s, "submitRegistration-self.xml"))
		}
		batches = append(batches, again)
		wg.Go(func() {
			rs := drive(t, s.URL, batches)
			mu.Lock()
			replies = append(replies, rs...)
			if n == 0 {
				byNode1 = rs
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	select {
	case <-nodes[0].done:
	case <-time.After(time.Minute):
		t.Fatal("node 1 did not kill itself")
	}
	if ws, ok := nodes[0].cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("node 1 ended with %v, want SIGKILL\n%s", nodes[0].cmd.ProcessState, nodes[0].stderr)
	}
	answered := map[string][]byte{}
	for _, r := range replies {
		if r.result != adapter.OutcomeOK {
			t.Fatalf("request %s: result %q fault %q, want OK", r.messageID, r.result, r.fault)
		}
		answered[r.messageID] = r.request
	}
	if len(answered) < 2*callers*perCaller+killAfter/2 {
		t.Fatalf("only %d answers", len(answered))
	}
	logged := loggedOK(t, cfg)
	for id := range answered {
		if !logged[id] {
			t.Errorf("answered request %s has no access-log record", id)
		}
	}
	if code, out, errOut := darbaza(t, "audit", "verify", "--config", cfg); code != 0 {
		t.Fatalf("audit verify after kill -9: exit %d\n%s%s", code, out, errOut)
	}
	// The registration was made once, on whichever node got there first,
	// and names a durable OK record.
	db := pgData(t, c, cfg)
	if a, ok := application(t, db, "AP-2026-000101"); !ok {
		t.Error("the registration sent to every node was not kept")
	} else {
		checkChange(t, db, a, okRecords(t, db, "submitRegistration"))
	}
	// Node 3 sees the accesses every node logged, node 1's too.
	reads := 0
	for _, req := range answered {
		if !bytes.Contains(req, []byte("submitRegistration")) {
			reads++
		}
	}
	if n := historyCount(t, nodes[2], nodes[2].URL); n < reads {
		t.Errorf("getAccessHistory on node 3 lists %d accesses, but the nodes answered %d requests for the person", n, reads)
	}
	// A request node 1 answered, replayed to node 2, is refused.
	replayed := 0
	for _, r := range byNode1 {
		if _, body, err := postWith(http.DefaultClient, nodes[1].URL, r.request); err != nil || !strings.Contains(body, adapter.CodeReplay) {
			t.Errorf("replay of %s to node 2 was not refused: %v\n%.300s", r.messageID, err, body)
		}
		if replayed++; replayed == 5 {
			break
		}
	}

	// PostgreSQL restarted: the nodes refuse while it is down, answer after.
	c.ctl(t, "stop")
	for i, req := range spare[:5] {
		code, body, err := postWith(http.DefaultClient, nodes[1+i%2].URL, req)
		if err == nil && code == http.StatusOK {
			t.Errorf("node %d answered while the database was down:\n%.300s", 2+i%2, body)
		}
	}
	for _, s := range nodes[1:] {
		if code := readyz(t, s.URL); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz while the database is down = %d, want 503", code)
		}
	}
	c.ctl(t, "start")
	after := spare[5:]
	for n, s := range nodes[1:] {
		deadline := time.Now().Add(30 * time.Second)
		for readyz(t, s.URL) != http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatalf("node %d not ready 30s after the database came back\n%s", n+2, s.stderr)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// The first request after may meet a connection the restart broke;
		// the pool drops it. Within a few requests the node answers.
		ok := false
		for range 5 {
			req := after[0]
			after = after[1:]
			code, body, err := postWith(http.DefaultClient, s.URL, req)
			if err == nil && code == http.StatusOK && strings.Contains(body, "<code>"+adapter.OutcomeOK+"</code>") {
				answered[messageID(t, req)] = req
				ok = true
				break
			}
		}
		if !ok {
			t.Errorf("node %d does not answer after the database came back\n%s", n+2, s.stderr)
		}
	}
	for _, s := range nodes[1:] {
		s.stop(t)
	}
	if code, out, errOut := darbaza(t, "audit", "verify", "--config", cfg); code != 0 {
		t.Fatalf("audit verify at the end: exit %d\n%s%s", code, out, errOut)
	}
	logged = loggedOK(t, cfg)
	for id := range answered {
		if !logged[id] {
			t.Errorf("answered request %s has no access-log record", id)
		}
	}

	// The password is in no node's log.
	for i, s := range nodes {
		if strings.Contains(s.stderr.String(), c.password) {
			t.Errorf("node %d logged the database password", i+1)
		}
	}

	// A backup: the config and a pg_dump of the database, not the keys.
	out := filepath.Join(base, "backup")
	if code, stdout, errOut := darbaza(t, "backup", "--config", cfg, "--out", out); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, stdout, errOut)
	}
	for _, f := range []string{"postgres.dump", "darbaza.yaml"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("backup: %s missing or empty: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "keys")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the backup holds a keys folder (%v)", err)
	}

	// Tampering in the database is found as in a file.
	pool, err := postgres.Open(context.Background(), postgres.Options{DSN: c.dsn, PasswordFile: filepath.Join(dirs[0], "pg-password")})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	const flip = "UPDATE access_log_records SET value = set_byte(value, 40, get_byte(value, 40) # 1) WHERE seq = 10"
	if _, err := pool.Exec(context.Background(), flip); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := darbaza(t, "audit", "verify", "--config", cfg); code != 1 {
		t.Errorf("audit verify after a record was changed in the database: exit %d, want 1\n%s", code, out)
	}
	if _, err := pool.Exec(context.Background(), flip); err != nil { // and back
		t.Fatal(err)
	}

	// Archiving moves the records to a file that verifies; the log left
	// in the database starts after them and verifies too.
	archive := filepath.Join(base, "archive.jsonl")
	before := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	if code, out, errOut := darbaza(t, "audit", "archive", "--config", cfg, "--before", before, "--out", archive); code != 0 {
		t.Fatalf("audit archive: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := darbaza(t, "audit", "verify", "--config", cfg, "--archive", archive); code != 0 {
		t.Errorf("audit verify --archive: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := darbaza(t, "audit", "verify", "--config", cfg); code != 0 {
		t.Errorf("audit verify after archiving: exit %d\n%s%s", code, out, errOut)
	}
	var left int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM access_log_records").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d records left in the database after archiving all, %v", left, err)
	}
	t.Logf("%d answers from three nodes (one killed after %d), %d OK records in the verified log", len(answered), killAfter, len(logged))
}

// TestOnPostgreSQLAWriteAndItsRecordSurviveAKillTogetherOrNotAtAll kills
// a node with SIGKILL inside one submitRegistration: after it sealed the
// answer but before the commit, and after the commit. The registry and the
// log share the database, so the record was written by the write's own
// transaction: killed before the commit, neither the change nor the record
// is left (with bbolt, TestAWriteKilledAtEachStep..., the record of an
// answer never sent stays); killed after, both are. A retry on a fresh
// node then registers exactly once.
func TestOnPostgreSQLAWriteAndItsRecordSurviveAKillTogetherOrNotAtAll(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and the server twice per step")
	}
	for _, tc := range []struct {
		step      string
		env       string
		committed bool
	}{
		{"after the seal, before the commit", crashAtEnv + "=seal", false},
		{"after the commit, before the answer", crashAtEnv + "=commit", true},
	} {
		t.Run(tc.step, func(t *testing.T) {
			c := startCluster(t)
			dir := filepath.Join(t.TempDir(), "node")
			pgDemo(t, c, dir)
			cfg := filepath.Join(dir, "darbaza.yaml")
			importDataset(t, cfg, 20)
			s := startServerEnv(t, dir, tc.env)
			if code, body, err := postWith(http.DefaultClient, s.URL, signedSample(t, s, "submitRegistration-self.xml")); err == nil {
				t.Fatalf("an answer (%d) from a node that should have died first:\n%.400s", code, body)
			}
			select {
			case <-s.done:
			case <-time.After(time.Minute):
				t.Fatal("the node did not kill itself")
			}
			if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("the node ended with %v, want SIGKILL from the hook\n%s", s.cmd.ProcessState, s.stderr)
			}
			if code, out, errOut := darbaza(t, "audit", "verify", "--config", cfg); code != 0 {
				t.Fatalf("audit verify after the kill: exit %d\n%s%s", code, out, errOut)
			}
			db := pgData(t, c, cfg)
			sealed := okRecords(t, db, "submitRegistration")
			if got := len(sealed) > 0; got != tc.committed {
				t.Errorf("OK records of submitRegistration after the kill: %v; want some only if the change committed (%v)", sealed, tc.committed)
			}
			a, ok := application(t, db, "AP-2026-000101")
			if ok != tc.committed {
				t.Fatalf("application kept %v, want %v", ok, tc.committed)
			}
			if ok {
				checkChange(t, db, a, sealed)
			} else if _, reg := registration(t, db, "R-AP-2026-000101"); reg {
				t.Fatal("a registration without its application")
			}

			s2 := startServerAt(t, dir)
			code, body, err := postWith(http.DefaultClient, s2.URL, signedSample(t, s2, "submitRegistration-self.xml"))
			if err != nil || code != http.StatusOK || !strings.Contains(body, "<decision>registered</decision>") {
				t.Fatalf("the retry: %d %v\n%.600s", code, err, body)
			}
			s2.stop(t)
			after, ok := application(t, db, "AP-2026-000101")
			if !ok || len(after.Records) != 1 {
				t.Fatalf("after the retry: kept %v, records %v; want one record", ok, after.Records)
			}
			checkChange(t, db, after, okRecords(t, db, "submitRegistration"))
		})
	}
}

// TestServeRefusesABadDatabaseSetup: a password in the DSN, a schema not
// migrated and a schema newer than the build each stop serve at start,
// and the password is never printed.
func TestServeRefusesABadDatabaseSetup(t *testing.T) {
	opts := pgtest.Schema(t, false)
	dir := filepath.Join(t.TempDir(), "node")
	cfgPath, err := prepareDemo(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(opts.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(b))
	base := strings.Replace(strings.Replace(string(raw), "\ndemo: true", "\ndemo: false", 1), "\nstorage: bolt\n", "\n", 1)
	write := func(dsn string, migrate bool) {
		cfg := base + fmt.Sprintf("storage: postgres\npostgres:\n  dsn: %s\n  password_file: %s\n  migrate: %v\n", dsn, opts.PasswordFile, migrate)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	serve := func(want string) {
		t.Helper()
		code, out, errOut := darbaza(t, "serve", "--config", cfgPath, "--listen", "127.0.0.1:0")
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("serve: exit %d, want 1 saying %q\n%s%s", code, want, out, errOut)
		}
		if strings.Contains(out+errOut, password) {
			t.Errorf("serve printed the database password")
		}
	}
	withPassword := strings.Replace(opts.DSN, "postgres://darbaza@", "postgres://darbaza:"+password+"@", 1)
	write(withPassword, true)
	serve("password_file")

	write(opts.DSN, false)
	serve("darbaza migrate")

	if code, out, errOut := darbaza(t, "migrate", "--config", cfgPath); code != 0 || !strings.Contains(out, fmt.Sprintf("-> %d", postgres.Latest())) {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	pool := pgtest.Open(t, opts)
	if _, err := pool.Exec(context.Background(), "INSERT INTO darbaza_schema (version, name, sha256) VALUES ($1, 'from-a-newer-build.sql', '')", postgres.Latest()+1); err != nil {
		t.Fatal(err)
	}
	serve("newer")
	if code, _, errOut := darbaza(t, "migrate", "--config", cfgPath); code != 1 || !strings.Contains(errOut, "newer") {
		t.Errorf("migrate on a newer schema: exit %d, want 1\n%s", code, errOut)
	}
}
