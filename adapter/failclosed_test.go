package adapter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/demo"
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

// failingRegistry fails the way a corrupt store does: quoting the key.
type failingRegistry struct{ adapter.Registry }

func (failingRegistry) Person(_ context.Context, pin string) (registry.Person, error) {
	return registry.Person{}, fmt.Errorf("%w: index entry %q", registry.ErrCorrupt, pin+"RG-00000001")
}

func TestInternalErrorsReachNeitherCallerNorLogWithAPIN(t *testing.T) {
	var logs bytes.Buffer
	hs := newHarnessWith(t, func(o *adapter.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		o.Catalog = adapter.NewCatalog(adapter.RegistryServices(failingRegistry{}, o.Log.(adapter.History), o.Now)...)
	})
	r := hs.send(hs.sign(readSample(t, "../testdata/requests/getPerson-found.xml"), portal))
	if r.faultCode() != soap.CodeInternalError {
		t.Fatalf("fault %q, want %s", r.faultCode(), soap.CodeInternalError)
	}
	if strings.Contains(string(r.raw), demo.PINFound+"RG") || strings.Contains(string(r.raw), "index entry") {
		t.Errorf("internal detail reached the caller:\n%s", r.raw)
	}
	if !strings.Contains(logs.String(), "index entry") {
		t.Fatalf("the internal error was not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), demo.PINFound) {
		t.Errorf("a raw PIN reached the application log:\n%s", logs.String())
	}
}

// expectingLog counts the records the pipeline announces (Expect) and
// notes how many were announced when each Append came.
type expectingLog struct {
	adapter.AccessLog
	expected int
	atAppend []int
}

func (l *expectingLog) Expect(delta int) { l.expected += delta }

func (l *expectingLog) Append(ctx context.Context, e accesslog.Entry) (accesslog.Record, error) {
	l.atAppend = append(l.atAppend, l.expected)
	return l.AccessLog.Append(ctx, e)
}

func TestEveryRequestAnnouncesItsRecordToTheLogAndWithdrawsIt(t *testing.T) {
	var log *expectingLog
	hs := newHarnessWith(t, func(o *adapter.Options) {
		log = &expectingLog{AccessLog: o.Log}
		o.Log = log
	})
	hs.send(hs.sign(readSample(t, "../testdata/requests/getPerson-found.xml"), portal))
	hs.send(readSample(t, "../testdata/requests/getPerson-found.xml")) // unsigned: refused, and recorded
	if len(log.atAppend) != 2 || log.atAppend[0] != 1 || log.atAppend[1] != 1 {
		t.Errorf("records announced at each Append = %v, want [1 1]: a lone request's own record", log.atAppend)
	}
	if log.expected != 0 {
		t.Errorf("%d records still announced after every request ended, want 0", log.expected)
	}
}
