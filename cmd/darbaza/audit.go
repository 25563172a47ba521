package main

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/adapter/accesslog/pglog"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/internal/postgres"
	"github.com/darbaza/darbaza/signing"
)

const auditUsage = `darbaza audit: check and read the access log (for auditors).

Usage: darbaza audit <verb> [flags]

Verbs:
  verify    check that no record was changed, removed or reordered
  list      print records, one line each, with filters
  export    write records to JSON Lines or CSV that verify on their own
  archive   move old records into a signed archive file

Every request the adapter answers, accepted or refused, leaves one record:
when, who asked (X-Road client), which service, the outcome, digests of the
request and response, and which persons' data it touched (as keyed HMACs,
never raw PINs). Records form a hash chain; the adapter signs checkpoints of
the chain with its key, so that any change shows.

The log file is locked while the server runs: stop the server, or audit a
copy made with 'darbaza backup'. Run 'darbaza audit <verb> -h' for details.
`

// runAudit implements `darbaza audit <verify|list|export|archive> [flags]`.
// Exit status: 0 success, 1 the log does not verify, 2 usage or I/O error.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	verbs := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"verify":  auditVerify,
		"list":    auditList,
		"export":  auditExport,
		"archive": auditArchive,
	}
	if verb, ok := verbs[args[0]]; ok {
		return verb(ctx, args[1:], stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, auditUsage)
		return 0
	}
	fmt.Fprintf(stderr, "darbaza audit: unknown verb %q\n\n%s", args[0], auditUsage)
	return 2
}

// auditFiles are the file flags every verb shares.
type auditFiles struct {
	data    string
	log     string
	certs   multiFlag
	hmacKey string
	config  string
	pg      *config.Postgres // from --config with storage: postgres
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (a *auditFiles) register(fs *flag.FlagSet) {
	fs.StringVar(&a.data, "data", "./data", "the server's data directory")
	fs.StringVar(&a.log, "log", "", "access log file (default DATA/accesslog.db)")
	fs.Var(&a.certs, "cert", "adapter certificate PEM file; repeat for certificates used before a key change (default DATA/keys/adapter.crt)")
	fs.StringVar(&a.hmacKey, "hmac-key", "", "file with the subject HMAC key as hex text (default DATA/keys/subject-hmac.key)")
	fs.StringVar(&a.config, "config", "", "the server's config file: its data_dir replaces --data, and with storage: postgres the log is read from the database")
}

// load reads --config, if given.
func (a *auditFiles) load() error {
	if a.config == "" {
		return nil
	}
	cfg, err := config.Load(a.config)
	if err != nil {
		return err
	}
	a.data = cfg.DataDir
	if cfg.Storage == "postgres" {
		a.pg = &cfg.Postgres
	}
	return nil
}

func (a *auditFiles) logPath() string {
	if a.log != "" {
		return a.log
	}
	if a.pg != nil {
		return "the access log in PostgreSQL"
	}
	return dataDir(a.data).AccessLogPath()
}

// backend opens the database's log (storage: postgres); the returned
// function closes the pool. It is nil for a bbolt file.
func (a *auditFiles) backend(ctx context.Context) (logstore.Backend, func(), error) {
	if a.pg == nil {
		return nil, func() {}, nil
	}
	pool, err := postgres.Open(ctx, pgOptions(*a.pg))
	if err != nil {
		return nil, nil, err
	}
	if err := postgres.Check(ctx, pool); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return pglog.New(pool), pool.Close, nil
}

// openReader opens the log read-only: the bbolt file, or the database.
func (a *auditFiles) openReader(ctx context.Context) (*accesslog.Reader, func(), error) {
	b, closePool, err := a.backend(ctx)
	if err != nil {
		return nil, nil, err
	}
	if b == nil {
		rd, err := accesslog.OpenReader(a.logPath(), 0)
		return rd, func() {}, err
	}
	rd, err := accesslog.NewReader(b)
	if err != nil {
		closePool()
		return nil, nil, err
	}
	return rd, closePool, nil
}

func (a *auditFiles) certificates() ([]*x509.Certificate, error) {
	paths := a.certs
	if len(paths) == 0 {
		paths = multiFlag{dataDir(a.data).AdapterCertPath()}
	}
	var all []*x509.Certificate
	for _, p := range paths {
		certs, err := signing.LoadCertificates(p)
		if err != nil {
			return nil, fmt.Errorf("certificate %s: %w", p, err)
		}
		all = append(all, certs...)
	}
	return all, nil
}

func (a *auditFiles) subjectKey() ([]byte, error) {
	return loadSubjectKey(cmp.Or(a.hmacKey, dataDir(a.data).SubjectKeyPath()))
}

// newAuditFlags makes a verb's flag set; help is its -h text.
func newAuditFlags(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("darbaza audit "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), help, "\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// auditError prints err and maps it to the exit status.
func auditError(stderr io.Writer, verb string, err error) int {
	fmt.Fprintf(stderr, "darbaza audit %s: %v\n", verb, err)
	switch {
	case errors.Is(err, accesslog.ErrTampered):
		return 1
	case errors.Is(err, accesslog.ErrLocked):
		fmt.Fprintln(stderr, "The server holds the log file. Stop it, or audit a copy made with 'darbaza backup'.")
	}
	return 2
}

const verifyHelp = `Usage: darbaza audit verify [--data DIR] [--log FILE | --export FILE | --archive FILE] [--cert FILE]...

Checks, offline, that the access log is complete and unchanged:
  - every record's content matches its hash, and each record names the hash
    of the one before it (a hash chain), so a changed field, a deleted
    record or a swapped pair breaks the chain at that record;
  - every checkpoint (a signed "the chain had N records ending in hash H")
    carries a valid signature by the adapter certificate and matches the
    chain, so records cut off the end after a checkpoint are noticed.
Records after the newest checkpoint are chained but not yet signed; the
summary says how many.

By default it checks the log file. --export checks a file written by
'darbaza audit export' (JSON Lines or CSV); --archive checks an archive file
from 'darbaza audit archive', which must be sealed by a checkpoint over its
last record. An archive and the log that remains link up: the log's
"starts after" hash equals the archive's head.

With --witness STATE (a witness's state file, see 'darbaza witness') it also
checks the log against the newest checkpoint that witness countersigned: the
log must still hold that record with that hash. This finds what the
adapter's own signatures cannot: a tail cut off together with its
checkpoints, and a history rewritten and re-signed with the adapter's keys.
Give the witness's public key with --witness-key to check its cosignature
against the key you were given rather than the one the file names.

With --evidence DIR it also checks callers' evidence: every .xml file in DIR
must be a response signed by a certificate given with --cert (the adapter's),
and the log must hold its record (the same client and xrd:id, matched by the
response's exact digest when the file is the bytes that were sent) within
the verified chain. A response without its record is reported as tampering.
It needs the subject HMAC key (--hmac-key) to find ids that hold PINs.

Prints a summary, or the first bad record. Exit status: 0 verified,
1 tampering found, 2 usage or I/O error.
`

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var files auditFiles
	fs := newAuditFlags("verify", verifyHelp, stderr)
	files.register(fs)
	exportFile := fs.String("export", "", "verify this export file (JSON Lines or CSV) instead of the log")
	archiveFile := fs.String("archive", "", "verify this archive file instead of the log")
	witnessState := fs.String("witness", "", "a witness's state file: the log must hold the checkpoint it countersigned")
	evidenceDir := fs.String("evidence", "", "a folder of signed responses callers kept: each must have its record in the log")
	witnessKey := fs.String("witness-key", "", "the witness's verifier key (name+hash+base64); default the one its state file names")
	if code, done := parseFlagsOrUsage(fs, args, stdout, stderr); done {
		return code
	}
	if err := files.load(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	if *exportFile != "" && *archiveFile != "" {
		fmt.Fprintln(stderr, "darbaza audit verify: give --export or --archive, not both")
		return 2
	}
	certs, err := files.certificates()
	if err != nil {
		return auditError(stderr, "verify", err)
	}
	opts := accesslog.VerifyOptions{Certificates: certs}
	if *evidenceDir != "" && (*exportFile != "" || *archiveFile != "") {
		fmt.Fprintln(stderr, "darbaza audit verify: --evidence checks the log, not an export or archive")
		return 2
	}
	var evs []*evidence
	if *evidenceDir != "" {
		key, err := files.subjectKey()
		if err != nil {
			return auditError(stderr, "verify", err)
		}
		if evs, err = readEvidence(*evidenceDir, certs, func(pin string) string { return accesslog.SubjectID(key, pin) }); err != nil {
			return auditError(stderr, "verify", err)
		}
	}
	var witnessLine string
	if *witnessState != "" {
		if opts.Witnessed, witnessLine, err = witnessedFromState(*witnessState, *witnessKey, certs); err != nil {
			return auditError(stderr, "verify", err)
		}
	}
	var rep accesslog.Report
	var what string
	switch {
	case *exportFile != "" || *archiveFile != "":
		what = *exportFile
		if *archiveFile != "" {
			what, opts.Sealed = *archiveFile, true
		}
		f, err := os.Open(what)
		if err != nil {
			return auditError(stderr, "verify", err)
		}
		defer f.Close()
		rep, err = accesslog.VerifyExport(ctx, f, opts)
		if err != nil {
			return auditError(stderr, "verify", err)
		}
	default:
		what = files.logPath()
		rd, closePool, err := files.openReader(ctx)
		if err != nil {
			return auditError(stderr, "verify", err)
		}
		defer closePool()
		defer rd.Close()
		if rep, err = rd.Verify(ctx, opts); err != nil {
			return auditError(stderr, "verify", err)
		}
		if evs != nil {
			if err := checkEvidence(ctx, rd, evs, rep, stdout); err != nil {
				return auditError(stderr, "verify", err)
			}
		}
	}
	fmt.Fprintf(stdout, "%s: verified\n%s%s", what, rep, witnessLine)
	return 0
}

// parseFlagsOrUsage parses args; done reports that the verb must return
// code at once: 0 after printing -h help to stdout, 2 after a usage error
// (explained on stderr).
func parseFlagsOrUsage(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	usage := fs.Usage
	fs.Usage = func() {} // flag.Parse would print it to stderr, also for -h
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return 0, true
	case err != nil:
		fmt.Fprintf(stderr, "Run '%s -h' for help.\n", fs.Name())
		return 2, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "%s: unexpected argument %q\nRun '%s -h' for help.\n", fs.Name(), fs.Arg(0), fs.Name())
		return 2, true
	}
	return 0, false
}

// filterFlags are the selection flags of list and export.
type filterFlags struct {
	from, to, client, service, outcome, pin string
}

func (f *filterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.from, "from", "", "only records at or after this time (RFC 3339, e.g. 2025-03-01T00:00:00+06:00)")
	fs.StringVar(&f.to, "to", "", "only records before this time (RFC 3339)")
	fs.StringVar(&f.client, "client", "", "only this X-Road client, e.g. central-server/GOV/70000002/portal")
	fs.StringVar(&f.service, "service", "", "only this service code, e.g. getPerson")
	fs.StringVar(&f.outcome, "outcome", "", "only this outcome: ok, a business code or a fault code")
	fs.StringVar(&f.pin, "pin", "", "only records that touched this person (14-digit PIN; needs the HMAC key)")
}

func (f *filterFlags) filter(files *auditFiles) (accesslog.Filter, error) {
	var out accesslog.Filter
	var err error
	if f.from != "" {
		if out.From, err = time.Parse(time.RFC3339, f.from); err != nil {
			return out, fmt.Errorf("--from: %w", err)
		}
	}
	if f.to != "" {
		if out.To, err = time.Parse(time.RFC3339, f.to); err != nil {
			return out, fmt.Errorf("--to: %w", err)
		}
	}
	out.Client, out.Service, out.Outcome = f.client, f.service, f.outcome
	if f.pin != "" {
		key, err := files.subjectKey()
		if err != nil {
			return out, err
		}
		out.Subject = accesslog.SubjectID(key, f.pin)
	}
	return out, nil
}

const listHelp = `Usage: darbaza audit list [--data DIR] [filters] [--limit N]

Prints matching records of the access log, oldest first, one line each:
  sequence number, time (UTC), outcome, client, service, record id,
  X-Road message id, user id, issue, latency, number of persons touched.
The record id is the faultDetail a caller received with a SOAP fault.
Filters combine (all must match). --pin finds the requests that touched one
person: the log holds no PINs, so the tool computes the same keyed HMAC the
server stores, with the key in DATA/keys/subject-hmac.key.
`

func auditList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var files auditFiles
	var ff filterFlags
	fs := newAuditFlags("list", listHelp, stderr)
	files.register(fs)
	ff.register(fs)
	limit := fs.Int("limit", 0, "print at most N records (0: all)")
	if code, done := parseFlagsOrUsage(fs, args, stdout, stderr); done {
		return code
	}
	if err := files.load(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	if *limit < 0 {
		fmt.Fprintln(stderr, "darbaza audit list: --limit must not be negative")
		return 2
	}
	f, err := ff.filter(&files)
	if err != nil {
		return auditError(stderr, "list", err)
	}
	rd, closePool, err := files.openReader(ctx)
	if err == nil {
		defer closePool()
	}
	if err != nil {
		return auditError(stderr, "list", err)
	}
	defer rd.Close()
	errEnough := errors.New("limit reached")
	n := 0
	err = rd.List(ctx, f, func(r accesslog.Record) error {
		fmt.Fprintf(stdout, "%d\t%s\t%s\tclient=%s\tservice=%s\tid=%s\tmsg=%s\tuser=%s\tissue=%s\tlatency=%s\tsubjects=%d\n",
			r.Seq, r.Time.Format(time.RFC3339Nano), r.Outcome, orDash(r.Client), orDash(r.Service), r.ID,
			orDash(r.MessageID), orDash(r.UserID), orDash(r.Issue), r.Latency, len(r.Subjects))
		n++
		if *limit > 0 && n >= *limit {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return auditError(stderr, "list", err)
	}
	return 0
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

const exportHelp = `Usage: darbaza audit export [--data DIR] [--format jsonl|csv] [--out FILE] [filters]

Writes the access log to JSON Lines (one object per line) or CSV, with the
chain material (previous hash, hash, signed checkpoints) so that the file
verifies on its own: 'darbaza audit verify --export FILE'.

Filters are allowed and keep the export verifiable: a record that does not
match is written as an "omitted" line holding only its sequence number and
a digest of its content, so the chain still checks while its content stays
out of the file. Without filters every record is written in full.
`

func auditExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var files auditFiles
	var ff filterFlags
	fs := newAuditFlags("export", exportHelp, stderr)
	files.register(fs)
	ff.register(fs)
	formatName := fs.String("format", "jsonl", "jsonl or csv")
	out := fs.String("out", "", "write to FILE, which must not exist (default: standard output)")
	if code, done := parseFlagsOrUsage(fs, args, stdout, stderr); done {
		return code
	}
	if err := files.load(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	format, err := accesslog.ParseFormat(*formatName)
	if err != nil {
		return auditError(stderr, "export", err)
	}
	f, err := ff.filter(&files)
	if err != nil {
		return auditError(stderr, "export", err)
	}
	rd, closePool, err := files.openReader(ctx)
	if err == nil {
		defer closePool()
	}
	if err != nil {
		return auditError(stderr, "export", err)
	}
	defer rd.Close()
	w := stdout
	var file *os.File
	if *out != "" {
		if file, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return auditError(stderr, "export", err)
		}
		defer file.Close()
		w = file
	}
	sum, err := rd.Export(ctx, w, format, f)
	if err == nil && file != nil {
		err = errors.Join(file.Sync(), file.Close())
	}
	if err != nil {
		return auditError(stderr, "export", err)
	}
	fmt.Fprintf(stderr, "exported %d records in full, %d as digests, %d checkpoints\n", sum.Records, sum.Omitted, sum.Checkpoints)
	return 0
}

const archiveHelp = `Usage: darbaza audit archive --before TIME --out FILE [--data DIR] [--key FILE]

Moves the oldest records, those before TIME (RFC 3339), out of the log into
a new archive file, for retention. It stops at the first record that is not
older than TIME, so the archive is always an unbroken start of the chain.

The archive is a JSON Lines export sealed by a checkpoint signed with the
adapter key (DATA/keys/adapter.key), so it verifies on its own:
'darbaza audit verify --archive FILE'. The log remembers the last archived
record's hash and its first remaining record links to it, so the remaining
log still verifies and shows where it continues the archive.

The archive file is written and synced before any record is removed. The
server must be stopped: archiving writes to the log.
`

func auditArchive(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var files auditFiles
	fs := newAuditFlags("archive", archiveHelp, stderr)
	files.register(fs)
	beforeText := fs.String("before", "", "archive records older than this time (RFC 3339); required")
	out := fs.String("out", "", "archive file to create; must not exist; required")
	keyFile := fs.String("key", "", "adapter private key PEM file (default DATA/keys/adapter.key)")
	if code, done := parseFlagsOrUsage(fs, args, stdout, stderr); done {
		return code
	}
	if err := files.load(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	if *beforeText == "" || *out == "" {
		fmt.Fprintln(stderr, "darbaza audit archive: --before and --out are required")
		return 2
	}
	before, err := time.Parse(time.RFC3339, *beforeText)
	if err != nil {
		return auditError(stderr, "archive", fmt.Errorf("--before: %w", err))
	}
	certFile := dataDir(files.data).AdapterCertPath()
	if len(files.certs) > 0 {
		certFile = files.certs[0]
	}
	signer, cert, err := loadKeyPair(cmp.Or(*keyFile, dataDir(files.data).AdapterKeyPath()), certFile)
	if err != nil {
		return auditError(stderr, "archive", err)
	}
	subjectKey, err := files.subjectKey()
	if err != nil {
		return auditError(stderr, "archive", err)
	}
	backend, closePool, err := files.backend(ctx)
	if err != nil {
		return auditError(stderr, "archive", err)
	}
	defer closePool()
	opts := accesslog.Options{Backend: backend, Signer: signer, Certificate: cert, SubjectKey: subjectKey}
	if backend == nil {
		opts.Path = files.logPath()
	}
	l, err := accesslog.Open(opts)
	if err != nil {
		return auditError(stderr, "archive", err)
	}
	file, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return auditError(stderr, "archive", errors.Join(err, l.Close()))
	}
	sum, err := l.Archive(ctx, before, file)
	err = errors.Join(err, file.Close(), l.Close())
	if err != nil {
		if sum.Records == 0 {
			os.Remove(*out) // nothing was removed from the log; leave no empty file
		}
		return auditError(stderr, "archive", err)
	}
	fmt.Fprintf(stdout, "archived records %d..%d (%d records, %d checkpoints) to %s\nthe log now starts after record %d, hash %s\n",
		sum.Anchor.Seq-uint64(sum.Records)+1, sum.Anchor.Seq, sum.Records, sum.Checkpoints, *out,
		sum.Anchor.Seq, hex.EncodeToString(sum.Anchor.Hash[:]))
	return 0
}
