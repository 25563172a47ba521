package main

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeOverMutualTLSTrustsOnlyListedProxies runs the binary with HTTPS
// and a trusted proxy (docs/protocol.md, "Callers"): the proxy's unsigned request is
// answered; the same request without that client certificate, or with
// another one, is refused as unsigned.
func TestServeOverMutualTLSTrustsOnlyListedProxies(t *testing.T) {
	var dir string
	s := startServerWith(t, func(d string) {
		dir = d
		for _, name := range []string{"tls-server", "security-server", "stranger"} {
			if code, out, errOut := darbaza(t, "keygen", "--out", filepath.Join(d, "members"), "--name", name); code != 0 {
				t.Fatalf("keygen %s: exit %d\n%s%s", name, code, out, errOut)
			}
		}
		path := filepath.Join(d, "darbaza.yaml")
		conf, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		conf = bytes.Replace(conf, []byte(`  cert: ""        # server certificate (PEM); empty means plain HTTP
  key: ""         # its private key (PEM)`), []byte(`  cert: members/tls-server.crt
  key: members/tls-server.key`), 1)
		conf = bytes.Replace(conf, []byte("trusted_proxies: []"), []byte("trusted_proxies: [members/security-server.crt]"), 1)
		if !bytes.Contains(conf, []byte("members/tls-server.crt")) || !bytes.Contains(conf, []byte("[members/security-server.crt]")) {
			t.Fatalf("could not edit the demo config:\n%s", conf)
		}
		if err := os.WriteFile(path, conf, 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("served on %s, want https", s.URL)
	}
	unsigned, err := os.ReadFile("../../testdata/requests/getPerson-found.xml")
	if err != nil {
		t.Fatal(err)
	}
	post := func(clientCert string) string {
		t.Helper()
		cfg := &tls.Config{InsecureSkipVerify: true} // the server's self-signed certificate is not under test
		if clientCert != "" {
			base := filepath.Join(dir, "members", clientCert)
			pair, err := tls.LoadX509KeyPair(base+".crt", base+".key")
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := c.Post(s.URL, "text/xml; charset=utf-8", bytes.NewReader(unsigned))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if out := post("security-server"); !strings.Contains(out, "<code>OK</code>") {
		t.Errorf("unsigned request from the trusted proxy was not answered:\n%.600s", out)
	}
	for _, cert := range []string{"", "stranger"} {
		if out := post(cert); !strings.Contains(out, "Client.MissingSignature") {
			t.Errorf("unsigned request with client certificate %q: want Client.MissingSignature\n%.600s", cert, out)
		}
	}
}
