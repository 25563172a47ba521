package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/internal/testenv"
	"github.com/darbaza/darbaza/signing"
)

// Interop with real SOAP clients (docs/protocol.md, "Stock clients"): node-soap's WSSecurityCert
// and python zeep's BinarySignature sign requests built from GET /?wsdl, the
// real binary answers, and xmlsec1 verifies every answer independently. The
// client scripts and what an integrator adds to each are in
// testdata/interop; `make interop-deps` installs the tools. Without a tool
// its test is skipped, except under CI (set to any value), where it fails:
// see internal/testenv.

const (
	interopDir   = "../../testdata/interop"
	debianPython = "/usr/bin/python3" // Debian's, with python3-zeep and python3-xmlsec
	portalID     = "central-server/GOV/70000002/portal"
	sanaripID    = "central-server/GOV/70000003/sanarip-aymak"
	interopPIN   = "21505198500123"
)

// requireTool skips the test when a tool is missing, or fails it under CI.
func requireTool(tb testing.TB, what string, err error) {
	tb.Helper()
	testenv.Require(tb, what+" (make interop-deps installs it)", err)
}

func haveXmlsec1() error {
	_, err := exec.LookPath("xmlsec1")
	return err
}

func haveNodeSoap() error {
	if _, err := exec.LookPath("node"); err != nil {
		return err
	}
	_, err := os.Stat(filepath.Join(interopDir, "node_modules", "soap", "package.json"))
	return err
}

func haveZeep() error {
	out, err := exec.Command(debianPython, "-c", "import zeep, xmlsec").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s -c 'import zeep, xmlsec': %w: %s", debianPython, err, out)
	}
	return nil
}

// startServerWith is startServer for a demo folder that edit may change
// before the server first reads it: the folder is prepared in-process as
// `serve --demo` would, edited, then served by the real binary.
func startServerWith(tb testing.TB, edit func(dir string)) *testServer {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "demo")
	if _, err := prepareDemo(dir, io.Discard); err != nil {
		tb.Fatal(err)
	}
	edit(dir)
	return startServerAt(tb, dir)
}

// bindRSAPortalKey makes an RSA-2048 key for the portal with `darbaza
// keygen` (members/portal-rsa.{key,crt}) and binds its certificate to the
// portal in the demo config, beside the ECDSA one: xml-crypto, which
// node-soap signs with, has no ECDSA.
func bindRSAPortalKey(tb testing.TB) func(dir string) {
	return func(dir string) {
		tb.Helper()
		if code, out, errOut := darbaza(tb, "keygen", "--out", filepath.Join(dir, "members"), "--name", "portal-rsa",
			"--type", "rsa-2048", "--member", portalID); code != 0 {
			tb.Fatalf("keygen: exit %d\n%s%s", code, out, errOut)
		}
		path := filepath.Join(dir, "darbaza.yaml")
		conf, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		old := []byte("certificates: [members/portal.crt]")
		if bytes.Count(conf, old) != 1 {
			tb.Fatalf("the demo config does not bind members/portal.crt once:\n%s", conf)
		}
		conf = bytes.Replace(conf, old, []byte("certificates: [members/portal.crt, members/portal-rsa.crt]"), 1)
		if err := os.WriteFile(path, conf, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
}

// client is one run of a client script.
type client struct {
	name    string
	command func(s *testServer, out string) *exec.Cmd
}

func nodeSoap(keyName, member string, extra ...string) func(*testServer, string) *exec.Cmd {
	return func(s *testServer, out string) *exec.Cmd {
		key, cert := s.member(keyName)
		args := append([]string{"--no-deprecation", "node-soap-client.js", "--url", s.URL, "--key", key, "--cert", cert,
			"--server-cert", s.adapterCert(), "--client", member, "--pin", interopPIN, "--out", out}, extra...)
		return exec.Command("node", args...)
	}
}

func zeep(keyName, member string, extra ...string) func(*testServer, string) *exec.Cmd {
	return func(s *testServer, out string) *exec.Cmd {
		key, cert := s.member(keyName)
		args := append([]string{"zeep-client.py", "--url", s.URL, "--key", key, "--cert", cert,
			"--server-cert", s.adapterCert(), "--client", member, "--pin", interopPIN, "--out", out}, extra...)
		return exec.Command(debianPython, args...)
	}
}

// run runs a client script in testdata/interop and returns its exit code,
// its output and the request and response it saved.
func (c client) run(tb testing.TB, s *testServer) (code int, output string, request, response []byte) {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "response.xml")
	cmd := c.command(s, out)
	cmd.Dir = interopDir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		tb.Fatalf("%s: %v", c.name, err)
	}
	request, _ = os.ReadFile(out + ".request")
	response, _ = os.ReadFile(out)
	return code, buf.String(), request, response
}

const (
	nsSOAP  = "http://schemas.xmlsoap.org/soap/envelope/"
	nsWSU   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsXRoad = "http://x-road.eu/xsd/xroad.xsd"
)

// xroadHeaders are the X-Road headers an answer to the clients carries, each with a wsu:Id.
var xroadHeaders = []string{"client", "service", "id", "userId", "issue", "protocolVersion", "requestHash"}

// xmlsec1Verify runs `xmlsec1 --verify` on response with the adapter's
// certificate, declaring Id as the id attribute of every element that
// carries a wsu:Id (xmlsec1 knows only xml:id and the ds: ids).
func xmlsec1Verify(tb testing.TB, s *testServer, response []byte) (ok bool, output string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "verify.xml")
	if err := os.WriteFile(path, response, 0o600); err != nil {
		tb.Fatal(err)
	}
	args := []string{"--verify", "--pubkey-cert-pem", s.adapterCert(),
		"--id-attr:Id", nsSOAP + ":Body", "--id-attr:Id", nsWSU + ":Timestamp"}
	for _, h := range xroadHeaders {
		args = append(args, "--id-attr:Id", nsXRoad+":"+h)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xmlsec1", append(args, path)...).CombinedOutput()
	return err == nil && bytes.HasPrefix(out, []byte("OK")), string(out)
}

// checkCoverage checks that the response's SignedInfo references the
// Body, the Timestamp and every X-Road header: xmlsec1 checks the
// references present, not which elements they cover.
func checkCoverage(tb testing.TB, response []byte) {
	tb.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(response); err != nil {
		tb.Fatalf("response does not parse: %v", err)
	}
	refs := map[string]bool{}
	for _, r := range doc.FindElements("//SignedInfo/Reference") {
		refs[strings.TrimPrefix(r.SelectAttrValue("URI", ""), "#")] = true
	}
	var must []*etree.Element
	must = append(must, doc.FindElements("/Envelope/Body")...)
	must = append(must, doc.FindElements("/Envelope/Header/Security/Timestamp")...)
	for _, h := range doc.FindElements("/Envelope/Header/*") {
		if h.NamespaceURI() == nsXRoad {
			must = append(must, h)
		}
	}
	if want := 2 + len(xroadHeaders); len(must) != want {
		tb.Errorf("response has %d elements to sign, want %d (Body, Timestamp, %s)", len(must), want, strings.Join(xroadHeaders, ", "))
	}
	for _, el := range must {
		id := ""
		for _, a := range el.Attr {
			if a.Key == "Id" && a.NamespaceURI() == nsWSU {
				id = a.Value
			}
		}
		if id == "" || !refs[id] {
			tb.Errorf("response element %s (wsu:Id %q) is not referenced by the signature", el.FullTag(), id)
		}
	}
}

var resultRe = regexp.MustCompile(`(?m)^result (\w+);`)
var faultRe = regexp.MustCompile(`(?m)^fault (\S+):`)

func TestRealClientsAreAnsweredAndXmlsec1VerifiesTheAnswers(t *testing.T) {
	requireTool(t, "xmlsec1 (Debian xmlsec1)", haveXmlsec1())
	nodeErr, zeepErr := haveNodeSoap(), haveZeep()
	if nodeErr != nil && zeepErr != nil {
		requireTool(t, "node-soap (npm ci in testdata/interop) and zeep (Debian python3-zeep, python3-xmlsec)", errors.Join(nodeErr, zeepErr))
	}
	s := startServerWith(t, bindRSAPortalKey(t))

	answered := []struct {
		client
		tool error
	}{
		{client{"node-soap WSSecurityCert, RSA-2048 portal key", nodeSoap("portal-rsa", portalID)}, nodeErr},
		{client{"zeep BinarySignature, ECDSA P-256 demo key", zeep("sanarip-aymak", sanaripID)}, zeepErr},
		{client{"zeep BinarySignature, RSA-2048 portal key", zeep("portal-rsa", portalID, "--rsa")}, zeepErr},
	}
	for _, c := range answered {
		t.Run(c.name, func(t *testing.T) {
			requireTool(t, c.name, c.tool)
			code, output, request, response := c.run(t, s)
			if m := resultRe.FindStringSubmatch(output); code != 0 || m == nil || m[1] != "OK" {
				t.Fatalf("exit %d, want an answer with result OK:\n%s\n%s", code, output, response)
			}
			if !bytes.Contains(request, []byte("SignatureMethod")) || !bytes.Contains(request, []byte("BinarySecurityToken")) {
				t.Fatalf("the client sent no signature:\n%s", request)
			}
			if ok, out := xmlsec1Verify(t, s, response); !ok {
				t.Fatalf("xmlsec1 --verify refused the answer:\n%s\n%s", out, response)
			}
			checkCoverage(t, response)
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(response); err != nil {
				t.Fatal(err)
			}
			if err := signing.CheckRequestHash(doc, request); err != nil {
				t.Errorf("requestHash is not the SHA-512 of the bytes the client saved as sent: %v", err)
			}
			// The same check must fail on a changed answer: xmlsec1 really verifies.
			forged := bytes.Replace(response, []byte("<code>OK</code>"), []byte("<code>KO</code>"), 1)
			if bytes.Equal(forged, response) {
				t.Fatalf("no <code>OK</code> in the answer:\n%s", response)
			}
			if ok, out := xmlsec1Verify(t, s, forged); ok {
				t.Errorf("xmlsec1 --verify accepted a changed answer:\n%s", out)
			}
		})
	}

	// Without the integrator's lines each client signs only Body and
	// Timestamp; Darbaza refuses that, and says why, in a signed fault.
	stock := []struct {
		client
		tool error
	}{
		{client{"stock node-soap WSSecurityCert", nodeSoap("portal-rsa", portalID, "--stock", "yes")}, nodeErr},
		{client{"stock zeep BinarySignature", zeep("sanarip-aymak", sanaripID, "--stock")}, zeepErr},
	}
	for _, c := range stock {
		t.Run(c.name+" is refused", func(t *testing.T) {
			requireTool(t, c.name, c.tool)
			code, output, _, response := c.run(t, s)
			if m := faultRe.FindStringSubmatch(output); code != 2 || m == nil || m[1] != "Client.UnsignedElement" {
				t.Fatalf("exit %d, want fault Client.UnsignedElement:\n%s\n%s", code, output, response)
			}
			if ok, out := xmlsec1Verify(t, s, response); !ok {
				t.Errorf("xmlsec1 --verify refused the fault:\n%s\n%s", out, response)
			}
		})
	}
}
