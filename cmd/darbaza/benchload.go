package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/darbaza/darbaza/signing"
)

// benchRequest is the getPerson request the bench signs, with ID and PIN
// to fill in.
const benchRequest = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
  <SOAP-ENV:Header>
    <xrd:client id:objectType="SUBSYSTEM">
      <id:xRoadInstance>central-server</id:xRoadInstance>
      <id:memberClass>GOV</id:memberClass>
      <id:memberCode>70000099</id:memberCode>
      <id:subsystemCode>bench</id:subsystemCode>
    </xrd:client>
    <xrd:service id:objectType="SERVICE">
      <id:xRoadInstance>central-server</id:xRoadInstance>
      <id:memberClass>GOV</id:memberClass>
      <id:memberCode>70000001</id:memberCode>
      <id:subsystemCode>population-registry</id:subsystemCode>
      <id:serviceCode>getPerson</id:serviceCode>
      <id:serviceVersion>v1</id:serviceVersion>
    </xrd:service>
    <xrd:id>{ID}</xrd:id>
    <xrd:userId>KG{PIN}</xrd:userId>
    <xrd:issue>bench</xrd:issue>
    <xrd:protocolVersion>4.0</xrd:protocolVersion>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <reg:getPerson xmlns:reg="http://population.tunduk.kg/registry/v1">
      <reg:pin>{PIN}</reg:pin>
    </reg:getPerson>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>
`

// presignRequests signs n unique requests with the member key on every core: each
// a fresh xrd:id and a PIN drawn from the dataset.
func presignRequests(member *signing.Signer, pins []string, n int) ([][]byte, error) {
	out := make([][]byte, n)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		fail error
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				id, err := signing.NewMessageID(nil)
				if err == nil {
					pin := pins[rand.IntN(len(pins))]
					raw := strings.NewReplacer("{ID}", id, "{PIN}", pin).Replace(benchRequest)
					out[i], err = signRequest(member, []byte(raw), false)
				}
				if err != nil {
					mu.Lock()
					fail = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return out, fail
}

// collector gathers the outcomes of one run from many goroutines.
type collector struct {
	mu        sync.Mutex
	ok        int
	latencies []time.Duration // of the answers
	refusals  []time.Duration // of every other reply
	errors    map[string]int
}

func (c *collector) add(code string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if code == "" {
		c.ok++
		c.latencies = append(c.latencies, d)
		return
	}
	if c.errors == nil {
		c.errors = map[string]int{}
	}
	c.errors[code]++
	c.refusals = append(c.refusals, d)
}

// benchPost sends one request and returns "" for an answer, else the fault
// code, "HTTP nnn" or "transport".
func benchPost(client *http.Client, url string, body []byte) string {
	resp, err := client.Post(url, "text/xml; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		return "transport"
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "transport"
	}
	if i := bytes.Index(out, []byte("<faultcode>")); i >= 0 {
		rest := out[i+len("<faultcode>"):]
		if j := bytes.IndexByte(rest, '<'); j >= 0 {
			return string(rest[:j])
		}
	}
	if resp.StatusCode != http.StatusOK {
		return "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return ""
}

// measurement is what measure takes around a run.
type measurement struct {
	elapsed, serverCPU, genCPU time.Duration
	// machineCPU is the busy time of all cores in the run (/proc/stat):
	// less serverCPU and genCPU, what everything else on the machine did,
	// the database among it when it runs here.
	machineCPU time.Duration
	server     goCounters // the server's allocations and GC cycles in the run
}

// measure wraps a run in the server's and this process's CPU clocks and
// the server's Go counters.
func measure(srv *benchCluster, run func() (time.Duration, error)) (m measurement, err error) {
	c0, err := srv.counters()
	if err != nil {
		return m, err
	}
	s0, err := srv.cpu()
	if err != nil {
		return m, err
	}
	g0, b0 := selfCPU(), machineBusy()
	if m.elapsed, err = run(); err != nil {
		return m, err
	}
	m.genCPU, m.machineCPU = selfCPU()-g0, machineBusy()-b0
	s1, err := srv.cpu()
	if err != nil {
		return m, err
	}
	m.serverCPU = s1 - s0
	c1, err := srv.counters()
	m.server = c1.sub(c0)
	return m, err
}

// closedLoop drives the server with callers that each send the next
// request as soon as the last is answered, for d. The requests are signed
// beforehand: enough for 1.5 times the best rate seen so far (at least
// 500/s), or the run stops early and says so.
func closedLoop(ctx context.Context, srv *benchCluster, s *kindSetup, ds *dataset, callers int, d time.Duration, best float64) (runResult, error) {
	reqs, err := presignRequests(s.member, ds.pins, int(max(best, 500)*1.5*d.Seconds())+callers)
	if err != nil {
		return runResult{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: callers, MaxConnsPerHost: callers, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var (
		c      collector
		next   atomic.Int64
		ranOut atomic.Bool
	)
	m, err := measure(srv, func() (time.Duration, error) {
		start := time.Now()
		deadline := start.Add(d)
		var wg sync.WaitGroup
		for caller := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				url := srv.url(caller)
				for time.Now().Before(deadline) && ctx.Err() == nil {
					i := next.Add(1) - 1
					if i >= int64(len(reqs)) {
						ranOut.Store(true)
						return
					}
					t0 := time.Now()
					code := benchPost(client, url, reqs[i])
					c.add(code, time.Since(t0))
				}
			}()
		}
		wg.Wait()
		return time.Since(start), ctx.Err()
	})
	return runResult{label: strconv.Itoa(callers), ok: c.ok, latencies: c.latencies, refusals: c.refusals, errors: c.errors,
		measurement: m, ranOut: ranOut.Load()}, err
}

// maxOutstanding bounds the open-loop run's requests in flight; a request
// due beyond it is counted as "generator: dropped", not sent.
const maxOutstanding = 4096

// openLoop offers rate requests per second for d, each sent at its due
// time whether or not earlier ones were answered, as independent callers
// would. Latency counts from the due time, so a generator that falls
// behind does not hide queueing.
func openLoop(ctx context.Context, srv *benchCluster, s *kindSetup, ds *dataset, rate float64, d time.Duration) (runResult, error) {
	n := int(rate * d.Seconds())
	reqs, err := presignRequests(s.member, ds.pins, n)
	if err != nil {
		return runResult{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxOutstanding, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var c collector
	m, err := measure(srv, func() (time.Duration, error) {
		start := time.Now()
		interval := time.Duration(float64(time.Second) / rate)
		sem := make(chan struct{}, maxOutstanding)
		var wg sync.WaitGroup
		for i := 0; i < n && ctx.Err() == nil; i++ {
			due := start.Add(time.Duration(i) * interval)
			if wait := time.Until(due); wait > 0 {
				time.Sleep(wait)
			}
			select {
			case sem <- struct{}{}:
			default:
				c.add("generator: dropped", 0)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				code := benchPost(client, srv.url(i), reqs[i])
				c.add(code, time.Since(due))
				<-sem
			}()
		}
		wg.Wait()
		return time.Since(start), ctx.Err()
	})
	return runResult{label: "2x open loop", ok: c.ok, latencies: c.latencies, refusals: c.refusals, errors: c.errors,
		measurement: m, offered: rate}, err
}

// warmUp sends requests from 16 callers for d to fill the server's
// caches, and returns the rate it saw, which only sizes the next run.
func warmUp(ctx context.Context, srv *benchCluster, s *kindSetup, ds *dataset, d time.Duration) (float64, error) {
	r, err := closedLoop(ctx, srv, s, ds, 16, d, 0)
	if err != nil {
		return 0, err
	}
	if r.ok == 0 {
		return 0, fmt.Errorf("warm-up: no request answered: %s", errorSummary(r.errors))
	}
	return r.rate(), nil
}

// machineBusy is the time all cores have spent busy since boot: the first
// line of /proc/stat (proc(5)), every field but idle and iowait, in clock
// ticks of 1/100 s. Zero if it cannot be read.
func machineBusy() time.Duration {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0
	}
	var ticks int64
	// user nice system idle iowait irq softirq steal (guest time is
	// already in user and nice)
	for i, f := range fields[1:min(len(fields), 9)] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	const userHZ = 100
	return time.Duration(ticks) * time.Second / userHZ
}
