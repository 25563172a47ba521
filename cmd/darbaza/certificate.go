package main

import (
	"cmp"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/certificate"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/signing"
)

// newOffice is the certificate office of a server: the registry, the
// document-signing key (documents.key and documents.cert, else the
// adapter's key and cert) and the issuing body from the config.
func newOffice(cfg config.Config, reg *registry.Registry, adapterKey crypto.Signer, adapterCert *x509.Certificate) (*certificate.Office, error) {
	key, cert := adapterKey, adapterCert
	if cfg.Documents.Key != "" {
		var err error
		if key, cert, err = signing.LoadKeyPair(cfg.Documents.Key, cfg.Documents.Cert); err != nil {
			return nil, fmt.Errorf("documents.key: %w", err)
		}
	}
	return &certificate.Office{
		Registry: reg,
		Signer:   certificate.Signer{Key: key, Certificate: cert},
		Issuer: certificate.Issuer{NameKy: cfg.Documents.IssuerKy, NameRu: cfg.Documents.IssuerRu,
			Member: cfg.Provider, VerifyURL: cfg.Documents.VerifyURL},
	}, nil
}

const certificateUsage = `Usage:
  darbaza certificate issue --url URL --key KEY --cert CERT --server-cert SERVER_CERT --out DIR FILE
  darbaza certificate verify [--cert SIGNER_CERT] FILE.xml
  darbaza certificate render --config CONFIG --out DIR NUMBER|FILE.xml
  darbaza certificate revoke --config CONFIG NUMBER

Address certificates (README.md "Address certificates", docs/documents.md).

issue   for integrators: signs and sends FILE, an issueAddressCertificate
        request (testdata/requests/issueAddressCertificate-found.xml), as
        'darbaza send' does, checks the signed answer, and writes the
        certificate's three forms to DIR: NUMBER.xml (the signed XML),
        NUMBER.pdf (the signed PDF) and NUMBER-qr.png (the QR code).
verify  for verifiers, offline: checks the XML certificate's enveloped
        signature, against SIGNER_CERT (the issuer's document-signing
        certificate, PEM) when given, else against the certificate it
        carries, and prints what it certifies. Exit status 0: the signature
        holds and the certificate is within its 30 days; 1: it does not
        verify, or its 30 days are over (no longer available for
        verification); 2: bad flags or files. For the PDF use poppler's
        pdfsig; online, ask verifyDocument.
render  for operators: renders the signed PDF and the QR code of an issued
        certificate, from the registry by NUMBER (the server must be
        stopped: the store is opened read-only) or from its XML file, with
        the document-signing key the config names; the XML must verify
        against that key's certificate.
revoke  for operators: withdraws an issued certificate; verifyDocument
        answers DocumentRevoked from then on. The act is recorded in the
        access log, as client operator/USER (the system user running it),
        service certificate.revoke, with the certificate's holder as its
        subject, before the revocation commits. With bbolt the server must
        be stopped; with PostgreSQL it may run.

Run 'darbaza certificate <verb> -h' for the flags of a verb.
`

// runCertificate dispatches the certificate verbs.
func runCertificate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	verbs := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"issue": runCertificateIssue, "verify": runCertificateVerify, "render": runCertificateRender,
		"revoke": runCertificateRevoke,
	}
	if len(args) == 0 || verbs[args[0]] == nil {
		fmt.Fprint(stderr, certificateUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return 0
		}
		return 2
	}
	return verbs[args[0]](ctx, args[1:], stdout, stderr)
}

func certificateFlags(verb string, stderr io.Writer) *flag.FlagSet {
	fl := flag.NewFlagSet("certificate "+verb, flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintf(stderr, "%s\nFlags of 'darbaza certificate %s':\n", certificateUsage, verb)
		fl.PrintDefaults()
	}
	return fl
}

func runCertificateIssue(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := certificateFlags("issue", stderr)
	url := fl.String("url", "", "Darbaza's endpoint (required)")
	keyFile := fl.String("key", "", "your PEM private key (required)")
	certFile := fl.String("cert", "", "your PEM certificate, registered in Darbaza's config (required)")
	serverCert := fl.String("server-cert", "", "Darbaza's PEM certificate, to check the answer's signature (required)")
	out := fl.String("out", ".", "folder to write the certificate's files to")
	timeout := fl.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if *url == "" || *keyFile == "" || *certFile == "" || *serverCert == "" || fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	fail := func(code int, err error) int { fmt.Fprintln(stderr, "darbaza certificate issue:", err); return code }
	signer, err := loadSigner(*keyFile, *certFile)
	if err != nil {
		return fail(2, err)
	}
	pinned, err := signing.LoadCertificates(*serverCert)
	if err != nil {
		return fail(2, err)
	}
	raw, err := readInput(fl.Arg(0))
	if err != nil {
		return fail(2, err)
	}
	request, err := signRequest(signer, raw, true)
	if err != nil {
		return fail(1, err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	answer, status, err := post(ctx, *url, request)
	if err != nil {
		return fail(1, err)
	}
	doc, err := parseResponse(answer)
	if err != nil {
		return fail(1, fmt.Errorf("HTTP %d, answer is not XML: %w", status, err))
	}
	if code, text, ok := soapFault(doc); ok {
		return fail(1, fmt.Errorf("SOAP fault %s: %s", code, text))
	}
	if err := verifyAnswer(doc, request, pinned); err != nil {
		return fail(1, fmt.Errorf("the answer does not verify: %w", err))
	}
	get := func(name string) string {
		for _, el := range doc.FindElements("//" + name) {
			if el.NamespaceURI() == adapter.Namespace {
				return el.Text()
			}
		}
		return ""
	}
	if code := get("code"); code != adapter.OutcomeOK {
		return fail(1, fmt.Errorf("refused: %s: %s / %s", code, get("messageKy"), get("messageRu")))
	}
	number := get("number")
	if registry.ValidDocumentNumber(number) != nil {
		return fail(1, fmt.Errorf("the answer names no document number"))
	}
	files := map[string]string{"xml": number + ".xml", "pdf": number + ".pdf", "qr": number + "-qr.png"}
	for _, name := range []string{"xml", "pdf", "qr"} {
		b, err := base64.StdEncoding.DecodeString(get(name))
		if err != nil || len(b) == 0 {
			return fail(1, fmt.Errorf("the answer's %s is not base64: %v", name, err))
		}
		if err := os.WriteFile(filepath.Join(*out, files[name]), b, 0o644); err != nil {
			return fail(1, err)
		}
	}
	fmt.Fprintf(stdout, "certificate %s issued, valid for verification until %s\n", number, get("validUntil"))
	for _, name := range []string{"xml", "pdf", "qr"} {
		fmt.Fprintln(stdout, filepath.Join(*out, files[name]))
	}
	return 0
}

func runCertificateVerify(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fl := certificateFlags("verify", stderr)
	certFile := fl.String("cert", "", "the issuer's document-signing certificate, PEM (recommended)")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	fail := func(code int, err error) int { fmt.Fprintln(stderr, "darbaza certificate verify:", err); return code }
	var trusted *x509.Certificate
	if *certFile != "" {
		certs, err := signing.LoadCertificates(*certFile)
		if err != nil {
			return fail(2, err)
		}
		trusted = certs[0]
	}
	raw, err := readInput(fl.Arg(0))
	if err != nil {
		return fail(2, err)
	}
	v, err := certificate.Verify(raw, trusted)
	if err != nil {
		return fail(1, err)
	}
	printCertificate(stdout, v.Certificate)
	fmt.Fprintf(stdout, "signed by:     %s (SHA-256 %s)\n", v.Signer.Subject, signing.Fingerprint(v.Signer))
	if trusted == nil {
		fmt.Fprintln(stderr, "darbaza certificate verify: WARNING: checked against the certificate it carries; pass --cert to check who signed it")
	}
	if !time.Now().Before(v.Expires) {
		return fail(1, fmt.Errorf("the signature holds, but the certificate's 30 days ended %s: it is no longer available for verification", certificate.ShowTime(v.Expires)))
	}
	fmt.Fprintln(stdout, "signature:     valid")
	return 0
}

func printCertificate(w io.Writer, c certificate.Certificate) {
	fmt.Fprintf(w, "number:        %s\n", c.Number)
	fmt.Fprintf(w, "person:        %s, PIN %s\n", c.FullName(), c.PIN)
	fmt.Fprintf(w, "residence:     %s, since %s\n", c.Residence.Address, c.Residence.Since)
	if c.Stay != nil {
		fmt.Fprintf(w, "stay:          %s, %s to %s\n", c.Stay.Address, c.Stay.Since, c.Stay.Until)
	}
	fmt.Fprintf(w, "issued:        %s by %s (%s)\n", certificate.ShowTime(c.Issued), c.Issuer.NameRu, c.Issuer.Member)
	fmt.Fprintf(w, "verifiable to: %s\n", certificate.ShowTime(c.Expires))
	fmt.Fprintf(w, "verify online: %s\n", c.VerifyLink())
}

func runCertificateRender(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := certificateFlags("render", stderr)
	configPath := fl.String("config", "darbaza.yaml", "the server's config file")
	out := fl.String("out", ".", "folder to write NUMBER.pdf and NUMBER-qr.png to")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	fail := func(code int, err error) int { fmt.Fprintln(stderr, "darbaza certificate render:", err); return code }
	cfg, err := config.Load(*configPath)
	if err != nil {
		return fail(2, err)
	}
	data := dataDir(cfg.DataDir)
	key, cert, err := signing.LoadKeyPair(cmp.Or(cfg.Signing.Key, data.AdapterKeyPath()), cmp.Or(cfg.Signing.Cert, data.AdapterCertPath()))
	if err != nil {
		return fail(2, fmt.Errorf("adapter key: %w", err))
	}
	office, err := newOffice(cfg, nil, key, cert)
	if err != nil {
		return fail(2, err)
	}
	var raw []byte
	if arg := fl.Arg(0); registry.ValidDocumentNumber(arg) == nil {
		raw, err = storedDocument(ctx, cfg, arg)
	} else {
		raw, err = os.ReadFile(arg)
	}
	if err != nil {
		return fail(1, err)
	}
	v, err := certificate.Verify(raw, office.Signer.Certificate)
	if err != nil {
		return fail(1, err)
	}
	pdf, qr, err := office.Signer.Render(v.Certificate)
	if err != nil {
		return fail(1, err)
	}
	for name, b := range map[string][]byte{v.Number + ".pdf": pdf, v.Number + "-qr.png": qr} {
		path := filepath.Join(*out, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return fail(1, err)
		}
		fmt.Fprintln(stdout, path)
	}
	return 0
}

// storedDocument reads document number from the registry of cfg, opened
// read-only.
func storedDocument(ctx context.Context, cfg config.Config, number string) ([]byte, error) {
	store, closeStore, err := openConfiguredStore(ctx, cfg, true)
	if err != nil {
		return nil, fmt.Errorf("%w (is the server running? render from the XML file instead)", err)
	}
	defer closeStore()
	d, err := registry.New(store, registry.Options{}).Document(ctx, number)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fmt.Errorf("no document %s in the registry", number)
	}
	return d.Content, err
}

func runCertificateRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := certificateFlags("revoke", stderr)
	configPath := fl.String("config", "darbaza.yaml", "the server's config file")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	fail := func(code int, err error) int { fmt.Fprintln(stderr, "darbaza certificate revoke:", err); return code }
	cfg, err := config.Load(*configPath)
	if err != nil {
		return fail(2, err)
	}
	op, err := openOperatorWrite(ctx, cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return fail(1, err)
	}
	start := time.Now()
	d, err := registry.New(op.store, registry.Options{}).RevokeDocument(ctx, fl.Arg(0), start,
		func(tx registry.Tx, d registry.Document) error {
			return op.record(ctx, tx, accesslog.Entry{
				Time: start, Service: "certificate.revoke", Outcome: adapter.OutcomeOK, Subjects: []string{d.PIN},
				Reason: fmt.Sprintf("certificate %s revoked as of %s", d.Number, certificate.ShowTime(d.Revoked)),
			})
		})
	if cerr := op.close(); err == nil && cerr != nil {
		return fail(1, cerr)
	}
	if err != nil {
		return fail(1, err)
	}
	fmt.Fprintf(stdout, "certificate %s revoked as of %s\n", d.Number, certificate.ShowTime(d.Revoked))
	return 0
}
