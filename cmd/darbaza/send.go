package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/signing"
)

const sendUsage = `Usage: darbaza send --url URL --key KEY --cert CERT --server-cert SERVER_CERT [--keep-id] FILE

Signs an X-Road 4.0 request (FILE, or - for standard input) as 'darbaza sign'
does, POSTs it to URL (Content-Type: text/xml; charset=utf-8), checks the
signed answer and prints it.

The answer is accepted only if it is signed with SERVER_CERT (a PEM file;
any of its certificates), its signature covers the Body, the Timestamp and
every echoed X-Road header, its Timestamp is fresh, and its xrd:requestHash
is the SHA-512 of exactly the bytes sent. The exit status is 0 for such an
answer, 1 for a SOAP fault or an answer that fails these checks (the answer
is printed all the same), 2 for bad flags or files.

The request gets a fresh xrd:id (a random UUID) unless --keep-id is given:
Darbaza refuses a (client, id) pair it has already seen.

Flags:
`

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("send", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, sendUsage); fl.PrintDefaults() }
	url := fl.String("url", "", "Darbaza's endpoint, e.g. https://darbaza.example:8443/ (required)")
	keyFile := fl.String("key", "", "your PEM private key (required)")
	certFile := fl.String("cert", "", "your PEM certificate, registered in Darbaza's config (required)")
	serverCert := fl.String("server-cert", "", "Darbaza's PEM certificate, to check the answer's signature (required unless --insecure-skip-verify-response)")
	keepID := fl.Bool("keep-id", false, "send the request's xrd:id as it is instead of a fresh UUID")
	skipVerify := fl.Bool("insecure-skip-verify-response", false, "print the answer without checking its signature (for debugging only)")
	timeout := fl.Duration("timeout", 30*time.Second, "give up after this long")
	pretty := fl.Bool("pretty", false, "print the answer indented (the signature is checked on the bytes received)")
	bodyOnly := fl.Bool("body", false, "print only the content of the answer's SOAP Body")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	required := []string{"url", "key", "cert"}
	if !*skipVerify {
		required = append(required, "server-cert")
	}
	if code := checkArgs(stderr, fl, 1, "the request file (or - for standard input)", required...); code != 0 {
		return code
	}
	signer, err := loadSigner(*keyFile, *certFile)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza send:", err)
		return 2
	}
	var pinned []*x509.Certificate
	if !*skipVerify {
		if pinned, err = signing.LoadCertificates(*serverCert); err != nil {
			fmt.Fprintln(stderr, "darbaza send:", err)
			return 2
		}
	}
	raw, err := readInput(fl.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "darbaza send:", err)
		return 2
	}
	request, err := signRequest(signer, raw, !*keepID)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza send:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	answer, status, err := post(ctx, *url, request)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza send:", err)
		return 1
	}
	doc, err := parseResponse(answer)
	if err != nil {
		stdout.Write(answer)
		fmt.Fprintf(stderr, "darbaza send: HTTP %d, answer is not XML: %v\n", status, err)
		return 1
	}
	printAnswer(stdout, answer, doc, *pretty, *bodyOnly)
	if code, text, ok := soapFault(doc); ok {
		fmt.Fprintf(stderr, "darbaza send: SOAP fault %s: %s\n", code, text)
		return 1
	}
	if *skipVerify {
		fmt.Fprintln(stderr, "darbaza send: WARNING: the answer's signature was not checked")
		return 0
	}
	if err := verifyAnswer(doc, request, pinned); err != nil {
		fmt.Fprintln(stderr, "darbaza send: the answer does not verify:", err)
		return 1
	}
	fmt.Fprintln(stderr, "darbaza send: answer signature verified")
	return 0
}

// post sends a signed request and returns the answer body and HTTP status.
func post(ctx context.Context, url string, request []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(request))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return body, resp.StatusCode, err
}

// verifyAnswer checks the answer's signature against the pinned server
// certificates and its xrd:requestHash against the bytes sent.
func verifyAnswer(doc *etree.Document, request []byte, pinned []*x509.Certificate) error {
	required, err := signing.SignedParts(doc)
	if err != nil {
		return err
	}
	var p signing.Policy
	for _, cert := range pinned {
		_, err = p.CheckPinned(doc, cert, required)
		if !errors.Is(err, signing.ErrUntrustedCertificate) {
			break
		}
	}
	if errors.Is(err, signing.ErrUntrustedCertificate) {
		return errors.New("it is signed with a certificate other than --server-cert (is that Darbaza's certificate, keys/adapter.crt of the server's data folder?)")
	}
	if err != nil {
		return err
	}
	return signing.CheckRequestHash(doc, request)
}

// soapFault returns the faultcode and faultstring if doc's Body is a SOAP 1.1 Fault.
func soapFault(doc *etree.Document) (code, text string, ok bool) {
	body, err := signing.Body(doc)
	if err != nil {
		return "", "", false
	}
	for _, c := range body.ChildElements() {
		if c.Tag == "Fault" && c.NamespaceURI() == "http://schemas.xmlsoap.org/soap/envelope/" {
			if el := c.SelectElement("faultcode"); el != nil {
				code = el.Text()
			}
			if el := c.SelectElement("faultstring"); el != nil {
				text = el.Text()
			}
			return code, text, true
		}
	}
	return "", "", false
}

// printAnswer writes the answer as received, or indented, or only the
// content of its Body. It works on a copy: doc is what gets verified.
func printAnswer(w io.Writer, answer []byte, doc *etree.Document, pretty, bodyOnly bool) {
	if !pretty && !bodyOnly {
		w.Write(answer)
		if len(answer) > 0 && answer[len(answer)-1] != '\n' {
			fmt.Fprintln(w)
		}
		return
	}
	out := doc.Copy()
	if bodyOnly {
		if body := out.FindElement("/Envelope/Body"); body != nil {
			out = etree.NewDocument()
			for _, el := range body.ChildElements() {
				out.AddChild(el.Copy())
			}
		}
	}
	if pretty {
		out.Indent(2)
	}
	out.WriteTo(w)
	fmt.Fprintln(w)
}
