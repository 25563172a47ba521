package adapter_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/registry/demo"
)

// getTaxpayer looks a person up when the INN is an individual's, their
// PIN: the access log names them as the subject, so the citizen's access
// history shows the lookup. An entity's INN is nobody's PIN.
func TestGetTaxpayerRecordsAnIndividualAsItsSubject(t *testing.T) {
	hs := newHarness(t)
	key := bytes.Repeat([]byte{7}, 32) // the harness's subject key
	for _, tc := range []struct {
		sample string
		want   []string
	}{
		{"getTaxpayer-individual", []string{accesslog.SubjectID(key, demo.PINFound)}},
		{"getTaxpayer-not-taxpayer", []string{accesslog.SubjectID(key, demo.PINNotTaxpayer)}},
		{"getTaxpayer-entity", nil},
		{"getTaxpayer-invalid-inn", nil},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			hs.tb = t
			r := hs.send(hs.sign(readSample(t, "../testdata/requests/"+tc.sample+".xml"), taxCab))
			if r.faultCode() != "" {
				t.Fatalf("fault %s", r.faultCode())
			}
			var last accesslog.Record
			if err := hs.log.List(context.Background(), accesslog.Filter{}, func(r accesslog.Record) error { last = r; return nil }); err != nil {
				t.Fatal(err)
			}
			if last.Service != "getTaxpayer" || !slices.Equal(last.Subjects, tc.want) {
				t.Errorf("record of %s with subjects %v, want %v", last.Service, last.Subjects, tc.want)
			}
		})
	}
}
