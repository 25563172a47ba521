package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/adapter"
)

// TestAuditToolsSeeEveryRecordOfALogLongerThanItsFirstCheckpoint is issue
// 14 from outside: a node answers more than 2,048 requests before its
// first checkpoint (the interval is a day), is killed with SIGKILL,
// restarted on its data and stopped cleanly, which writes the first
// checkpoint over the whole chain. Then `audit verify` must check every
// record and reach the store's last one, `audit export` must hold every
// request a caller saw answered, and `audit list` must count them all.
// Before the fix, verify and export stopped after record 1,024 and said
// all was well.
func TestAuditToolsSeeEveryRecordOfALogLongerThanItsFirstCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 2,200 signed requests and starts the server twice")
	}
	const (
		callers   = 8
		fresh     = 2100 // answered getPerson requests, each with its own id
		perCaller = fresh / callers
		replays   = 4 // per caller: its first requests again, refused with a faultDetail
	)
	s := startServerWith(t, func(dir string) {
		path := filepath.Join(dir, "darbaza.yaml")
		conf, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		long := bytes.Replace(conf, []byte("checkpoint_interval: 1m "), []byte("checkpoint_interval: 24h "), 1)
		if bytes.Equal(long, conf) {
			t.Fatalf("no checkpoint_interval: 1m in the demo config:\n%s", conf)
		}
		if err := os.WriteFile(path, long, 0o600); err != nil {
			t.Fatal(err)
		}
	})
	signed := presign(t, s, fresh)
	batches := make([][][]byte, callers)
	for c := range batches {
		own := signed[c*perCaller : (c+1)*perCaller]
		if c == callers-1 {
			own = signed[c*perCaller:]
		}
		batches[c] = append(append([][]byte(nil), own...), own[:replays]...)
	}
	replies := drive(t, s.URL, batches)
	sent := fresh + callers*replays
	if len(replies) != sent {
		t.Fatalf("%d of %d requests got a reply from a server that was not stopped", len(replies), sent)
	}
	answered, refused := map[string]bool{}, map[string]bool{} // message ids; record ids
	for _, r := range replies {
		switch {
		case r.result == adapter.OutcomeOK:
			answered[r.messageID] = true
		case r.fault == adapter.CodeReplay:
			refused[r.detail] = true
		default:
			t.Fatalf("request %s: result %q fault %q, want OK or a replay fault", r.messageID, r.result, r.fault)
		}
	}
	if len(answered) != fresh || len(refused) != callers*replays {
		t.Fatalf("%d answered and %d refused, want %d and %d", len(answered), len(refused), fresh, callers*replays)
	}

	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
	s2 := startServerAt(t, s.Dir)
	s2.stop(t)
	if opened := grepLines(s2.stderr.String(), `"access log opened"`); !strings.Contains(opened, `"seq":`+strconv.Itoa(sent)+",") {
		t.Errorf("the restarted server did not open the access log at seq %d:\n%s", sent, s2.stderr)
	}
	data := filepath.Join(s.Dir, "data")

	// verify: every record checked, the one checkpoint (at shutdown, over
	// all of them) verified, and the head it reached is the last record.
	code, out, errOut := darbaza(t, "audit", "verify", "--data", data)
	if code != 0 {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	rep := parseVerify(t, out)
	if rep["records"] != strconv.Itoa(sent) || rep["first"] != "1" || rep["last"] != strconv.Itoa(sent) ||
		rep["checkpoints"] != "1" || rep["checkpoint at"] != strconv.Itoa(sent) || strings.Contains(out, "note:") {
		t.Errorf("audit verify of %d records, checkpointed once at the end, reported:\n%s", sent, out)
	}

	// export: every record in full, the last one's hash is verify's head,
	// and every request a caller saw answered or refused is in it.
	exportFile := filepath.Join(t.TempDir(), "export.jsonl")
	if code, out, errOut := darbaza(t, "audit", "export", "--data", data, "--out", exportFile); code != 0 {
		t.Fatalf("audit export: exit %d\n%s%s", code, out, errOut)
	}
	records, checkpoints, last := readExport(t, exportFile)
	if len(records) != sent || checkpoints != 1 {
		t.Errorf("export holds %d records and %d checkpoints, want %d and 1", len(records), checkpoints, sent)
	}
	if last.Seq != uint64(sent) || last.Hash != rep["head"] {
		t.Errorf("export's last record is %d with hash %s; verify's head is record %s with hash %s", last.Seq, last.Hash, rep["last"], rep["head"])
	}
	byMessage, byRecord := map[string]string{}, map[string]string{}
	for _, r := range records {
		if r.Outcome == adapter.OutcomeOK {
			byMessage[r.MessageID] = r.Outcome
		}
		byRecord[r.ID] = r.Outcome
	}
	missing := 0
	for id := range answered {
		if byMessage[id] != adapter.OutcomeOK {
			missing++
		}
	}
	for id := range refused {
		if byRecord[id] != adapter.CodeReplay {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of the %d requests callers saw answered or refused have no record in the export", missing, sent)
	}

	// list: one line per record, the last one the chain's last.
	code, out, errOut = darbaza(t, "audit", "list", "--data", data)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != sent || !strings.HasPrefix(lines[len(lines)-1], strconv.Itoa(sent)+"\t") {
		t.Errorf("audit list: exit %d, %d lines for %d records, last %.120q\n%s", code, len(lines), sent, lines[len(lines)-1], errOut)
	}
}

var verifyLineRe = regexp.MustCompile(`(?m)^(?:records:\s+(\d+)|chain:\s+records (\d+)\.\.(\d+)|head:\s+([0-9a-f]{64})|checkpoints:\s+(\d+) signatures verified|last checkpoint: record (\d+) )`)

// parseVerify reads the summary `audit verify` prints into records, first,
// last, head, checkpoints and "checkpoint at".
func parseVerify(tb testing.TB, out string) map[string]string {
	tb.Helper()
	rep := map[string]string{}
	names := []string{"", "records", "first", "last", "head", "checkpoints", "checkpoint at"}
	for _, m := range verifyLineRe.FindAllStringSubmatch(out, -1) {
		for i := 1; i < len(m); i++ {
			if m[i] != "" {
				rep[names[i]] = m[i]
			}
		}
	}
	for _, k := range names[1:] {
		if rep[k] == "" {
			tb.Errorf("audit verify printed no %s:\n%s", k, out)
		}
	}
	return rep
}

// exportRecord is the part of an export's record line the test reads.
type exportRecord struct {
	Type      string `json:"type"`
	Seq       uint64 `json:"seq"`
	ID        string `json:"id"`
	MessageID string `json:"message_id"`
	Outcome   string `json:"outcome"`
	Hash      string `json:"hash"`
}

// readExport reads a JSON Lines export: its records, the number of its
// checkpoints, and its last record.
func readExport(tb testing.TB, path string) (records []exportRecord, checkpoints int, last exportRecord) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r exportRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("export line %q: %v", sc.Text(), err)
		}
		switch r.Type {
		case "record":
			records = append(records, r)
			last = r
		case "checkpoint":
			checkpoints++
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return records, checkpoints, last
}
