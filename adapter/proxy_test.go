package adapter_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// tlsPair turns a key pair into a TLS certificate.
func tlsPair(kp keyPair) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{kp.Cert.Raw}, PrivateKey: kp.Key, Leaf: kp.Cert}
}

// TestTrustedProxyMaySendUnsigned checks docs/protocol.md, "Callers": an unsigned request
// is accepted only over a TLS connection whose client certificate is a
// listed trusted proxy; access rights still apply.
func TestTrustedProxyMaySendUnsigned(t *testing.T) {
	proxy := newKeyPair(t, "security-server.tunduk.kg")
	other := newKeyPair(t, "somebody-else")
	serverKey := newKeyPair(t, "127.0.0.1")
	hs := newHarnessWith(t, func(o *adapter.Options) {
		o.TrustedProxies = map[string]bool{signing.Fingerprint(proxy.Cert): true}
	})
	pool := x509.NewCertPool()
	pool.AddCert(proxy.Cert)
	pool.AddCert(other.Cert)
	srv := httptest.NewUnstartedServer(hs.handler)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{tlsPair(serverKey)},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
	}
	srv.StartTLS()
	defer srv.Close()

	post := func(client *tls.Certificate, url string, body []byte) string {
		t.Helper()
		cfg := &tls.Config{InsecureSkipVerify: true} // the server's own certificate is not under test
		if client != nil {
			cfg.Certificates = []tls.Certificate{*client}
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := c.Post(url, "text/xml; charset=utf-8", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return string(out)
	}
	unsigned := readSample(t, "../testdata/requests/getPerson-found.xml")
	proxyCert, otherCert := tlsPair(proxy), tlsPair(other)

	if out := post(&proxyCert, srv.URL, unsigned); !strings.Contains(out, "<code>OK</code>") {
		t.Errorf("unsigned request via the trusted proxy was not answered:\n%s", out)
	}
	if out := post(&otherCert, srv.URL, unsigned); !strings.Contains(out, adapter.CodeMissingSignature) {
		t.Errorf("unsigned request with an unlisted client certificate: want %s\n%s", adapter.CodeMissingSignature, out)
	}
	if out := post(nil, srv.URL, unsigned); !strings.Contains(out, adapter.CodeMissingSignature) {
		t.Errorf("unsigned request without a client certificate: want %s\n%s", adapter.CodeMissingSignature, out)
	}
	dwelling := readSample(t, "../testdata/requests/getDwellingResidents-ten.xml")
	asPortal := bytes.ReplaceAll(dwelling, []byte("70000003</id:memberCode>\n      <id:subsystemCode>sanarip-aymak"), []byte("70000002</id:memberCode>\n      <id:subsystemCode>portal"))
	if out := post(&proxyCert, srv.URL, asPortal); !strings.Contains(out, soap.CodeAccessDenied) {
		t.Errorf("access rights must apply to proxied requests too: want %s\n%s", soap.CodeAccessDenied, out)
	}
}
