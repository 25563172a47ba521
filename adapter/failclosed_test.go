package adapter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/soap"
)

// brokenLog is an access log whose disk has failed.
type brokenLog struct{ adapter.AccessLog }

var errDisk = errors.New("disk full")

func (brokenLog) Append(context.Context, accesslog.Entry) (accesslog.Record, error) {
	return accesslog.Record{}, errDisk
}
func (brokenLog) Healthy() error { return errDisk }

func TestAnswersAreWithheldWhenTheAccessLogFails(t *testing.T) {
	hs := newHarnessWith(t, func(o *adapter.Options) { o.Log = brokenLog{o.Log} })
	r := hs.send(hs.sign(readSample(t, "../testdata/requests/getPerson-found.xml"), portal))
	if r.faultCode() != soap.CodeLogUnavailable {
		t.Fatalf("fault %q, want %s", r.faultCode(), soap.CodeLogUnavailable)
	}
	if strings.Contains(string(r.raw), "Асанов") || strings.Contains(string(r.raw), "<person>") {
		t.Errorf("the answer leaked although its access could not be recorded:\n%s", r.raw)
	}
}
