package accesslog

import (
	"strings"
	"testing"
)

// TestReportNamesTheRangeOfRecordsOrNone: the summary gives the first and
// last sequence number checked, and an empty log (new, or all archived)
// says it holds no records rather than an empty range such as "79..78".
func TestReportNamesTheRangeOfRecordsOrNone(t *testing.T) {
	tests := []struct {
		name string
		rep  Report
		want string
	}{
		{"a new log", Report{}, "chain:        no records\n"},
		{"everything archived", Report{Anchor: Anchor{Seq: 78}, HeadSeq: 78}, "chain:        no records\n"},
		{"records after an archive", Report{Anchor: Anchor{Seq: 78}, HeadSeq: 80, Records: 2}, "chain:        records 79..80\n"},
		{"a whole log", Report{HeadSeq: 3, Records: 3}, "chain:        records 1..3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rep.String(); !strings.Contains(got, tt.want) {
				t.Errorf("report\n%s\nlacks %q", got, tt.want)
			}
		})
	}
}
