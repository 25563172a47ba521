package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/darbaza/darbaza/registry/demo"
	"github.com/darbaza/darbaza/signing"
)

// dataset is the imported registry the servers of every key type share.
type dataset struct {
	registry   string   // registry.db; unused with --postgres (the schema holds it)
	pins       []string // every person's PIN
	lines      int      // import lines
	persons    int
	importTime time.Duration
	dbSize     int64
}

// prepareDataset writes the demo dataset with cfg.people persons and
// imports it with 'darbaza import' in a process of its own.
//
// With --postgres it imports into the bench's schema instead, with
// 'darbaza import --config'.
//
// With cfg.reuse it takes the dataset and registry an earlier run left in
// the work folder instead, and measures no import.
func prepareDataset(ctx context.Context, cfg benchConfig, stderr io.Writer) (*dataset, error) {
	src := benchPath(cfg, "dataset.jsonl")
	if cfg.reuse {
		ds := &dataset{registry: benchPath(cfg, "registry", registryFile)}
		st, err := os.Stat(ds.registry)
		if err != nil {
			return nil, fmt.Errorf("--reuse: %w", err)
		}
		ds.dbSize = st.Size()
		return ds, ds.scan(src)
	}
	f, err := os.Create(src)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = demo.Write(w, demo.Options{Persons: cfg.people})
	err = errors.Join(err, w.Flush(), f.Close())
	if err != nil {
		return nil, fmt.Errorf("generating the dataset: %w", err)
	}
	ds := &dataset{registry: benchPath(cfg, "registry", registryFile)}
	if err := ds.scan(src); err != nil {
		return nil, err
	}
	if cfg.schema != nil {
		if ds.importTime, err = importPostgres(ctx, cfg, src, stderr); err != nil {
			return nil, err
		}
		ds.dbSize, err = cfg.schema.size(ctx)
		return ds, err
	}
	dataDir := filepath.Dir(ds.registry)
	if err := os.RemoveAll(dataDir); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, cfg.self, "import", "--data", dataDir, src)
	cmd.Stderr = stderr
	start := time.Now()
	if out, err := cmd.Output(); err != nil {
		return nil, fmt.Errorf("darbaza import: %w\n%s", err, out)
	}
	ds.importTime = time.Since(start)
	st, err := os.Stat(ds.registry)
	if err != nil {
		return nil, err
	}
	ds.dbSize = st.Size()
	return ds, nil
}

// scan counts the lines of the import file and collects the persons' PINs.
func (ds *dataset) scan(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		ds.lines++
		if !bytes.Contains(line, []byte(`"kind":"person"`)) {
			continue
		}
		var p struct {
			PIN string `json:"pin"`
		}
		if err := json.Unmarshal(line, &p); err != nil {
			return fmt.Errorf("%s:%d: %w", path, ds.lines, err)
		}
		ds.pins = append(ds.pins, p.PIN)
	}
	ds.persons = len(ds.pins)
	if err := sc.Err(); err != nil {
		return err
	}
	if ds.persons == 0 {
		return fmt.Errorf("%s: no persons", path)
	}
	return nil
}

// benchMember is the caller the bench signs as.
const benchMember = "central-server/GOV/70000099/bench"

// kindSetup is the folder of one key type: its keys, config and data
// folder (whose registry.db links to the shared one; its access log is
// its own). With --postgres it has one config and data folder per node,
// all on the bench's schema.
type kindSetup struct {
	dir     string
	configs []string        // node 1's, node 2's ...
	member  *signing.Signer // signs the requests
	server  *signing.Signer // the adapter's key, for the crypto cost
}

func prepareKind(cfg benchConfig, ds *dataset, kind string) (*kindSetup, error) {
	dir := benchPath(cfg, kind)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	if cfg.schema == nil {
		if err := os.Symlink(ds.registry, filepath.Join(data, registryFile)); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	s := &kindSetup{dir: dir}
	for _, k := range []struct {
		name, cn string
		to       **signing.Signer
	}{{"adapter", "central-server/GOV/70000001/population-registry", &s.server}, {"member", benchMember, &s.member}} {
		key, crt := filepath.Join(dir, k.name+".key"), filepath.Join(dir, k.name+".crt")
		if _, err := writeKeyPair(key, crt, kind, k.cn, 24*time.Hour, now.Add(-time.Hour)); err != nil {
			return nil, err
		}
		signer, err := loadSigner(key, crt)
		if err != nil {
			return nil, err
		}
		*k.to = signer
	}
	conf := fmt.Sprintf(`# darbaza bench: full signing, durable access log, defaults otherwise.
listen: "127.0.0.1:0"
data_dir: data
signing:
  key: adapter.key
  cert: adapter.crt
members:
  - id: %s
    certificates: [member.crt]
    services: [getPerson]
`, benchMember)
	if cfg.schema != nil {
		var err error
		s.configs, err = nodeConfigs(cfg, dir, conf)
		return s, err
	}
	s.configs = []string{filepath.Join(dir, "darbaza.yaml")}
	return s, os.WriteFile(s.configs[0], []byte(conf), 0o600)
}

// cryptoCost is the raw cryptography of one request, timed on this
// thread's CPU clock: verifying one signature of the member key and making
// one with the adapter key, over a SHA-256 digest, for about a second.
func cryptoCost(s *kindSetup) (time.Duration, error) {
	digest := sha256.Sum256([]byte("SignedInfo"))
	sig, err := s.member.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return 0, err
	}
	verify := func() error {
		switch pub := s.member.Key.Public().(type) {
		case *ecdsa.PublicKey:
			if !ecdsa.VerifyASN1(pub, digest[:], sig) {
				return errors.New("ECDSA verification failed")
			}
		case *rsa.PublicKey:
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
		}
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range 20 { // warm up
		if err := verify(); err != nil {
			return 0, err
		}
	}
	start, n := threadCPU(), 0
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); n++ {
		if err := verify(); err != nil {
			return 0, err
		}
		if _, err := s.server.Key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			return 0, err
		}
	}
	return (threadCPU() - start) / time.Duration(n), nil
}

// rusageThread is RUSAGE_THREAD (Linux): the calling thread's usage.
const rusageThread = 1

func threadCPU() time.Duration { return rusageCPU(rusageThread) }

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration { return rusageCPU(syscall.RUSAGE_SELF) }

func rusageCPU(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var benchServingRe = regexp.MustCompile(`serving on (\S+)`)

// benchServer is a running 'darbaza serve' of the bench.
type benchServer struct {
	url  string
	cmd  *exec.Cmd
	done chan error
}

// benchCluster is the servers of one measurement: one, or with --postgres
// several on one database, among which the load is split.
type benchCluster struct {
	nodes []*benchServer
}

// startBenchCluster starts the first n nodes of the setup and waits until
// each serves. Their logs go to DIR/KIND/server.log (one node on a bbolt
// file) or DIR/KIND/server-<n>nodes-<i>.log.
func startBenchCluster(ctx context.Context, cfg benchConfig, s *kindSetup, kind string, n int, stderr io.Writer) (*benchCluster, error) {
	c := &benchCluster{}
	for i, conf := range s.configs[:n] {
		name := kind
		if cfg.schema != nil {
			name = fmt.Sprintf("%s-%dnodes-%d", kind, n, i+1)
		}
		logName := "server.log"
		if cfg.schema != nil {
			logName = fmt.Sprintf("server-%dnodes-%d.log", n, i+1)
		}
		srv, err := startBenchServer(ctx, cfg, conf, filepath.Join(s.dir, logName), name)
		if err != nil {
			return nil, errors.Join(err, c.stop())
		}
		c.nodes = append(c.nodes, srv)
	}
	return c, nil
}

// url is the node the i-th caller or request goes to.
func (c *benchCluster) url(i int) string { return c.nodes[i%len(c.nodes)].url }

// cpu is the nodes' CPU time so far, summed.
func (c *benchCluster) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, n := range c.nodes {
		t, err := n.cpu()
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

// counters are the nodes' Go and access-log counters, summed.
func (c *benchCluster) counters() (goCounters, error) {
	var sum goCounters
	for _, n := range c.nodes {
		g, err := n.counters()
		if err != nil {
			return goCounters{}, err
		}
		sum = sum.add(g)
	}
	return sum, nil
}

// memory is the memory of the node with the largest peak.
func (c *benchCluster) memory() (memory, error) {
	var top memory
	for _, n := range c.nodes {
		m, err := n.memory()
		if err != nil {
			return memory{}, err
		}
		if m.peak > top.peak {
			top = m
		}
	}
	return top, nil
}

// stop stops every node.
func (c *benchCluster) stop() error {
	var err error
	for _, n := range c.nodes {
		err = errors.Join(err, n.stop())
	}
	return err
}

// startBenchServer starts 'darbaza serve' on config and waits until it
// serves, its log going to logPath; name names its profiles.
func startBenchServer(ctx context.Context, cfg benchConfig, config, logPath, name string) (*benchServer, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	srv := &benchServer{done: make(chan error, 1)}
	srv.cmd = exec.Command(cfg.self, "serve", "--config", config)
	srv.cmd.Stderr = logFile
	srv.cmd.Env = os.Environ()
	if cfg.profile != "" {
		srv.cmd.Env = append(srv.cmd.Env,
			cpuProfileEnv+"="+filepath.Join(cfg.profile, "cpu-"+name+".pprof"),
			allocProfileEnv+"="+filepath.Join(cfg.profile, "allocs-"+name+".pprof"))
	}
	stdout, err := srv.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := srv.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { srv.done <- srv.cmd.Wait() }()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := benchServingRe.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case srv.url = <-urls:
		return srv, nil
	case err := <-srv.done:
		return nil, fmt.Errorf("darbaza serve exited before serving (%v); see %s", err, logFile.Name())
	case <-time.After(5 * time.Minute):
		_ = srv.cmd.Process.Kill()
		return nil, fmt.Errorf("darbaza serve did not serve within 5 minutes; see %s", logFile.Name())
	case <-ctx.Done():
		_ = srv.cmd.Process.Kill()
		return nil, ctx.Err()
	}
}

// stop ends the server with SIGTERM, as an operator would.
func (s *benchServer) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		return errors.New("darbaza serve did not stop within a minute of SIGTERM")
	}
}

// cpu is the server's user+system CPU time so far, from /proc/PID/stat
// (the process's own rusage, in clock ticks of 1/100 s).
func (s *benchServer) cpu() (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses: state is
	// field 3, utime 14 and stime 15 (proc(5)).
	i := bytes.LastIndexByte(raw, ')')
	fields := strings.Fields(string(raw[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", s.cmd.Process.Pid)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	const userHZ = 100 // USER_HZ, fixed on Linux for /proc
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// memory is the server's resident memory as /proc/PID/status shows it.
type memory struct {
	peak int64 // VmHWM: the peak resident set, file-backed pages included
	anon int64 // RssAnon now: heap, stacks; what the process itself holds
	file int64 // RssFile now: mapped file pages, mostly the mmapped registry, which the kernel can drop
}

func (s *benchServer) memory() (memory, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	found := 0
	for line := range strings.SplitSeq(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		var to *int64
		switch {
		case !ok:
		case k == "VmHWM":
			to = &m.peak
		case k == "RssAnon":
			to = &m.anon
		case k == "RssFile":
			to = &m.file
		}
		if to != nil {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return memory{}, fmt.Errorf("/proc/PID/status %s: %w", k, err)
			}
			*to = kb << 10
			found++
		}
	}
	if found != 3 {
		return memory{}, errors.New("/proc/PID/status lacks VmHWM, RssAnon or RssFile")
	}
	return m, nil
}

// goCounters are the server's own allocation and GC counters, from the
// Go collector on its /metrics: unlike times, they do not move with the
// machine's load.
type goCounters struct {
	mallocs, bytes, gcs float64
	commits, records    float64 // access-log group commits and the records they wrote
}

func (a goCounters) add(b goCounters) goCounters {
	return goCounters{a.mallocs + b.mallocs, a.bytes + b.bytes, a.gcs + b.gcs, a.commits + b.commits, a.records + b.records}
}

func (a goCounters) sub(b goCounters) goCounters {
	return goCounters{a.mallocs - b.mallocs, a.bytes - b.bytes, a.gcs - b.gcs, a.commits - b.commits, a.records - b.records}
}

func (s *benchServer) counters() (goCounters, error) {
	resp, err := http.Get(s.url + "metrics")
	if err != nil {
		return goCounters{}, err
	}
	defer resp.Body.Close()
	var c goCounters
	found := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		var to *float64
		switch {
		case !ok:
		case name == "go_memstats_mallocs_total":
			to = &c.mallocs
		case name == "go_memstats_alloc_bytes_total":
			to = &c.bytes
		case name == "go_gc_duration_seconds_count":
			to = &c.gcs
		case name == "darbaza_accesslog_commit_batch_records_count":
			to = &c.commits
		case name == "darbaza_accesslog_commit_batch_records_sum":
			to = &c.records
		}
		if to != nil {
			if *to, err = strconv.ParseFloat(value, 64); err != nil {
				return goCounters{}, fmt.Errorf("/metrics %s: %w", name, err)
			}
			found++
		}
	}
	if err := sc.Err(); err != nil {
		return goCounters{}, err
	}
	if found != 5 {
		return goCounters{}, errors.New("/metrics lacks the Go collector's malloc, byte and GC counters or the access log's commit batches")
	}
	return c, nil
}
