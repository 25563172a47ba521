package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestImportReportsEveryBadLineAndImportsNothing(t *testing.T) {
	data := t.TempDir()
	valid, err := os.ReadFile("../../registry/testdata/valid.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	head := strings.TrimRight(string(valid), "\n")
	bad := strings.Join([]string{
		head,
		`{"kind":"person","pin":"31505198500123","surname":"X","given_name":"Y","birth_date":"1985-05-15","sex":"male","citizenship":"citizen"}`,
		`{"kind":"martian"}`,
	}, "\n")
	lines := strings.Count(head, "\n") + 1
	badFile := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(badFile, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := darbaza(t, "import", "--data", data, badFile)
	if code != 1 {
		t.Fatalf("import of a bad batch: exit %d, want 1\n%s", code, errOut)
	}
	for _, n := range []int{lines + 1, lines + 2} {
		if want := ":" + strconv.Itoa(n) + ":"; !strings.Contains(errOut, want) {
			t.Errorf("stderr does not name line %d:\n%s", n, errOut)
		}
	}
	if !strings.Contains(errOut, "nothing was imported") {
		t.Errorf("stderr does not say nothing was imported:\n%s", errOut)
	}

	goodFile := filepath.Join(t.TempDir(), "good.jsonl")
	if err := os.WriteFile(goodFile, valid, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := darbaza(t, "import", "--data", data, goodFile)
	if code != 0 || !strings.Contains(out, "imported") {
		t.Fatalf("import of a valid batch: exit %d\n%s%s", code, out, errOut)
	}
	// The refused batch, which held every line of the good one, wrote
	// nothing: the good batch replaces no record.
	if !strings.Contains(out, "(0 replaced") {
		t.Errorf("the refused batch left records behind: %s", out)
	}
}
