package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/darbaza/darbaza/signing"
)

const benchUsage = `Usage: darbaza bench [--people N] [--duration D] [--callers 1,16,64] [--keys ecdsa-p256,rsa-2048] [--dir DIR [--reuse]]
                    [--postgres DSN --postgres-password-file FILE [--nodes 1,2]]

Measures the signed request path from outside, as a caller sees it:

 1. generates the demo dataset with N people and imports it with 'darbaza
    import' (a separate process), timing the import;
 2. for each key type, makes an adapter key and a member key of that type and
    starts 'darbaza serve' as a separate process with full signing and the
    durable access log;
 3. before each run, signs unique getPerson requests with the member key
    (fresh xrd:id, a PIN drawn from the dataset, a fresh Timestamp), outside
    the measured time;
 4. drives the server over HTTP/1.1 keep-alive with each number of callers for
    D, then once open-loop at twice the best rate it sustained (the overload
    run: what is refused, how, and how fast);
 5. measures, in the same process on the same machine, the raw cryptography
    each request needs: one verification with the member key and one
    signature with the adapter key.

With --postgres the registry and the access log are in PostgreSQL (storage:
postgres, docs/postgres.md): the bench creates a fresh schema in the database
of DSN (a postgres:// URL without the password, which is read from FILE, as a
config takes it), migrates it and imports the dataset with 'darbaza import
--config', and drops the schema when it ends. Each key type is then measured
with each number of nodes in --nodes: that many 'darbaza serve' processes on
the one schema, with the same keys, each caller (and each open-loop request
in turn) sending to one of them, so the load is split evenly.

It prints one table: requests/s, latency percentiles, errors by fault code,
the server's CPU time per request from its own rusage (/proc/PID/stat), that
CPU time over the raw crypto cost, and the load generator's own CPU time per
request and share of the machine (it shares the cores). Then the import speed
and the server's peak RSS. Linux only (/proc).

Flags:
`

// benchConfig is what one bench invocation measures.
type benchConfig struct {
	people   int
	duration time.Duration
	callers  []int
	keys     []string
	dir      string // work folder; kept when given, else a temporary one
	reuse    bool   // take dir's dataset and registry from an earlier run
	overload bool
	profile  string // folder for the server's CPU and allocation profiles; "" for none
	self     string // the darbaza binary to run import and serve with
	// postgres is the DSN of --postgres, "" for the bbolt file; its
	// password is in pgPassword. schema is the run's own schema in it.
	postgres, pgPassword string
	schema               *benchSchema
	nodes                []int // serve processes sharing the database, per measurement
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("bench", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, benchUsage); fl.PrintDefaults() }
	people := fl.Int("people", 1_000_000, "persons in the generated dataset")
	duration := fl.Duration("duration", 10*time.Second, "length of each measured run")
	callers := fl.String("callers", "1,16,64", "concurrent callers of the closed-loop runs, comma-separated")
	keys := fl.String("keys", signing.KeyECDSAP256+","+signing.KeyRSA2048, "key types to measure, comma-separated")
	dir := fl.String("dir", "", "work folder (kept); default a temporary folder, removed afterwards")
	overload := fl.Bool("overload", true, "add an open-loop run at twice the best sustained rate")
	reuse := fl.Bool("reuse", false, "reuse the dataset and registry an earlier run left in --dir (no import is measured; --people is ignored)")
	profile := fl.String("profile", "", "write the server's CPU and allocation profiles (pprof) of each key type into this folder")
	pgDSN := fl.String("postgres", "", "measure storage: postgres in a fresh schema of this database (a postgres:// URL without the password)")
	pgPassword := fl.String("postgres-password-file", "", "the file whose first line is the --postgres password")
	nodes := fl.String("nodes", "", "with --postgres: numbers of serve processes on the one database, comma-separated (default 1,2)")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	cfg := benchConfig{people: *people, duration: *duration, dir: *dir, reuse: *reuse, overload: *overload, profile: *profile,
		postgres: *pgDSN, nodes: []int{1}}
	var err error
	if cfg.callers, err = parseInts(*callers); err != nil || fl.NArg() != 0 || cfg.people < 1 || cfg.duration <= 0 || (cfg.reuse && cfg.dir == "") {
		fl.Usage()
		return 2
	}
	if cfg.postgres != "" {
		if *pgPassword == "" || cfg.reuse {
			fmt.Fprintln(stderr, "darbaza bench: --postgres needs --postgres-password-file and cannot --reuse")
			return 2
		}
		if cfg.pgPassword, err = filepath.Abs(*pgPassword); err != nil {
			fmt.Fprintln(stderr, "darbaza bench:", err)
			return 1
		}
		cfg.nodes = []int{1, 2}
	}
	if *nodes != "" {
		if cfg.nodes, err = parseInts(*nodes); err != nil || (cfg.postgres == "" && slices.Max(cfg.nodes) > 1) {
			fmt.Fprintln(stderr, "darbaza bench: --nodes: more than one node needs --postgres (a bbolt file has one server)")
			return 2
		}
	}
	for k := range strings.SplitSeq(*keys, ",") {
		if k != signing.KeyECDSAP256 && k != signing.KeyRSA2048 {
			fmt.Fprintf(stderr, "darbaza bench: unknown key type %q\n", k)
			return 2
		}
		cfg.keys = append(cfg.keys, k)
	}
	if cfg.self, err = os.Executable(); err != nil {
		fmt.Fprintln(stderr, "darbaza bench:", err)
		return 1
	}
	if cfg.dir != "" {
		if err := os.MkdirAll(cfg.dir, 0o755); err != nil {
			fmt.Fprintln(stderr, "darbaza bench:", err)
			return 1
		}
	} else {
		tmp, err := os.MkdirTemp("", "darbaza-bench")
		if err != nil {
			fmt.Fprintln(stderr, "darbaza bench:", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		cfg.dir = tmp
	}
	if cfg.postgres != "" {
		if cfg.schema, err = createBenchSchema(ctx, cfg.postgres, cfg.pgPassword); err != nil {
			fmt.Fprintln(stderr, "darbaza bench:", err)
			return 1
		}
	}
	err = bench(ctx, cfg, stdout, stderr)
	if cfg.schema != nil {
		err = errors.Join(err, cfg.schema.drop())
	}
	if err != nil {
		fmt.Fprintln(stderr, "darbaza bench:", err)
		return 1
	}
	return 0
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// bench runs every measurement of cfg and prints the table.
func bench(ctx context.Context, cfg benchConfig, stdout, stderr io.Writer) error {
	if cfg.profile != "" {
		if err := os.MkdirAll(cfg.profile, 0o755); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "darbaza bench: %d people, %v per run, callers %v\n", cfg.people, cfg.duration, cfg.callers)
	if cfg.schema != nil {
		fmt.Fprintf(stdout, "storage: postgres, schema %s (dropped at the end), nodes %v\n", cfg.schema.name, cfg.nodes)
	} else {
		fmt.Fprintln(stdout, "storage: bolt")
	}
	fmt.Fprintf(stdout, "machine: %s; %d cores (GOMAXPROCS %d); kernel %s; %s %s/%s\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), kernelRelease(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	ds, err := prepareDataset(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	var results []runResult
	var rss []string
	for _, kind := range cfg.keys {
		setup, err := prepareKind(cfg, ds, kind)
		if err != nil {
			printTable(stdout, results)
			return fmt.Errorf("%s: %w", kind, err)
		}
		prior := 0.0 // the best rate of this key type so far, to size the next measurement's requests
		for _, nodes := range cfg.nodes {
			res, mem, err := benchKind(ctx, cfg, ds, setup, kind, nodes, prior, stderr)
			for _, r := range res {
				prior = max(prior, r.rate())
			}
			results = append(results, res...)
			rss = append(rss, memoryLine(cfg, kind, nodes, mem))
			if err != nil {
				printTable(stdout, results)
				return fmt.Errorf("%s, %s: %w", kind, nodesText(nodes), err)
			}
		}
	}
	printTable(stdout, results)
	store := "registry.db"
	if cfg.schema != nil {
		store = "database schema"
	}
	if cfg.reuse {
		fmt.Fprintf(stdout, "\nimport: not measured (--reuse): %d lines (%d persons); %s %d MB\n", ds.lines, ds.persons, store, ds.dbSize>>20)
	} else {
		fmt.Fprintf(stdout, "\nimport: %d lines (%d persons) in %.1fs: %.0f records/s; %s %d MB\n",
			ds.lines, ds.persons, ds.importTime.Seconds(), float64(ds.lines)/ds.importTime.Seconds(), store, ds.dbSize>>20)
	}
	for _, line := range rss {
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintln(stdout, `
req/s and latencies count answers (no fault); the errors column counts the
rest by fault code. server CPU/req: the server process's user+system CPU
time (its own rusage, /proc/PID/stat) over the run, per request answered or
refused. crypto/req: one verification with the member key plus one signature
with the adapter key, timed in this process just before the runs. gen
CPU/req: this load generator's own CPU time per request, and its share of all
cores' time during the run. other CPU/req: the rest of the cores' busy time
(/proc/stat) in the run, less the server's and the generator's: the
database when it runs on this machine (--postgres), the kernel's network
work for the loopback connections and any other process. server allocs/req, KB/req, GCs/1k req: the
server's heap allocations and GC cycles (its Go collector on /metrics; they
include the few /metrics scrapes), which do not move with the machine's load.
log records/commit: access-log records per group commit (one fsync each).
nodes: serve processes sharing the load (and, with --postgres, the
database); the server columns are their sums.`)
	return nil
}

// memoryLine reports the servers' memory after one measurement: after the
// closed-loop runs (the sustainable load) and, if there was one, after the
// overload run, whose thousands of open connections each hold buffers and
// a goroutine stack.
func memoryLine(cfg benchConfig, kind string, nodes int, m memories) string {
	show := func(m memory) string {
		return fmt.Sprintf("%d MB (now %d MB anonymous: heap, stacks; %d MB file-backed: the mmapped registry and log, which the kernel may drop)",
			m.peak>>20, m.anon>>20, m.file>>20)
	}
	what := kind + ", dataset loaded"
	if cfg.schema != nil {
		what = kind + ", " + nodesText(nodes) + ", the largest node"
	}
	line := fmt.Sprintf("server peak RSS (%s): through the closed-loop runs %s", what, show(m.sustained))
	if m.overload != nil {
		line += "; after the 2x open-loop run " + show(*m.overload)
	}
	return line
}

// memories is a server's memory after the closed-loop runs, and after the
// overload run if there was one.
type memories struct {
	sustained memory
	overload  *memory
}

// benchKind measures one key type with the given number of nodes: servers
// of their own, the crypto cost, the closed-loop runs and the overload run.
// It returns the servers' memory after them (the largest node's). prior is
// the best rate measured before with fewer nodes, which sizes the
// pre-signed requests together with the warm-up's.
func benchKind(ctx context.Context, cfg benchConfig, ds *dataset, setup *kindSetup, kind string, nodes int, prior float64, stderr io.Writer) ([]runResult, memories, error) {
	crypto, err := cryptoCost(setup)
	if err != nil {
		return nil, memories{}, err
	}
	srv, err := startBenchCluster(ctx, cfg, setup, kind, nodes, stderr)
	if err != nil {
		return nil, memories{}, err
	}
	var results []runResult
	// budget sizes each run's pre-signed requests: the best rate so far,
	// starting with the warm-up's.
	budget, runErr := warmUp(ctx, srv, setup, ds, min(2*time.Second, cfg.duration))
	budget = max(budget, prior)
	best := 0.0
	for _, c := range cfg.callers {
		if runErr != nil {
			break
		}
		r, err := closedLoop(ctx, srv, setup, ds, c, cfg.duration, budget)
		if err != nil {
			runErr = err
			break
		}
		r.kind, r.nodes, r.crypto = kind, nodes, crypto
		results = append(results, r)
		best = max(best, r.rate())
		budget = max(budget, best)
	}
	var mem memories
	var memErr error
	mem.sustained, memErr = srv.memory()
	if runErr == nil && memErr == nil && cfg.overload && best > 0 {
		r, err := openLoop(ctx, srv, setup, ds, 2*best, cfg.duration)
		if err != nil {
			runErr = err
		} else {
			r.kind, r.nodes, r.crypto = kind, nodes, crypto
			results = append(results, r)
		}
		after, err := srv.memory()
		mem.overload, memErr = &after, err
	}
	stopErr := srv.stop()
	return results, mem, errors.Join(runErr, memErr, stopErr)
}

// runResult is one row of the table.
type runResult struct {
	kind      string
	nodes     int
	label     string          // "16" callers, or "2x open" for the overload run
	ok        int             // answers without a fault
	latencies []time.Duration // of the answers
	refusals  []time.Duration // of the faults and failures
	errors    map[string]int  // fault code, "HTTP nnn" or "transport" -> count
	measurement
	crypto  time.Duration // raw verify+sign per request
	offered float64       // requests/s offered (overload run only)
	ranOut  bool          // the pre-signed requests ran out before the time
}

func (r runResult) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// done is every request that got a reply or failed.
func (r runResult) done() int {
	n := r.ok
	for _, v := range r.errors {
		n += v
	}
	return n
}

// percentile is the p-th of the sorted durations ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[int(p*float64(len(ds)-1))]
}

func printTable(w io.Writer, results []runResult) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| key | nodes | callers | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | server CPU/req | crypto/req | CPU/crypto | gen CPU/req (share) | other CPU/req | server allocs/req | server KB/req | GCs/1k req | log records/commit |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	var notes []string
	for _, r := range results {
		slices.Sort(r.latencies)
		slices.Sort(r.refusals)
		if len(r.refusals) > 0 {
			notes = append(notes, fmt.Sprintf("%s, %s, %s: %d refusals and failures answered in p50 %s ms, p99 %s ms, max %s ms",
				r.kind, nodesText(r.nodes), r.label, len(r.refusals), ms(percentile(r.refusals, 0.5)), ms(percentile(r.refusals, 0.99)), ms(percentile(r.refusals, 1))))
		}
		n := r.done()
		perReq := func(d time.Duration) string {
			if n == 0 {
				return "-"
			}
			return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/float64(n))
		}
		ratio := "-"
		if n > 0 && r.crypto > 0 {
			ratio = fmt.Sprintf("%.1fx", float64(r.serverCPU)/float64(n)/float64(r.crypto))
		}
		label := r.label
		if r.offered > 0 {
			label = fmt.Sprintf("%s (%.0f/s offered)", r.label, r.offered)
		}
		if r.ranOut {
			label += " (ran out of requests)"
		}
		share := float64(r.genCPU) / float64(r.elapsed) / float64(runtime.NumCPU()) * 100
		per := func(v float64) float64 { return v / float64(max(n, 1)) }
		other := "-"
		if r.machineCPU > 0 {
			other = perReq(max(r.machineCPU-r.serverCPU-r.genCPU, 0))
		}
		fmt.Fprintf(w, "| %s | %d | %s | %.0f | %s | %s | %s | %s | %s | %s | %.0f µs | %s | %s (%.0f%%) | %s | %.0f | %.1f | %.1f | %.1f |\n",
			r.kind, r.nodes, label, r.rate(), ms(percentile(r.latencies, 0.50)), ms(percentile(r.latencies, 0.95)),
			ms(percentile(r.latencies, 0.99)), ms(percentile(r.latencies, 1)),
			errorSummary(r.errors), perReq(r.serverCPU), float64(r.crypto.Nanoseconds())/1e3, ratio, perReq(r.genCPU), share, other,
			per(r.server.mallocs), per(r.server.bytes)/1024, per(r.server.gcs)*1000, r.server.records/max(r.server.commits, 1))
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1e3) }

func errorSummary(errs map[string]int) string {
	if len(errs) == 0 {
		return "0"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, errs[k]))
	}
	return strings.Join(parts, ", ")
}

// cpuModel is the "model name" of /proc/cpuinfo.
func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func kernelRelease() string {
	raw, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(raw))
}

// benchPath is a file in the bench's work folder.
func benchPath(cfg benchConfig, parts ...string) string {
	return filepath.Join(append([]string{cfg.dir}, parts...)...)
}

func nodesText(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}
