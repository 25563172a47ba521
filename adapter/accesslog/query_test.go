package accesslog

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHistoryPagesNewestFirstThroughOnePersonsAccesses(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	appendN(t, l, 23) // subject 2010119900000(i%5): PIN ...0001 in records 1, 6, 11, 16, 21
	pin := "20101199000001"
	var got []uint64
	cursor := ""
	for page := 0; ; page++ {
		recs, next, err := l.History(context.Background(), pin, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 2 {
			t.Fatalf("page %d has %d records, limit 2", page, len(recs))
		}
		for _, r := range recs {
			got = append(got, r.Seq)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if want := []uint64{21, 16, 11, 6, 1}; !equalSeqs(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	}
	if recs, next, err := l.History(context.Background(), "29999999999999", "", 0); err != nil || len(recs) != 0 || next != "" {
		t.Errorf("history of an untouched person = %v, %q, %v; want empty", recs, next, err)
	}
}

func TestHistoryRejectsBadArguments(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	for _, tt := range []struct {
		name, pin, cursor string
		limit             int
	}{
		{"an empty PIN", "", "", 1},
		{"a negative limit", "20101199000001", "", -1},
		{"a cursor that is not a number", "20101199000001", "abc", 1},
		{"a zero cursor", "20101199000001", "0", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := l.History(context.Background(), tt.pin, tt.cursor, tt.limit); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("History: %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestListFiltersByEveryField(t *testing.T) {
	l := openTestLog(t, testOptions(t, newECKey(t), filepath.Join(t.TempDir(), "log.db")))
	appendN(t, l, 12)
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		f    Filter
		want []uint64
	}{
		{"no filter", Filter{}, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		{"time range, To exclusive", Filter{From: base.Add(3 * time.Second), To: base.Add(6 * time.Second)}, []uint64{3, 4, 5}},
		{"client", Filter{Client: "central-server/GOV/70000003/sanarip-aymak"}, []uint64{1, 3, 5, 7, 9, 11}},
		{"service", Filter{Service: "getTaxpayer"}, []uint64{3, 7, 11}},
		{"outcome", Filter{Outcome: "PersonNotFound"}, []uint64{2, 6, 10}},
		{"subject", Filter{Subject: l.SubjectID("20101199000002")}, []uint64{2, 7, 12}},
		{"all at once", Filter{Service: "getRegistration", Outcome: "Server.ServerProxy.AccessDenied", Subject: l.SubjectID("20101199000004")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []uint64
			if err := l.List(context.Background(), tt.f, func(r Record) error { got = append(got, r.Seq); return nil }); err != nil {
				t.Fatal(err)
			}
			if !equalSeqs(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilteredExportHidesOtherRecordsAndStillVerifies(t *testing.T) {
	k := newECKey(t)
	l := openTestLog(t, testOptions(t, k, filepath.Join(t.TempDir(), "log.db")))
	appendN(t, l, 10)
	if _, err := l.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, format := range []Format{FormatJSONL, FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			var buf bytes.Buffer
			sum, err := l.Export(context.Background(), &buf, format, Filter{Service: "getTaxpayer"})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Records != 2 || sum.Omitted != 8 || sum.Checkpoints != 1 {
				t.Errorf("summary = %+v, want 2 in full, 8 omitted, 1 checkpoint", sum)
			}
			if strings.Contains(buf.String(), "msg-1,") || strings.Contains(buf.String(), `"msg-1"`) {
				t.Error("an omitted record's content is in the export")
			}
			rep, err := VerifyExport(context.Background(), &buf, verifyOpts(k))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Records != 10 || rep.Omitted != 8 || rep.Unsigned != 0 {
				t.Errorf("report = %+v", rep)
			}
		})
	}
}

func TestArchiveMovesOldRecordsWithoutBreakingTheChain(t *testing.T) {
	k := newECKey(t)
	dir := t.TempDir()
	l := openTestLog(t, testOptions(t, k, filepath.Join(dir, "log.db")))
	recs := appendN(t, l, 10)
	if _, err := l.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := recs[6].Time // archives records 1..6
	out, err := os.Create(filepath.Join(dir, "archive.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := l.Archive(context.Background(), before, out)
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 6 || sum.Anchor.Seq != 6 || sum.Anchor.Hash != recs[5].Hash {
		t.Errorf("summary = %+v", sum)
	}
	arch, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyExport(context.Background(), bytes.NewReader(arch), VerifyOptions{Certificates: []*x509.Certificate{k.Cert}, Sealed: true})
	if err != nil {
		t.Fatalf("archive does not verify on its own: %v", err)
	}
	if rep.Records != 6 || rep.Head != recs[5].Hash {
		t.Errorf("archive report = %+v", rep)
	}
	// Remove the archive's seal: a sealed verification must notice.
	lines := bytes.Split(bytes.TrimSpace(arch), []byte("\n"))
	cut := bytes.Join(lines[:len(lines)-2], []byte("\n")) // drop record 6 and the seal
	if _, err := VerifyExport(context.Background(), bytes.NewReader(cut), VerifyOptions{Certificates: []*x509.Certificate{k.Cert}, Sealed: true}); !errors.Is(err, ErrTampered) {
		t.Errorf("truncated archive: %v, want ErrTampered", err)
	}
	// The remaining log verifies and starts where the archive ends.
	live, err := l.Verify(context.Background(), verifyOpts(k))
	if err != nil {
		t.Fatal(err)
	}
	if live.Anchor != sum.Anchor || live.Records != 4 || live.Checkpoints != 1 {
		t.Errorf("live report = %+v, want 4 records after anchor %d", live, sum.Anchor.Seq)
	}
	if recs, _, _ := l.History(context.Background(), "20101199000001", "", 10); len(recs) != 0 {
		t.Errorf("history still lists %d archived records", len(recs))
	}
	r, err := l.Append(context.Background(), testEntry(11))
	if err != nil || r.Seq != 11 {
		t.Fatalf("append after archive: %+v, %v", r.Seq, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openTestLog(t, testOptions(t, k, filepath.Join(dir, "log.db")))
	if _, err := l.Archive(context.Background(), before, out); !errors.Is(err, ErrNothingToArchive) {
		t.Errorf("second archive with the same cutoff: %v, want ErrNothingToArchive", err)
	}
}
