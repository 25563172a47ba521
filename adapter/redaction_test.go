package adapter_test

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/soap"
)

// PINs the redaction test plants in requests (docs/access-log.md: raw PINs are
// not stored in the access log). They are valid-looking 14-digit PINs; none
// is the PIN the request is about, so a match can only come from a header
// or a fault's reason.
const (
	pinInUserID = "21505198500123"
	pinInIssue  = "10203199000456"
	pinInIssue2 = "22512198700789"
	pinInID     = "11111198000017"
	pinInReason = "20101199000024"
)

// TestNoRawPINReachesAnAccessLogRecord sends answered and refused requests
// whose free-text headers (xrd:userId, xrd:issue, xrd:id) and whose
// fault reasons carry 14-digit PINs, and checks every string field of
// every stored record: no planted PIN appears raw, and the ones the
// pipeline pseudonymises appear as "pin:" and the log's keyed pseudonym,
// so an auditor can still find them.
//
// Longer runs and other digit forms are TestNoPINComesOutWhateverTheCallerSends's.
func TestNoRawPINReachesAnAccessLogRecord(t *testing.T) {
	hs := newHarness(t)
	found := readSample(t, "../testdata/requests/getPerson-found.xml")
	history := readSample(t, "../testdata/requests/getAccessHistory-found.xml")
	with := func(raw []byte, pairs ...string) []byte {
		t.Helper()
		for i := 0; i < len(pairs); i += 2 {
			if !bytes.Contains(raw, []byte(pairs[i])) {
				t.Fatalf("sample lacks %q", pairs[i])
			}
			raw = bytes.Replace(raw, []byte(pairs[i]), []byte(pairs[i+1]), 1)
		}
		return raw
	}
	headers := func(raw []byte, id string) []byte {
		return with(raw,
			"<xrd:userId>KG21505198500123</xrd:userId>", "<xrd:userId>KG"+pinInUserID+"</xrd:userId>",
			"<xrd:issue>demo-request</xrd:issue>", "<xrd:issue>case "+pinInIssue+","+pinInIssue2+" (reference "+pinInIssue+")</xrd:issue>",
			"<xrd:id>", "<xrd:id>"+id)
	}
	tests := []struct {
		name, outcome string
		raw           []byte
		// pseudonymised: the record fields that must carry these PINs as
		// "pin:" + pseudonym.
		pseudonymised map[string][]string
	}{
		{
			name: "answered, PINs in userId, issue and id", outcome: "OK",
			raw: hs.sign(headers(found, pinInID+"-"), portal),
			pseudonymised: map[string][]string{
				"UserID": {pinInUserID}, "Issue": {pinInIssue, pinInIssue2},
			},
		},
		{
			name: "refused by the service, the reason quotes the PIN", outcome: soap.CodeInvalidRequest,
			raw: hs.sign(headers(with(history, "<reg:limit>5</reg:limit>", "<reg:limit>"+pinInReason+"</reg:limit>"), "a-"), portal),
			pseudonymised: map[string][]string{
				"UserID": {pinInUserID}, "Issue": {pinInIssue, pinInIssue2}, "Reason": {pinInReason},
			},
		},
		{
			name: "refused after the signature check, unknown service version quoting the PIN", outcome: soap.CodeUnknownService,
			raw: hs.sign(headers(with(found, "<id:serviceVersion>v1</id:serviceVersion>", "<id:serviceVersion>v"+pinInReason+"</id:serviceVersion>"), "b-"), portal),
			pseudonymised: map[string][]string{
				"UserID": {pinInUserID}, "Issue": {pinInIssue, pinInIssue2}, "Reason": {pinInReason},
			},
		},
		{
			name: "refused while decoding, the reason quotes the client's objectType", outcome: soap.CodeInvalidClientID,
			raw: with(found, `<xrd:client id:objectType="SUBSYSTEM">`, `<xrd:client id:objectType="`+pinInReason+`">`),
			pseudonymised: map[string][]string{
				"Reason": {pinInReason},
			},
		},
	}
	// The answered request once more: refused as a replay, since the id is
	// claimed in the same pseudonymised form whether answered or refused.
	tests = append(tests, tests[0])
	tests[len(tests)-1].name, tests[len(tests)-1].outcome = "the answered request again, a replay", adapter.CodeReplay
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs.tb = t
			r := hs.send(tt.raw)
			rec := hs.lastRecord()
			if rec.Outcome != tt.outcome {
				t.Fatalf("record outcome %q (%s), want %s\n%s", rec.Outcome, rec.Reason, tt.outcome, r.raw)
			}
			fields := stringFields(rec)
			for _, pin := range []string{pinInUserID, pinInIssue, pinInIssue2, pinInID, pinInReason} {
				for name, v := range fields {
					if strings.Contains(v, pin) {
						t.Errorf("record field %s holds the raw PIN %s: %q", name, pin, v)
					}
				}
			}
			for name, pins := range tt.pseudonymised {
				for _, pin := range pins {
					if want := "pin:" + hs.log.SubjectID(pin); !strings.Contains(fields[name], want) {
						t.Errorf("record field %s = %q lacks %s, the pseudonym of %s", name, fields[name], want, pin)
					}
				}
			}
		})
	}
}

// stringFields returns every string field of r, and every element of its
// string-slice fields as NAME[i], by name: a field added to Record later is
// checked without changing the test.
func stringFields(r accesslog.Record) map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(r)
	for i := range v.NumField() {
		name, f := v.Type().Field(i).Name, v.Field(i)
		switch {
		case f.Kind() == reflect.String:
			out[name] = f.String()
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
			for j := range f.Len() {
				out[name+"["+strconv.Itoa(j)+"]"] = f.Index(j).String()
			}
		}
	}
	return out
}

// The same check must see a raw PIN when one is stored, or it proves nothing.
func TestStringFieldsSeesEveryField(t *testing.T) {
	rec := accesslog.Record{Issue: pinInIssue, Subjects: []string{"x", pinInUserID}}
	fields := stringFields(rec)
	if fields["Issue"] != pinInIssue || fields["Subjects[1]"] != pinInUserID {
		t.Errorf("stringFields missed a field: %v", fields)
	}
}
