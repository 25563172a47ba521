package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The operators' kit: serve --check-config, version and its metric,
// command lines that name what they lack, send's printing options, and the
// WSDL under any letter case.

func TestCheckConfigAcceptsTheDemoAndNamesWhatIsWrong(t *testing.T) {
	s := startServer(t)
	s.stop(t)
	config := filepath.Join(s.Dir, "darbaza.yaml")
	code, out, errOut := darbaza(t, "serve", "--check-config", "--config", config)
	if code != 0 || !strings.Contains(out, "good") || !strings.Contains(out, "members:") {
		t.Fatalf("--check-config of the demo: exit %d\n%s%s", code, out, errOut)
	}
	raw, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"a member certificate that does not exist", "members/portal.crt", "members/nobody.crt", "certificates[0]"},
		{"a service this adapter does not offer", "getPerson", "getWeather", "getWeather is not a service"},
		{"an adapter key that does not exist", `key: ""         # adapter key`, `key: "/nonexistent/adapter.key" # adapter key`, "adapter key"},
		{"a PostgreSQL password file that does not exist", "storage: bolt\n", "storage: postgres\npostgres:\n  dsn: postgres://darbaza@127.0.0.1:1/darbaza\n  password_file: /nonexistent/pg-password\n", "password file"},
		{"a checkpoint key that does not exist", "access_log:\n", "access_log:\n  checkpoint_key: /nonexistent/checkpoint.key\n  checkpoint_cert: /nonexistent/checkpoint.crt\n", "access_log.checkpoint_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(raw), tc.from) {
				t.Fatalf("the demo config has no %q", tc.from)
			}
			bad := filepath.Join(s.Dir, "bad.yaml")
			if err := os.WriteFile(bad, []byte(strings.Replace(string(raw), tc.from, tc.to, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := darbaza(t, "serve", "--check-config", "--config", bad)
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want 1 and an error naming %q\n%s%s", code, tc.want, out, errOut)
			}
		})
	}
}

func TestVersionAndBuildInfoMetricAgree(t *testing.T) {
	code, out, _ := darbaza(t, "version")
	if code != 0 || !strings.HasPrefix(out, "darbaza ") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: exit %d %q", code, out)
	}
	s := startServer(t)
	_, metrics := get(t, s.URL+"metrics")
	b := build()
	want := `darbaza_build_info{commit="` + b.Commit + `",goversion="` + b.GoVersion + `"`
	if !strings.Contains(metrics, want) || !strings.Contains(out, b.GoVersion) {
		t.Errorf("metrics lack %s\n%s", want, grepLines(metrics, "build_info"))
	}
}

func TestACommandLineNamesTheFlagItLacks(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--key", "k", "--cert", "c", "--server-cert", "s", "file.xml"}, "--url is required"},
		{[]string{"send", "--url", "u", "--key", "k", "--cert", "c", "file.xml"}, "--server-cert is required"},
		{[]string{"sign", "--cert", "c", "file.xml"}, "--key is required"},
		{[]string{"sign", "--key", "k", "--cert", "c"}, "the request file (or - for standard input) is missing"},
		{[]string{"backup", "--data", "d"}, "--out is required"},
		{[]string{"keygen", "--name", "x"}, "--out is required"},
	} {
		code, _, errOut := darbaza(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("darbaza %s: exit %d, want 2 and %q\n%s", strings.Join(tc.args, " "), code, tc.want, errOut)
		}
	}
}

func TestSendPrintsTheBodyAloneAndIndented(t *testing.T) {
	s := startServer(t)
	key, cert := s.member("portal")
	sample := filepath.Join("..", "..", "testdata", "requests", "getPerson-found.xml")
	code, out, errOut := darbaza(t, "send", "--url", s.URL, "--key", key, "--cert", cert, "--server-cert", s.adapterCert(),
		"--body", "--pretty", sample)
	if code != 0 || !strings.Contains(errOut, "answer signature verified") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "Envelope") || strings.Contains(out, "Signature") || !strings.HasPrefix(out, "<getPersonResponse") {
		t.Errorf("--body printed more than the Body's content:\n%s", out)
	}
	if !strings.Contains(out, "\n  <result>") {
		t.Errorf("--pretty did not indent:\n%s", out)
	}
}

func TestTheWSDLIsServedUnderAnyLetterCase(t *testing.T) {
	s := startServer(t)
	for _, q := range []string{"wsdl", "WSDL", "Wsdl"} {
		if code, body := get(t, s.URL+"?"+q); code != 200 || !strings.Contains(body, "<wsdl:definitions") {
			t.Errorf("GET /?%s: %d", q, code)
		}
	}
}

// TestSendNamesAWrongServerCertificate: an answer checked against a
// certificate that is not Darbaza's is refused, and the message says it is
// --server-cert that does not match.
func TestSendNamesAWrongServerCertificate(t *testing.T) {
	s := startServer(t)
	key, cert := s.member("portal")
	sample := filepath.Join("..", "..", "testdata", "requests", "getPerson-found.xml")
	code, out, errOut := darbaza(t, "send", "--url", s.URL, "--key", key, "--cert", cert, "--server-cert", cert, sample)
	if code != 1 || !strings.Contains(errOut, "other than --server-cert") {
		t.Errorf("send with the member's own certificate as --server-cert: exit %d, want 1 naming --server-cert\n%s%s", code, out, errOut)
	}
}
