package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditVerifyEvidenceFindsTheRecordOfEveryKeptResponse: callers keep
// the signed responses `darbaza send` prints; with them, `audit verify
// --evidence` finds each one's record, and reports as tampering a tail cut
// off with its checkpoints, which the log's own signatures cannot show.
func TestAuditVerifyEvidenceFindsTheRecordOfEveryKeptResponse(t *testing.T) {
	s := startServer(t)
	evidence := t.TempDir()
	samples := []string{"getPerson-found", "getRegistration-found", "getPerson-found"}
	for i, name := range samples {
		code, out, errOut := s.send(t, "portal", filepath.Join("..", "..", "testdata", "requests", name+".xml"))
		if code != 0 {
			t.Fatalf("send %s: %d %s", name, code, errOut)
		}
		if err := os.WriteFile(filepath.Join(evidence, fmt.Sprintf("%d.xml", i+1)), []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.stop(t)
	data := filepath.Join(s.Dir, "data")
	verify := func(extra ...string) (int, string) {
		code, out, errOut := darbaza(t, append([]string{"audit", "verify", "--data", data}, extra...)...)
		return code, out + errOut
	}
	code, out := verify("--evidence", evidence)
	if code != 0 || strings.Count(out, "evidence ") != len(samples) || strings.Contains(out, "MISSING") {
		t.Fatalf("audit verify --evidence of the untouched log: exit %d\n%s", code, out)
	}
	for i := range samples {
		// As send printed it, with a final newline: still the exact bytes.
		if !strings.Contains(out, fmt.Sprintf("%d.xml: record %d, matched by its exact response digest", i+1, i+1)) {
			t.Errorf("evidence %d.xml is not matched to record %d by its digest:\n%s", i+1, i+1, out)
		}
	}

	// Cut the last response's record with the checkpoint that covers it.
	cutTail(t, filepath.Join(data, "accesslog.db"), uint64(len(samples)))
	if code, out := verify(); code != 0 {
		t.Fatalf("without evidence the cut should go unnoticed, but: exit %d\n%s", code, out)
	}
	code, out = verify("--evidence", evidence)
	if code != 1 || !strings.Contains(out, "3.xml: MISSING") || !strings.Contains(out, "has no record in the log") {
		t.Fatalf("audit verify --evidence of the cut log: exit %d, want 1 naming 3.xml\n%s", code, out)
	}

	// A file that is not a response signed by the adapter proves nothing.
	if err := os.WriteFile(filepath.Join(evidence, "4.xml"), []byte("<x/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := verify("--evidence", evidence); code != 2 || !strings.Contains(out, "4.xml") {
		t.Errorf("audit verify --evidence with a file that is no signed response: exit %d, want 2\n%s", code, out)
	}
}
