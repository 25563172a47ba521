package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	"github.com/darbaza/darbaza/signing"
)

const witnessUsage = `darbaza witness: keep the access log honest from another machine.

Usage: darbaza witness <verb> [flags]

Verbs:
  keygen    make the witness's own key: a secret file and the public key
  logkey    print the verifier key of an adapter's checkpoint certificate
  serve     receive checkpoints, check them, countersign them

A witness runs apart from the adapter, on another machine, under other
people's control. It receives every checkpoint of the access log, checks that
it extends the last one it saw (the log only grew; nothing before was
changed), refuses rollbacks and forks, and countersigns. Its state file then
holds the newest countersigned checkpoint, and

  darbaza audit verify --witness STATE --witness-key KEY --cert CHECKPOINT.crt

proves the log complete and unchanged up to it, even against whoever holds
the adapter's keys. docs/witness.md explains the formats and the exchange.
`

func runWitness(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, witnessUsage)
		return 2
	}
	verbs := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"keygen": witnessKeygen,
		"logkey": witnessLogKey,
		"serve":  witnessServe,
	}
	if verb, ok := verbs[args[0]]; ok {
		return verb(ctx, args[1:], stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, witnessUsage)
		return 0
	}
	fmt.Fprintf(stderr, "darbaza witness: unknown verb %q\n\n%s", args[0], witnessUsage)
	return 2
}

const witnessKeygenHelp = `Usage: darbaza witness keygen --name NAME --out FILE

Makes the witness's Ed25519 key. FILE gets the secret signer key (readable by
you only; it never leaves the witness's machine); the verifier key is printed
and written to FILE.pub: give it to the adapter's operators (config
access_log.witnesses[].key) and to auditors (--witness-key).
`

func witnessKeygen(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newWitnessFlags("keygen", witnessKeygenHelp, stderr)
	name := fs.String("name", "", "the witness's name, e.g. its host name (no spaces, no '+')")
	out := fs.String("out", "", "file for the secret key (must not exist)")
	if code, done := parseFlagsOrUsage(fs, args, stdout, stderr); done {
		return code
	}
	if *name == "" || *out == "" {
		fmt.Fprintln(stderr, "darbaza witness keygen: --name and --out are required")
		return 2
	}
	skey, vkey, err := witness.GenerateWitnessKey(*name)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza witness keygen:", err)
		return 2
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = fmt.Fprintln(f, skey)
		err = errors.Join(err, f.Sync(), f.Close())
	}
	if err == nil {
		err = os.WriteFile(*out+".pub", []byte(vkey+"\n"), 0o644)
	}
	if err != nil {
		fmt.Fprintln(stderr, "darbaza witness keygen:", err)
		return 2
	}
	fmt.Fprintln(stdout, vkey)
	return 0
}

const witnessLogKeyHelp = `Usage: darbaza witness logkey --cert CHECKPOINT.crt --origin ORIGIN

Prints the verifier key of the adapter's checkpoint key (an ECDSA P-256
certificate: access_log.checkpoint_cert, else the adapter's), named by the
log's origin (access_log.origin, else the provider identifier): what
'darbaza witness serve --log' takes.
`

func witnessLogKey(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newWitnessFlags("logkey", witnessLogKeyHelp, stderr)
	certPath := fs.String("cert", "", "the checkpoint certificate, PEM")
	origin := fs.String("origin", "", "the log's origin")
	if code, done := parseFlagsOrUsage(fs, args, stdout, stderr); done {
		return code
	}
	certs, err := signing.LoadCertificates(*certPath)
	if err != nil || len(certs) == 0 {
		fmt.Fprintln(stderr, "darbaza witness logkey: --cert:", err)
		return 2
	}
	vkey, err := witness.VerifierKeyFor(*origin, certs[0].PublicKey)
	if err == nil && (*origin == "" || strings.ContainsAny(*origin, " +")) {
		err = fmt.Errorf("--origin %q: want a name without spaces or '+'", *origin)
	}
	if err != nil {
		fmt.Fprintln(stderr, "darbaza witness logkey:", err)
		return 2
	}
	fmt.Fprintln(stdout, vkey)
	return 0
}

const witnessServeHelp = `Usage: darbaza witness serve --key FILE --state FILE --log KEY [--log KEY]... [--listen ADDR]

Serves POST /add-checkpoint (C2SP tlog-witness, with the hash chain's proof;
docs/witness.md). Each checkpoint must be signed by the checkpoint key of a
log given with --log (its verifier key, from 'darbaza witness logkey') and
extend the last one this witness countersigned for that log; the state file
records each countersigned checkpoint durably before the answer leaves.
Put it behind TLS (a reverse proxy) in production.
`

func witnessServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newWitnessFlags("serve", witnessServeHelp, stderr)
	keyFile := fs.String("key", "", "the witness's secret key file (from 'darbaza witness keygen')")
	state := fs.String("state", "", "the witness's state file (created if missing)")
	listen := fs.String("listen", "127.0.0.1:8090", "address to listen on")
	var logs multiFlag
	fs.Var(&logs, "log", "verifier key of a log's checkpoint key; repeat for several logs")
	if code, done := parseFlagsOrUsage(fs, args, stdout, stderr); done {
		return code
	}
	if *keyFile == "" || *state == "" || len(logs) == 0 {
		fmt.Fprintln(stderr, "darbaza witness serve: --key, --state and --log are required")
		return 2
	}
	raw, err := os.ReadFile(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza witness serve:", err)
		return 2
	}
	skey := strings.TrimSpace(string(raw))
	vkey, err := witness.VerifierKeyOfSigner(skey)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza witness serve: --key:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	w, err := witness.New(witness.Options{StatePath: *state, Key: skey, VerifierKey: vkey, Logs: logs, Logger: logger})
	if err != nil {
		fmt.Fprintln(stderr, "darbaza witness serve:", err)
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza witness serve:", err)
		return 2
	}
	srv := &http.Server{Handler: witness.Handler(w), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	fmt.Fprintf(stdout, "darbaza witness: serving on http://%s/ as %s\n", ln.Addr(), vkey)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
		<-served
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "darbaza witness serve:", err)
		return 1
	}
	return 0
}

// newWitnessFlags makes a witness verb's flag set; help is its -h text.
func newWitnessFlags(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("darbaza witness "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), help, "\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}
