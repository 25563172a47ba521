package adapter_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter"
)

// BenchmarkPipeline measures one signed getPerson through the whole
// pipeline: decode, verify, replay check, lookup, response signing and a
// durable access-log append (fsync, shared by concurrent requests). The
// requests are signed before the timer starts, each with its own id.
// callers counts concurrent goroutines (SetParallelism times GOMAXPROCS).
func BenchmarkPipeline(b *testing.B) {
	for _, par := range []int{1, 8, 32} {
		callers := par * runtime.GOMAXPROCS(0)
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			hs := newHarness(b)
			sample := readSample(b, "../testdata/requests/getPerson-found.xml")
			reqs := make([][]byte, b.N)
			for i := range reqs {
				raw := bytes.Replace(sample, []byte("841f4b25-9f76-5883-b70f-59fe1b918472"), fmt.Appendf(nil, "bench-%d-%d", callers, i), 1)
				reqs[i] = hs.sign(raw, portal)
			}
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			b.SetParallelism(par)
			b.ReportAllocs()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			gcs := ms.NumGC
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(reqs[i]))
					req.Header.Set("Content-Type", "text/xml; charset=utf-8")
					rec := httptest.NewRecorder()
					start := time.Now()
					hs.handler.ServeHTTP(rec, req)
					lat[i] = time.Since(start)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
			b.StopTimer()
			runtime.ReadMemStats(&ms)
			// GC cycles per 1,000 requests: how often the collector ran, a
			// figure that, unlike time, does not move with the machine's load.
			b.ReportMetric(float64(ms.NumGC-gcs)*1000/float64(b.N), "GCs/1k-req")
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkBusyRefusal measures refusing a request for load
// (Server.ServerProxy.Busy): the body read, the access-log record, the 503,
// with the application log as darbaza serve writes it (JSON).
func BenchmarkBusyRefusal(b *testing.B) {
	g := newGate()
	hs := newHarnessWith(b, gate(g, func(o *adapter.Options) {
		o.MaxInFlight, o.MaxQueued = 1, 0
		o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}))
	sample := readSample(b, "../testdata/requests/getPerson-found.xml")
	done := make(chan struct{})
	go func() { hs.send(hs.sign(sample, portal)); close(done) }()
	<-g.entered // the only slot stays taken
	req := hs.sign(bytes.Replace(sample, []byte("841f4b25"), []byte("941f4b25"), 1), portal)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(req))
		r.Header.Set("Content-Type", "text/xml; charset=utf-8")
		rec := httptest.NewRecorder()
		hs.handler.ServeHTTP(rec, r)
		if rec.Code != http.StatusServiceUnavailable {
			b.Fatalf("status %d", rec.Code)
		}
	}
	close(g.open)
	<-done
}
