package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

const signUsage = `Usage: darbaza sign --key KEY --cert CERT [--new-id] FILE

Signs an unsigned X-Road 4.0 request (FILE, or - for standard input) with
WS-Security as Darbaza expects it and writes the signed request to standard
output. The signature covers the SOAP Body, a fresh wsu:Timestamp (valid for
5 minutes) and every X-Road header (xrd:client, xrd:service, xrd:id, ...,
repr:representedParty); the certificate travels in a BinarySecurityToken.

KEY and CERT are PEM files as 'darbaza keygen' writes them; the certificate
must be registered in Darbaza's config for the member named in xrd:client.
A request may be sent only once per xrd:id: use --new-id to give it a fresh
one (a random UUID) before signing, or use 'darbaza send', which does that.

Flags:
`

func runSign(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("sign", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, signUsage); fl.PrintDefaults() }
	keyFile := fl.String("key", "", "PEM private key (required)")
	certFile := fl.String("cert", "", "PEM certificate of the key (required)")
	newID := fl.Bool("new-id", false, "replace the xrd:id header with a fresh UUID before signing")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if code := checkArgs(stderr, fl, 1, "the request file (or - for standard input)", "key", "cert"); code != 0 {
		return code
	}
	signer, err := loadSigner(*keyFile, *certFile)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza sign:", err)
		return 2
	}
	raw, err := readInput(fl.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "darbaza sign:", err)
		return 2
	}
	signed, err := signRequest(signer, raw, *newID)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza sign:", err)
		return 1
	}
	if _, err := stdout.Write(signed); err != nil {
		fmt.Fprintln(stderr, "darbaza sign:", err)
		return 1
	}
	return 0
}

func loadSigner(keyFile, certFile string) (*signing.Signer, error) {
	key, cert, err := signing.LoadKeyPair(keyFile, certFile)
	if err != nil {
		return nil, err
	}
	return &signing.Signer{Key: key, Certificate: cert}, nil
}

// readInput reads a file, or standard input for "-".
func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

// signRequest parses an unsigned request, optionally gives it a fresh xrd:id,
// and signs its Body and X-Road headers.
func signRequest(signer *signing.Signer, raw []byte, newID bool) ([]byte, error) {
	doc, err := soap.ParseXML(raw, soap.Limits{})
	if err != nil {
		return nil, err
	}
	if newID {
		id, err := signing.NewMessageID(nil)
		if err != nil {
			return nil, err
		}
		if err := signing.SetMessageID(doc, id); err != nil {
			return nil, err
		}
	}
	parts, err := signing.SignedParts(doc)
	if err != nil {
		return nil, err
	}
	if err := signer.Sign(doc, parts); err != nil {
		return nil, err
	}
	return signing.Marshal(doc)
}

// parseResponse parses a response as the server's parser would.
func parseResponse(raw []byte) (*etree.Document, error) {
	return soap.ParseXML(raw, soap.Limits{MaxBytes: 16 << 20})
}
