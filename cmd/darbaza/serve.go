package main

import (
	"cmp"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/darbaza/darbaza/adapter"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/adapter/accesslog/pglog"
	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/adapter/pgreplay"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
	"github.com/darbaza/darbaza/registry/demo"
	"github.com/darbaza/darbaza/registry/pgstore"
	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

const serveUsage = `Usage: darbaza serve [--config FILE | --demo [--demo-dir DIR]] [--listen ADDR] [--check-config]

Runs the SOAP server: POST / (X-Road 4.0 queries), GET /?wsdl, GET /metrics,
GET /healthz, GET /readyz. SIGTERM or Ctrl-C drain requests in flight, write a
signed access-log checkpoint and close the stores.

With --demo, DIR (default ./demo) is prepared on first start: adapter and
member keys, a commented config DIR/darbaza.yaml, and the demo dataset, which
is loaded into the empty registry. Later starts reuse all of it.

With --check-config, the config is checked as serving would use it (keys,
certificates, members' services, TLS) and serve exits: 0 if it is good.

Flags:
`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, serveUsage); fl.PrintDefaults() }
	configPath := fl.String("config", "darbaza.yaml", "configuration file (YAML)")
	demoMode := fl.Bool("demo", false, "prepare and use a demo setup in --demo-dir")
	demoDir := fl.String("demo-dir", "demo", "folder of the demo setup")
	listen := fl.String("listen", "", "address to listen on, overriding the config (port 0 picks a free port)")
	onlyCheck := fl.Bool("check-config", false, "check the config, its keys and certificates, then exit without serving")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "darbaza serve: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	if *demoMode {
		path, err := prepareDemo(*demoDir, stdout)
		if err != nil {
			fmt.Fprintln(stderr, "darbaza serve: demo setup:", err)
			return 1
		}
		*configPath = path
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza serve:", err)
		return 1
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *onlyCheck {
		if err := checkConfig(cfg, stdout); err != nil {
			fmt.Fprintln(stderr, "darbaza serve: --check-config:", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: good\n", *configPath)
		return 0
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	srv, err := newServer(ctx, cfg, logger)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza serve:", err)
		return 1
	}
	if *demoMode {
		srv.onServing = func(url string) { printDemoHint(stdout, *demoDir, url) }
	}
	setGCPercent(os.Getenv("GOGC"))
	stopProfiles, err := startProfiles()
	if err != nil {
		fmt.Fprintln(stderr, "darbaza serve:", err)
		return 1
	}
	err = srv.run(ctx, stdout)
	if perr := stopProfiles(); perr != nil {
		logger.Error("writing the profiles failed", "err", perr)
	}
	if err != nil {
		logger.Error("server stopped with an error", "err", err)
		return 1
	}
	return 0
}

// serveGCPercent is the GC target 'darbaza serve' runs with unless GOGC
// is set. The live heap is about 12 MB under load (the registry is
// mmapped, not on the heap) while each request allocates about 110 KB, so
// at Go's default of 100 the collector runs every few hundred requests; at
// 200 it runs 3 times per 1,000 requests at 64 callers, for no CPU per
// request that 'darbaza bench' can tell from 400's, and the server's
// resident memory through the closed-loop runs is 274 MB instead of 314
// (docs/benchmarks.md, "Import and memory").
const serveGCPercent = 200

func setGCPercent(env string) {
	if env == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

func exitUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// server is a composed Darbaza: stores, keys, pipeline and HTTP server.
type server struct {
	cfg      config.Config
	data     dataDir
	logger   *slog.Logger
	registry *registry.Registry
	access   *accesslog.Log
	witness  *witness.Sender // nil without access_log.witnesses
	pg       *pgxpool.Pool   // storage: postgres only
	http     *http.Server
	admin    *http.Server   // backups, on a Unix socket in the data folder
	console  *consoleServer // the auditors' console; nil when no auditor is configured
	stopping atomic.Bool
	// onServing, if set, is told the URL once the server listens.
	onServing func(url string)
}

// serverKeys are the secrets a server starts with.
type serverKeys struct {
	signer  crypto.Signer     // the adapter key: signs responses
	cert    *x509.Certificate // its certificate, sent in every response
	subject []byte            // the access log's HMAC key for data subjects
	// The key that signs the access log's checkpoints and its
	// certificate: access_log.checkpoint_key, else the adapter key.
	checkpoint     crypto.Signer
	checkpointCert *x509.Certificate
}

// newServer wires everything from cfg. It is the one place dependencies
// are built, in this order: keys, stores, trust, pipeline, listeners. On
// error, whatever it opened is closed again.
func newServer(ctx context.Context, cfg config.Config, logger *slog.Logger) (s *server, err error) {
	s = &server{cfg: cfg, data: dataDir(cfg.DataDir), logger: logger}
	opened := s // s is nil once an error is returned
	defer func() {
		if err != nil {
			opened.closeStores()
		}
	}()
	keys, err := loadServerKeys(s.data, cfg.Signing, logger)
	if err != nil {
		return nil, err
	}
	if keys.checkpoint, keys.checkpointCert, err = loadCheckpointKey(cfg.AccessLog, keys.signer, keys.cert); err != nil {
		return nil, err
	}
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newBuildInfoMetric(build()))
	if cfg.Storage == "postgres" {
		if s.pg, err = openPostgres(ctx, cfg.Postgres, logger); err != nil {
			return nil, err
		}
		if err := agreeOnKeys(ctx, s.pg, s.data, keys); err != nil {
			return nil, err
		}
	}
	hague, _ := cfg.Apostille.Hague() // validated by config.Load
	if s.registry, err = openRegistry(ctx, s.data, s.pg, cfg.Demo, cfg.Registration, hague, logger); err != nil {
		return nil, err
	}
	if s.access, err = openAccessLog(s.data, s.pg, keys, cfg, metrics, logger); err != nil {
		return nil, err
	}
	if s.witness, err = newWitnessSender(cfg, s.access, keys.checkpoint, metrics, logger); err != nil {
		return nil, err
	}
	proxies, proxyPool, err := loadProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	handler, err := s.newHandler(ctx, keys, proxies, metrics)
	if err != nil {
		return nil, err
	}
	if s.http, err = s.newHTTPServer(handler, metrics, proxyPool); err != nil {
		return nil, err
	}
	s.admin = &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: s.http.ErrorLog}
	if s.console, err = newConsoleServer(cfg.Console, s.access, keys.checkpointCert, s.witness, logger); err != nil {
		return nil, err
	}
	return s, nil
}

// closeStores closes whichever stores are open.
func (s *server) closeStores() error {
	var err error
	if s.access != nil {
		err = s.access.Close()
	}
	if s.registry != nil {
		err = errors.Join(err, s.registry.Close())
	}
	if s.pg != nil {
		s.pg.Close()
	}
	return err
}

// loadServerKeys loads the adapter's key pair (from the config, else the
// data folder) and the subject HMAC key, creating the latter on first start.
func loadServerKeys(data dataDir, cfg config.Signing, logger *slog.Logger) (serverKeys, error) {
	if err := os.MkdirAll(data.KeysDir(), 0o700); err != nil {
		return serverKeys{}, err
	}
	signer, cert, err := loadKeyPair(cmp.Or(cfg.Key, data.AdapterKeyPath()), cmp.Or(cfg.Cert, data.AdapterCertPath()))
	if err != nil {
		return serverKeys{}, fmt.Errorf("adapter key: %w (make one with: darbaza keygen --out %s --name adapter)", err, data.KeysDir())
	}
	created, err := createSubjectKey(data.SubjectKeyPath())
	if err != nil {
		return serverKeys{}, err
	}
	if created {
		logger.Info("created the access log's subject HMAC key; back it up with the adapter key", "path", data.SubjectKeyPath())
	}
	subject, err := loadSubjectKey(data.SubjectKeyPath())
	if err != nil {
		return serverKeys{}, err
	}
	return serverKeys{signer: signer, cert: cert, subject: subject}, nil
}

// openRegistry opens the registry store (in pg if not nil, else the bbolt
// file), with the application rules of apps and the apostille register's
// Hague list, loading the demo dataset into it when demo is set and it is
// empty.
func openRegistry(ctx context.Context, data dataDir, pg *pgxpool.Pool, demo bool, apps config.Registration, hague registry.HagueList, logger *slog.Logger) (*registry.Registry, error) {
	// On PostgreSQL a write holds the access log's lock (JoinLog) and
	// its record must join its transaction: newHandler sets
	// adapter.Options.JoinLog whenever pg is set. (A write holding the
	// lock whose record went to the group commit would wait for itself.)
	var rs registry.Store = pgstore.New(pg).JoinLog()
	if pg == nil {
		file, err := boltstore.Open(data.RegistryPath(), boltstore.Options{})
		if err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
		rs = file
	}
	calendar, err := registry.NewCalendar(apps.Holidays) // checked by config.Validate
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%w: registration.holidays: %w", config.ErrInvalid, err), rs.Close())
	}
	hooked, arm, err := crashBeforeCommit(rs, os.Getenv(crashAtEnv))
	if err != nil {
		return nil, errors.Join(err, rs.Close())
	}
	store := registry.New(hooked, registry.Options{
		Applications: registry.ApplicationRules{ConfirmWithin: time.Duration(apps.ConfirmWithin), Calendar: calendar},
		Calendar:     calendar,
		Hague:        hague,
	})
	if demo {
		if err := loadDemo(ctx, store, logger); err != nil {
			return nil, errors.Join(err, store.Close())
		}
	}
	arm()
	return store, nil
}

// openAccessLog opens the access log for writing, its checkpoints signed
// with the checkpoint key: in pg if not nil (recovering by itself when the
// database comes back), else in the bbolt file.
func openAccessLog(data dataDir, pg *pgxpool.Pool, keys serverKeys, cfg config.Config, metrics prometheus.Registerer, logger *slog.Logger) (*accesslog.Log, error) {
	opts := accesslog.Options{
		Path:               data.AccessLogPath(),
		Signer:             keys.checkpoint,
		Certificate:        keys.checkpointCert,
		SubjectKey:         keys.subject,
		CheckpointInterval: time.Duration(cfg.AccessLog.CheckpointInterval),
		Registerer:         metrics,
		Logger:             logger,
	}
	if pg != nil {
		opts.Path, opts.Backend, opts.Recover = "", pglog.New(pg), time.Duration(cfg.Postgres.Recover)
	}
	log, err := accesslog.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	return log, nil
}

// loadTrust binds each member's certificates to its identifier and returns
// what each member may call. A service a member is granted must be one the
// adapter knows.
func loadTrust(members []config.Member, known func(code string) bool) (*signing.TrustStore, map[string][]string, error) {
	rights := map[string][]string{}
	trust := signing.NewTrustStore()
	for i, m := range members {
		for _, code := range m.Services {
			if !known(code) {
				return nil, nil, fmt.Errorf("%w: members[%d].services: %s is not a service of this adapter", config.ErrInvalid, i, code)
			}
		}
		rights[m.ID] = m.Services
		for j, path := range m.Certificates {
			certs, err := signing.LoadCertificates(path)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: members[%d].certificates[%d]: %w", config.ErrInvalid, i, j, err)
			}
			for _, c := range certs {
				trust.Add(m.ID, c, m.LegacySHA1)
			}
		}
	}
	return trust, rights, nil
}

// catalogSources are what the services answer from. checkConfig builds
// the catalogue with none, only to know the service codes.
type catalogSources struct {
	registry  adapter.Registry
	history   adapter.History
	documents adapter.Documents
	limit     *adapter.LookupLimiter
}

// newCatalog is the one list of every service this adapter offers.
func newCatalog(src catalogSources) *adapter.Catalog {
	return adapter.NewCatalog(slices.Concat(
		adapter.RegistryServices(src.registry, src.history, time.Now),
		adapter.DocumentServices(src.documents, src.limit, time.Now),
	)...)
}

// newHandler builds the request pipeline over the open stores: the service
// catalogue, the members' rights and certificates, the replay cache (refilled
// from the access log) and the adapter's signer.
func (s *server) newHandler(ctx context.Context, keys serverKeys, proxies map[string]bool, metrics prometheus.Registerer) (http.Handler, error) {
	cfg := s.cfg
	provider, _ := soap.ParseClientID(cfg.Provider) // validated by config.Load
	office, err := newOffice(cfg, s.registry, keys.signer, keys.cert)
	if err != nil {
		return nil, err
	}
	limit := adapter.NewLookupLimiter(cfg.Documents.MaxFailedLookups, time.Duration(cfg.Documents.FailedLookupWindow))
	catalog := newCatalog(catalogSources{registry: s.registry, history: s.access, documents: office, limit: limit})
	trust, rights, err := loadTrust(cfg.Members, catalog.Known)
	if err != nil {
		return nil, err
	}
	members := adapter.NewMembers(rights)

	window := time.Duration(cfg.Signing.MaxAge + 2*cfg.Signing.MaxClockSkew)
	var replay adapter.Replayer
	if s.pg != nil {
		replay = pgreplay.New(s.pg, window) // shared by every node, durable
	} else {
		cache := adapter.NewReplayCache(window)
		if err := seedReplay(ctx, s.access, cache, time.Now()); err != nil {
			return nil, fmt.Errorf("replay cache from the access log: %w", err)
		}
		replay = cache
	}
	var log adapter.AccessLog = s.access
	if s.witness != nil && cfg.AccessLog.RefuseUnwitnessed {
		log = witnessGate{Log: s.access, sender: s.witness}
	}
	var join func(registry.Tx) logstore.Committer
	if s.pg != nil {
		// The registry and the log share the database: a write's record
		// commits in the write's transaction (pgstore's JoinLog holds
		// the log's lock for it).
		backend := pglog.New(s.pg)
		join = func(tx registry.Tx) logstore.Committer {
			if q := pgstore.Tx(tx); q != nil {
				return backend.In(q)
			}
			return nil
		}
	}
	return adapter.New(adapter.Options{
		Provider: provider,
		Limits:   soap.Limits{MaxBytes: cfg.Limits.MaxBodyBytes, MaxDepth: cfg.Limits.MaxDepth, MaxElements: cfg.Limits.MaxElements},
		Catalog:  catalog,
		Members:  members,
		Log:      log,
		Verifier: &signing.Policy{
			Trust:         trust,
			MaxSkew:       time.Duration(cfg.Signing.MaxClockSkew),
			MaxAge:        time.Duration(cfg.Signing.MaxAge),
			MaxReferences: cfg.Limits.MaxReferences,
		},
		Signer:         &signing.Signer{Key: keys.signer, Certificate: keys.cert, TTL: time.Duration(cfg.Signing.ResponseTTL)},
		TrustedProxies: proxies,
		Replay:         replay,
		JoinLog:        join,
		Metrics:        adapter.NewMetrics(metrics, catalog.Known),
		MaxInFlight:    cfg.Limits.MaxInFlight,
		MaxQueued:      cfg.Limits.MaxQueued,
		QueueWait:      time.Duration(cfg.Limits.MaxQueueWait),
		BodyTimeout:    time.Duration(cfg.Limits.BodyTimeout),
		MinBodyRate:    cfg.Limits.MinBodyRate,
		Logger:         s.logger,
	}), nil
}

// newHTTPServer routes the SOAP endpoint, metrics and health checks, with
// TLS when the config names a server certificate. Client certificates are
// checked against tls.client_ca, else against the trusted proxies' own.
func (s *server) newHTTPServer(handler http.Handler, metrics *prometheus.Registry, proxyPool *x509.CertPool) (*http.Server, error) {
	cfg := s.cfg
	root, err := crashAfterResponses(handler, os.Getenv(crashAfterEnv))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", root)
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics, promhttp.HandlerOpts{Registry: metrics}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.ready)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: time.Duration(cfg.HTTP.ReadTimeout),
		ReadTimeout:       time.Duration(cfg.HTTP.ReadTimeout),
		WriteTimeout:      time.Duration(cfg.HTTP.WriteTimeout),
		IdleTimeout:       time.Duration(cfg.HTTP.IdleTimeout),
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	if cfg.TLS.Cert == "" {
		return srv, nil
	}
	pair, err := tls.LoadX509KeyPair(cfg.TLS.Cert, cfg.TLS.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: tls: %w", config.ErrInvalid, err)
	}
	pool := proxyPool
	if cfg.TLS.ClientCA != "" {
		if pool, err = certPool(cfg.TLS.ClientCA); err != nil {
			return nil, fmt.Errorf("%w: tls.client_ca: %w", config.ErrInvalid, err)
		}
	}
	srv.TLSConfig = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
	}
	return srv, nil
}

// ready answers /readyz: 503 while shutting down, while the access log
// cannot be written, while the database (storage: postgres) does not
// answer, since every request would then fail closed, or while no witness
// has countersigned its newest checkpoint for longer than
// access_log.witness_max_age.
func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	var unwitnessed error
	if s.witness != nil {
		unwitnessed = s.witness.Healthy()
	}
	switch err := s.access.Healthy(); {
	case s.stopping.Load():
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	case err != nil:
		http.Error(w, "access log unavailable: "+err.Error(), http.StatusServiceUnavailable)
	case unwitnessed != nil:
		http.Error(w, "access log unwitnessed: "+unwitnessed.Error(), http.StatusServiceUnavailable)
	case s.pg != nil && s.ping(r.Context()) != nil:
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
	default:
		fmt.Fprintln(w, "ready")
	}
}

// ping checks that the database answers, within pingTimeout.
func (s *server) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return s.pg.Ping(ctx)
}

// run serves until ctx ends, then drains requests and closes the stores.
func (s *server) run(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return errors.Join(err, s.closeStores())
	}
	scheme := "http"
	if s.http.TLSConfig != nil {
		scheme = "https"
		ln = tls.NewListener(ln, s.http.TLSConfig)
	}
	if s.console != nil {
		if err := s.console.start(stdout, s.logger); err != nil {
			_ = ln.Close()
			return errors.Join(err, s.console.console.Close(), s.closeStores())
		}
	}
	if adminLn, err := listenAdmin(s.data.AdminSocketPath()); err != nil {
		s.logger.Warn("no admin socket: hot backups are off until a restart", "err", err)
	} else {
		go func() { _ = s.admin.Serve(adminLn) }()
	}
	url := fmt.Sprintf("%s://%s/", scheme, ln.Addr())
	fmt.Fprintf(stdout, "darbaza: serving on %s\n", url)
	if s.onServing != nil {
		s.onServing(url)
	}
	s.logger.Info("serving", "addr", ln.Addr().String(), "tls", scheme == "https")
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(ln) }()
	if s.witness != nil {
		wctx, stopWitness := context.WithCancel(context.Background())
		defer stopWitness()
		go s.witness.Run(wctx)
	}

	select {
	case err = <-served:
	case <-ctx.Done():
		s.stopping.Store(true)
		s.logger.Info("shutting down: draining requests")
		sctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.cfg.HTTP.ShutdownTimeout))
		err = errors.Join(s.http.Shutdown(sctx), s.admin.Shutdown(sctx))
		if s.console != nil {
			err = errors.Join(err, s.console.shutdown(sctx))
		}
		cancel()
		<-served
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	_ = s.admin.Close()
	if s.console != nil {
		_ = s.console.http.Close()
		_ = s.console.console.Close()
	}
	err = errors.Join(err, s.closeStores())
	s.logger.Info("stopped", "clean", err == nil)
	return err
}

// listenAdmin listens on the Unix socket path (DATA_DIR/admin.sock),
// readable and writable by the server's OS user only: that file mode is the
// admin endpoint's access control. A socket left by a server that died is
// replaced; a live server cannot be there, since it would hold the stores'
// file locks.
func listenAdmin(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	return ln, nil
}

// adminHandler serves hot, consistent copies of both stores for `darbaza
// backup`; with storage: postgres it says to use pg_dump instead.
func (s *server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	if s.pg != nil {
		mux.HandleFunc("GET /backup/", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "storage is postgres: run darbaza backup --config (pg_dump and the keys)", http.StatusNotImplemented)
		})
		return mux
	}
	for name, backup := range map[string]func(context.Context, io.Writer) (int64, error){
		registryFile:  s.registry.Backup,
		accessLogFile: s.access.Backup,
	} {
		mux.HandleFunc("GET /backup/"+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			if n, err := backup(r.Context(), w); err != nil {
				// The status is sent; the client sees a short or broken copy and refuses it.
				s.logger.Error("backup failed", "file", name, "bytes", n, "err", err)
				return
			}
			s.logger.Info("backup served", "file", name)
		})
	}
	return mux
}

// loadDemo imports the demo dataset into an empty registry.
func loadDemo(ctx context.Context, store *registry.Registry, logger *slog.Logger) error {
	empty, err := store.Empty(ctx)
	if err != nil || !empty {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(demo.Write(pw, demo.Options{})) }()
	start := time.Now()
	rep, err := store.Import(ctx, pr)
	if err != nil {
		return fmt.Errorf("loading the demo dataset: %w", err)
	}
	logger.Info("loaded the demo dataset", "persons", rep.Persons, "dwellings", rep.Dwellings,
		"registrations", rep.Registrations, "took", time.Since(start).String())
	return nil
}

// loadProxies reads the trusted proxies' certificates: their fingerprints
// and a pool to verify TLS client certificates against.
func loadProxies(paths []string) (map[string]bool, *x509.CertPool, error) {
	set := map[string]bool{}
	pool := x509.NewCertPool()
	for i, p := range paths {
		certs, err := signing.LoadCertificates(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: trusted_proxies[%d]: %w", config.ErrInvalid, i, err)
		}
		for _, c := range certs {
			set[signing.Fingerprint(c)] = true
			pool.AddCert(c)
		}
	}
	return set, pool, nil
}

func certPool(path string) (*x509.CertPool, error) {
	certs, err := signing.LoadCertificates(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// seedReplay refills the replay cache with the verified (client, id) pairs
// the access log holds from the last replay window.
func seedReplay(ctx context.Context, log *accesslog.Log, c *adapter.ReplayCache, now time.Time) error {
	return log.List(ctx, accesslog.Filter{From: now.Add(-c.Window)}, func(r accesslog.Record) error {
		if r.SignerCert != "" && r.MessageID != "" {
			_ = c.Claim(r.Client, r.MessageID, r.Time) // a pair logged twice was refused the second time
		}
		return nil
	})
}
