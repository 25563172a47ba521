package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

const keygenUsage = `Usage: darbaza keygen --out DIR [--name NAME] [--type ecdsa-p256|rsa-2048] [--cn CN] [--days N] [--member ID]

Makes a signing key and a self-signed certificate for it: DIR/NAME.key (PKCS#8
PEM, readable by you only) and DIR/NAME.crt. Existing files are never
overwritten.

Use it for Darbaza's own key (the one that signs every response; give callers
the .crt) or, as an integrator, for the key your system signs requests with:
keep the .key secret and give the .crt to the registry's operators, who add
the snippet printed at the end to Darbaza's config file.

Flags:
`

func runKeygen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, keygenUsage); fl.PrintDefaults() }
	out := fl.String("out", "", "folder to write NAME.key and NAME.crt into (required)")
	name := fl.String("name", "darbaza", "file name stem of the key and certificate")
	kind := fl.String("type", signing.KeyECDSAP256, "key type: "+signing.KeyECDSAP256+" or "+signing.KeyRSA2048)
	cn := fl.String("cn", "", "certificate subject common name (default: --member, else NAME)")
	days := fl.Int("days", 730, "days the certificate is valid")
	member := fl.String("member", "", "X-Road client id the certificate signs for, INSTANCE/CLASS/CODE[/SUBSYSTEM] (for the config snippet)")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if code := checkArgs(stderr, fl, 0, "", "out"); code != 0 {
		return code
	}
	if *days <= 0 {
		fmt.Fprintf(stderr, "darbaza keygen: --days %d: want a positive number of days\n", *days)
		return 2
	}
	if *member != "" {
		if _, err := soap.ParseClientID(*member); err != nil {
			fmt.Fprintln(stderr, "darbaza keygen: --member:", err)
			return 2
		}
	}
	if *cn == "" {
		*cn = *name
		if *member != "" {
			*cn = *member
		}
	}
	keyPath := filepath.Join(*out, *name+".key")
	certPath := filepath.Join(*out, *name+".crt")
	for _, p := range []string{keyPath, certPath} {
		if _, err := os.Stat(p); err == nil {
			fmt.Fprintf(stderr, "darbaza keygen: %s exists; refusing to overwrite it\n", p)
			return 1
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(stderr, "darbaza keygen:", err)
		return 1
	}
	cert, err := writeKeyPair(keyPath, certPath, *kind, *cn, time.Duration(*days)*24*time.Hour, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "darbaza keygen:", err)
		return 1
	}
	id := *member
	if id == "" {
		id = "INSTANCE/CLASS/CODE/SUBSYSTEM  # the caller's xrd:client identifier"
	}
	abs, err := filepath.Abs(certPath)
	if err != nil {
		abs = certPath
	}
	fmt.Fprintf(stdout, "wrote %s (keep it secret) and %s\n", keyPath, certPath)
	fmt.Fprintf(stdout, "certificate SHA-256 fingerprint: %s\n", signing.Fingerprint(cert))
	fmt.Fprintf(stdout, "valid until %s\n\n", cert.NotAfter.UTC().Format(time.RFC3339))
	fmt.Fprintf(stdout, "For a caller, add to the members of Darbaza's config file:\n\n")
	fmt.Fprintf(stdout, "members:\n  - id: %s\n    certificates: [%s]\n    services: [getPerson]  # the service codes it may call\n", id, abs)
	return 0
}

// writeKeyPair makes a key of kind and a self-signed certificate for cn,
// valid from now for validFor, and writes them to keyPath (0600) and
// certPath. Neither file may exist; if the certificate cannot be written,
// the key is removed again.
func writeKeyPair(keyPath, certPath, kind, cn string, validFor time.Duration, now time.Time) (*x509.Certificate, error) {
	key, err := signing.GenerateKey(kind)
	if err != nil {
		return nil, err
	}
	cert, err := signing.SelfSignedCertificate(key, cn, validFor, now)
	if err != nil {
		return nil, err
	}
	if err := signing.WriteKeyPEM(keyPath, key); err != nil {
		return nil, err
	}
	if err := signing.WriteCertPEM(certPath, cert); err != nil {
		if !errors.Is(err, signing.ErrExists) {
			os.Remove(keyPath)
		}
		return nil, err
	}
	return cert, nil
}
