package console

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
)

// bigLog is a log of n synthetic records that it makes as they are read,
// counting the records read: the cost of a page on a log of any size.
type bigLog struct {
	n    uint64
	read int
}

func (l *bigLog) record(seq uint64) accesslog.Record {
	return accesslog.Record{Seq: seq, ID: fmt.Sprint(seq), Client: "central-server/GOV/70000002/portal",
		Service: "getPerson", Outcome: "OK", Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Second)}
}

func (l *bigLog) Before(_ context.Context, before uint64, limit int) ([]accesslog.Record, error) {
	if before == 0 || before > l.n+1 {
		before = l.n + 1
	}
	var out []accesslog.Record
	for seq := before - 1; seq >= 1 && len(out) < min(limit, accesslog.MaxPage); seq-- {
		out = append(out, l.record(seq))
	}
	l.read += len(out)
	return out, nil
}

func (l *bigLog) History(_ context.Context, _, cursor string, limit int) ([]accesslog.Record, string, error) {
	at := l.n
	if cursor != "" {
		at, _ = strconv.ParseUint(cursor, 10, 64)
	}
	var out []accesslog.Record
	for seq := at; seq >= 1 && len(out) < limit; seq -= 7 { // every 7th record is the person's
		out = append(out, l.record(seq))
	}
	l.read += len(out)
	next := ""
	if len(out) == limit && at > uint64(7*limit) {
		next = strconv.FormatUint(at-uint64(7*limit), 10)
	}
	return out, next, nil
}

func (l *bigLog) Append(context.Context, accesslog.Entry) (accesslog.Record, error) {
	return accesslog.Record{}, nil
}
func (l *bigLog) State(context.Context) (accesslog.State, error) {
	return accesslog.State{HeadSeq: l.n}, nil
}
func (l *bigLog) Verify(context.Context, accesslog.VerifyOptions) (accesslog.Report, error) {
	return accesslog.Report{}, nil
}
func (l *bigLog) Export(context.Context, io.Writer, accesslog.Format, accesslog.Filter) (accesslog.ExportSummary, error) {
	return accesslog.ExportSummary{}, nil
}
func (l *bigLog) SubjectID(string) string { return "" }

func TestAPageReadsABoundedNumberOfRecordsOnTenMillion(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		q        query
		before   uint64
		maxRead  int
		wantRecs int
		partial  bool
	}{
		"newest page, no filter":          {query{}, 0, pageSize + readChunk, pageSize, false},
		"a page deep in the log":          {query{}, 5_000_000, pageSize + readChunk, pageSize, false},
		"a filter nothing matches":        {query{Service: "getTaxpayer"}, 0, scanBudget + readChunk, 0, true},
		"a person":                        {query{PIN: "21505198500123"}, 0, pageSize + accesslog.MaxHistoryLimit, pageSize, false},
		"a time window long ago":          {query{From: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)}, 0, scanBudget + readChunk, 0, true},
		"a time window reached by paging": {query{From: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 2, 0, 10, 0, 0, time.UTC)}, 86400 + 601, 600 + readChunk + 3600, 600, false},
	} {
		l := &bigLog{n: 10_000_000}
		c := &Console{opts: Options{Log: l}}
		res, err := c.search(ctx, &tc.q, tc.before)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if l.read > tc.maxRead || len(res.Records) != min(tc.wantRecs, pageSize) || res.Partial != tc.partial {
			t.Errorf("%s: read %d records (at most %d), listed %d (want %d), partial %v", name, l.read, tc.maxRead, len(res.Records), min(tc.wantRecs, pageSize), res.Partial)
		}
		if tc.partial && (res.Next == 0 || res.Next >= l.n) {
			t.Errorf("%s: a partial page continues at %d", name, res.Next)
		}
	}
}
