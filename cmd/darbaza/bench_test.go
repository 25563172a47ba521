package main

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/internal/pgtest"
)

// TestBenchSmoke runs 'darbaza bench' as CI does, on a tiny dataset for a
// fraction of a second per run, so that the tool cannot rot. It asserts
// what the tool measured happened (every closed-loop request answered, the
// overload run refused only with Busy), never how fast.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	out := runBenchSmoke(t)
	checkBenchRows(t, out, []string{"ecdsa-p256", "rsa-2048"}, []string{"1"})
	for _, want := range []string{"storage: bolt", "import: ", "records/s", "registry.db", "server peak RSS (ecdsa-p256", "server peak RSS (rsa-2048", "machine: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchSmokePostgres runs 'darbaza bench --postgres' on the test
// server (DARBAZA_TEST_POSTGRES; under CI it must be set) with one and two
// nodes, and checks that the bench's own schema is gone afterwards.
func TestBenchSmokePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers")
	}
	admin := pgtest.Admin(t)
	out := runBenchSmoke(t, "--keys", "ecdsa-p256", "--postgres", admin.DSN, "--postgres-password-file", admin.PasswordFile)
	checkBenchRows(t, out, []string{"ecdsa-p256"}, []string{"1", "2"})
	for _, want := range []string{"import: ", "records/s", "database schema", "server peak RSS (ecdsa-p256, 1 node,", "server peak RSS (ecdsa-p256, 2 nodes,"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`storage: postgres, schema (bench_[0-9a-f]+) `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output names no schema:\n%s", out)
	}
	var left bool
	pool := pgtest.Open(t, admin)
	if err := pool.QueryRow(context.Background(), "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", m[1]).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left {
		t.Errorf("the bench left its schema %s behind", m[1])
	}
}

// runBenchSmoke runs the bench on a tiny dataset with extra flags and
// returns its output.
func runBenchSmoke(t *testing.T, extra ...string) string {
	t.Helper()
	args := append([]string{"bench", "--people", "300", "--duration", "300ms", "--callers", "1,4", "--dir", t.TempDir()}, extra...)
	cmd := exec.Command(binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("darbaza bench: %v\n%s\n%s", err, out, stderr.String())
	}
	return string(out)
}

// checkBenchRows checks that the table has a row for every key type,
// number of nodes and run, each with what it measured.
func checkBenchRows(t *testing.T, out string, kinds, nodes []string) {
	t.Helper()
	rows := map[string][]string{}
	for line := range strings.SplitSeq(out, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 20 || !strings.Contains(cells[1], "-") || strings.Trim(cells[1], "-") == "" {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows[cells[1]+" "+cells[2]+" "+strings.Fields(cells[3])[0]] = cells[1:19]
	}
	if len(rows) != len(kinds)*len(nodes)*3 {
		t.Errorf("%d rows, want %d:\n%s", len(rows), len(kinds)*len(nodes)*3, out)
	}
	for _, kind := range kinds {
		for _, n := range nodes {
			for _, callers := range []string{"1", "4", "2x"} {
				name := kind + " " + n + " " + callers
				row, ok := rows[name]
				if !ok {
					t.Errorf("no row for %s with %s nodes at %s callers:\n%s", kind, n, callers, out)
					continue
				}
				if rate, err := strconv.ParseFloat(row[3], 64); err != nil || rate <= 0 {
					t.Errorf("%s: req/s %q, want some answers", name, row[3])
				}
				errs := row[8]
				if callers == "2x" {
					errs = strings.TrimPrefix(strings.Split(errs, ",")[0], adapter.CodeBusy+" ")
					if _, err := strconv.Atoi(errs); err != nil || strings.Contains(row[8], ",") {
						t.Errorf("%s overload run: errors %q, want none but %s", name, row[8], adapter.CodeBusy)
					}
				} else if errs != "0" {
					t.Errorf("%s: errors %q, want 0", name, errs)
				}
				for i, col := range map[int]string{9: "server CPU/req", 10: "crypto/req"} {
					if !strings.HasSuffix(row[i], "µs") || strings.HasPrefix(row[i], "0 ") {
						t.Errorf("%s: %s %q, want a measured time", name, col, row[i])
					}
				}
				if !strings.HasSuffix(row[13], "µs") { // may be 0 on a quiet machine
					t.Errorf("%s: other CPU/req %q, want a time", name, row[13])
				}
				for i, col := range map[int]string{14: "server allocs/req", 15: "server KB/req", 17: "log records/commit"} {
					if v, err := strconv.ParseFloat(row[i], 64); err != nil || v <= 0 {
						t.Errorf("%s: %s %q, want the server's own count", name, col, row[i])
					}
				}
			}
		}
	}
}
