package main

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/adapter"
)

// TestBenchSmoke runs 'darbaza bench' as CI does, on a tiny dataset for a
// fraction of a second per run, so that the tool cannot rot. It asserts
// what the tool measured happened (every closed-loop request answered, the
// overload run refused only with Busy), never how fast.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	cmd := exec.Command(binary, "bench", "--people", "300", "--duration", "300ms", "--callers", "1,4",
		"--dir", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("darbaza bench: %v\n%s\n%s", err, out, stderr.String())
	}
	rows := map[string][]string{}
	for line := range strings.SplitSeq(string(out), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 18 || !strings.Contains(cells[1], "-") {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows[cells[1]+" "+strings.Fields(cells[2])[0]] = cells[1:17]
	}
	for _, kind := range []string{"ecdsa-p256", "rsa-2048"} {
		for _, callers := range []string{"1", "4", "2x"} {
			row, ok := rows[kind+" "+callers]
			if !ok {
				t.Errorf("no row for %s at %s callers:\n%s", kind, callers, out)
				continue
			}
			if rate, err := strconv.ParseFloat(row[2], 64); err != nil || rate <= 0 {
				t.Errorf("%s %s: req/s %q, want some answers", kind, callers, row[2])
			}
			errs := row[7]
			if callers == "2x" {
				errs = strings.TrimPrefix(strings.Split(errs, ",")[0], adapter.CodeBusy+" ")
				if _, err := strconv.Atoi(errs); err != nil || strings.Contains(row[7], ",") {
					t.Errorf("%s overload run: errors %q, want none but %s", kind, row[7], adapter.CodeBusy)
				}
			} else if errs != "0" {
				t.Errorf("%s %s callers: errors %q, want 0", kind, callers, errs)
			}
			for i, col := range map[int]string{8: "server CPU/req", 9: "crypto/req"} {
				if !strings.HasSuffix(row[i], "µs") || strings.HasPrefix(row[i], "0 ") {
					t.Errorf("%s %s: %s %q, want a measured time", kind, callers, col, row[i])
				}
			}
			for i, col := range map[int]string{12: "server allocs/req", 13: "server KB/req", 15: "log records/commit"} {
				if v, err := strconv.ParseFloat(row[i], 64); err != nil || v <= 0 {
					t.Errorf("%s %s: %s %q, want the server's own count", kind, callers, col, row[i])
				}
			}
		}
	}
	for _, want := range []string{"import: ", "records/s", "server peak RSS (ecdsa-p256", "server peak RSS (rsa-2048", "machine: "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
