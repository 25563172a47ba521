package adapter_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// gatedVerifier holds every check until the test opens the gate, so that
// requests sit in their processing slots as long as the test wants.
type gatedVerifier struct {
	adapter.Verifier
	entered chan struct{}
	open    chan struct{}
}

func (g *gatedVerifier) Check(doc *etree.Document, client string, required []*etree.Element) (*signing.Verified, error) {
	g.entered <- struct{}{}
	<-g.open
	return g.Verifier.Check(doc, client, required)
}

// gate makes the harness's verifier a gatedVerifier.
func gate(g *gatedVerifier, change func(*adapter.Options)) func(*adapter.Options) {
	return func(o *adapter.Options) {
		g.Verifier = o.Verifier
		o.Verifier = g
		change(o)
	}
}

func newGate() *gatedVerifier {
	return &gatedVerifier{entered: make(chan struct{}, 16), open: make(chan struct{})}
}

// outcomes lists the outcomes of recs.
func outcomes(recs []accesslog.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Outcome
	}
	return out
}

func TestRequestBeyondTheQueueIsRefusedAtOnceWith503(t *testing.T) {
	g := newGate()
	hs := newHarnessWith(t, gate(g, func(o *adapter.Options) { o.MaxInFlight, o.MaxQueued = 1, 0 }))
	sample := readSample(t, "../testdata/requests/getPerson-found.xml")
	first := hs.sign(sample, portal)
	done := make(chan response, 1)
	go func() { done <- hs.send(first) }()
	<-g.entered // the first request holds the only slot

	second := hs.sign(bytes.Replace(sample, []byte("841f4b25"), []byte("941f4b25"), 1), portal)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(second))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	rec := httptest.NewRecorder()
	hs.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("refusal: HTTP %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if !strings.Contains(rec.Body.String(), "<faultcode>"+adapter.CodeBusy+"</faultcode>") {
		t.Errorf("refusal is not a %s fault:\n%s", adapter.CodeBusy, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "Signature") {
		t.Errorf("a busy refusal is signed, which costs what it should spare:\n%s", rec.Body)
	}
	close(g.open)
	if r := <-done; r.status != http.StatusOK || r.faultCode() != "" {
		t.Errorf("the request in the slot: HTTP %d, fault %q", r.status, r.faultCode())
	}
	got := outcomes(hs.records())
	if len(got) != 2 || got[0] != adapter.CodeBusy || got[1] != adapter.OutcomeOK {
		t.Errorf("records %q, want the refusal and then the answer", got)
	}
}

func TestQueuedRequestIsRefusedAfterQueueWait(t *testing.T) {
	g := newGate()
	const wait = 100 * time.Millisecond
	hs := newHarnessWith(t, gate(g, func(o *adapter.Options) { o.MaxInFlight, o.MaxQueued, o.QueueWait = 1, 1, wait }))
	sample := readSample(t, "../testdata/requests/getPerson-found.xml")
	done := make(chan response, 1)
	go func() { done <- hs.send(hs.sign(sample, portal)) }()
	<-g.entered

	start := time.Now()
	r := hs.send(hs.sign(bytes.Replace(sample, []byte("841f4b25"), []byte("941f4b25"), 1), portal))
	if took := time.Since(start); took < wait {
		t.Errorf("refused after %v, before the queue wait of %v", took, wait)
	}
	if r.status != http.StatusServiceUnavailable || r.faultCode() != adapter.CodeBusy {
		t.Errorf("queued request: HTTP %d, fault %q; want 503 %s", r.status, r.faultCode(), adapter.CodeBusy)
	}
	close(g.open)
	if r := <-done; r.faultCode() != "" {
		t.Errorf("the request in the slot: fault %q", r.faultCode())
	}
}

func TestQueuedRequestIsServedWhenASlotFrees(t *testing.T) {
	g := newGate()
	reg := prometheus.NewRegistry()
	hs := newHarnessWith(t, gate(g, func(o *adapter.Options) {
		o.MaxInFlight, o.MaxQueued = 1, 1
		o.Metrics = adapter.NewMetrics(reg, o.Catalog.Known)
	}))
	sample := readSample(t, "../testdata/requests/getPerson-found.xml")
	done := make(chan response, 2)
	go func() { done <- hs.send(hs.sign(sample, portal)) }()
	<-g.entered
	second := hs.sign(bytes.Replace(sample, []byte("841f4b25"), []byte("941f4b25"), 1), portal)
	go func() { done <- hs.send(second) }()
	// The second one waits in the queue, and the metric says so.
	for deadline := time.Now().Add(10 * time.Second); gauge(t, reg, "darbaza_requests_queued") != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("darbaza_requests_queued never showed the waiting request")
		}
	}
	close(g.open)
	for range 2 {
		if r := <-done; r.status != http.StatusOK || r.faultCode() != "" {
			t.Errorf("HTTP %d, fault %q; want both answered", r.status, r.faultCode())
		}
	}
	if n := gauge(t, reg, "darbaza_requests_queued"); n != 0 {
		t.Errorf("darbaza_requests_queued %v after both were served", n)
	}
}

// gauge reads a gauge from reg.
func gauge(tb testing.TB, reg *prometheus.Registry, name string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	tb.Fatalf("no metric %s", name)
	return 0
}

// slowSender opens a connection and sends a request's headers and the
// first bytes of a body it never finishes.
func slowSender(tb testing.TB, addr string, length int) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n<soapenv:Envelope", addr, length)
	return c
}

// timedCall sends a fresh signed getPerson over HTTP and returns how long
// its answer took.
func timedCall(tb testing.TB, hs *harness, url string, n int) time.Duration {
	tb.Helper()
	sample := readSample(tb, "../testdata/requests/getPerson-found.xml")
	req := hs.sign(bytes.Replace(sample, []byte("841f4b25"), fmt.Appendf(nil, "%08d", n), 1), portal)
	start := time.Now()
	resp, err := http.Post(url, "text/xml; charset=utf-8", bytes.NewReader(req))
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte("<faultcode>")) {
		tb.Fatalf("valid call: HTTP %d\n%.600s", resp.StatusCode, body)
	}
	return took
}

func TestSlowSendersCannotStarveAValidCall(t *testing.T) {
	hs := newHarnessWith(t, func(o *adapter.Options) {
		o.MaxInFlight, o.MaxQueued = 2, 4
		o.BodyTimeout = time.Minute // the slow senders stay for the whole test
	})
	srv := httptest.NewServer(hs.handler)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	// Normal latency: the best of three calls on the idle server.
	normal := time.Hour
	for i := range 3 {
		normal = min(normal, timedCall(t, hs, srv.URL, i))
	}
	const slow = 1000
	conns := make([]net.Conn, slow)
	for i := range conns {
		conns[i] = slowSender(t, addr, 4000)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// Every slow sender has reached the handler and is being read.
	time.Sleep(200 * time.Millisecond)

	took := time.Hour
	for i := range 3 {
		took = min(took, timedCall(t, hs, srv.URL, 100+i))
	}
	t.Logf("valid call: %v idle, %v beside %d slow senders", normal, took, slow)
	if bound := 5*normal + 250*time.Millisecond; took > bound {
		t.Errorf("beside %d slow senders a valid call took %v, over %v (5x its idle %v + 250ms)", slow, took, bound, normal)
	}
	// The slow senders are still connected and waiting, none refused yet.
	for _, c := range conns[:10] {
		c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if n, err := c.Read(make([]byte, 1)); n != 0 || !isTimeout(err) {
			t.Fatalf("a slow sender got an answer or lost its connection: %v", err)
		}
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestBodySlowerThanTheMinimumRateIsCutOff(t *testing.T) {
	hs := newHarnessWith(t, func(o *adapter.Options) {
		o.BodyTimeout, o.MinBodyRate = 30*time.Second, 1000
	})
	srv := httptest.NewServer(hs.handler)
	defer srv.Close()
	c := slowSender(t, strings.TrimPrefix(srv.URL, "http://"), 4000)
	defer c.Close()
	start := time.Now()
	c.SetReadDeadline(start.Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a body that stopped after 17 bytes: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// 17 bytes at 1000 bytes/s after the first second: cut off after ~1s.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cut off after %v, want about 1s", took)
	}
	if !bytes.Contains(body, []byte("<faultcode>"+soap.CodeInvalidRequest+"</faultcode>")) {
		t.Errorf("HTTP %d, want a %s fault:\n%s", resp.StatusCode, soap.CodeInvalidRequest, body)
	}
	if got := outcomes(hs.records()); len(got) != 1 || got[0] != soap.CodeInvalidRequest {
		t.Errorf("records %q, want one %s", got, soap.CodeInvalidRequest)
	}
}

// Many slow senders at once are each cut off on their own deadline.
func TestManySlowBodiesAreAllCutOff(t *testing.T) {
	hs := newHarnessWith(t, func(o *adapter.Options) { o.BodyTimeout = 500 * time.Millisecond })
	srv := httptest.NewServer(hs.handler)
	defer srv.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		c := slowSender(t, strings.TrimPrefix(srv.URL, "http://"), 4000)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a slow sender got no answer: %v", err)
	}
	if got := outcomes(hs.records()); len(got) != 50 {
		t.Errorf("%d records for 50 cut-off requests", len(got))
	}
}

func TestACallerWhoLeavesWhileQueuedStillLeavesARecord(t *testing.T) {
	g := newGate()
	hs := newHarnessWith(t, gate(g, func(o *adapter.Options) { o.MaxInFlight, o.MaxQueued, o.QueueWait = 1, 1, time.Minute }))
	sample := readSample(t, "../testdata/requests/getPerson-found.xml")
	done := make(chan response, 1)
	go func() { done <- hs.send(hs.sign(sample, portal)) }()
	<-g.entered // the first request holds the only slot

	ctx, cancel := context.WithCancel(context.Background())
	second := hs.sign(bytes.Replace(sample, []byte("841f4b25"), []byte("941f4b25"), 1), portal)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(second)).WithContext(ctx)
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	left := make(chan struct{})
	go func() {
		defer close(left)
		hs.handler.ServeHTTP(httptest.NewRecorder(), req)
	}()
	time.Sleep(50 * time.Millisecond) // let it queue (queued or not when the caller leaves, it is refused)
	cancel()
	<-left
	close(g.open)
	<-done
	got := outcomes(hs.records())
	if len(got) != 2 || got[0] != adapter.CodeBusy {
		t.Errorf("records %q, want the left caller's %s and then the answer", got, adapter.CodeBusy)
	}
}
