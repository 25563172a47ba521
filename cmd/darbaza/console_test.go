package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/darbaza/darbaza/adapter/accesslog/witness"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/adapter/console"
	"github.com/darbaza/darbaza/internal/testkeys"
)

// TestServeRunsTheConsoleAndAuditListsItsSearches runs the real binary
// with an auditor: the console answers on its own HTTPS port, a search by
// PIN finds the person's SOAP request, and after shutdown `audit list
// --pin` shows both the request and the auditor's search, and `audit
// verify` covers them.
func TestServeRunsTheConsoleAndAuditListsItsSearches(t *testing.T) {
	const pin = "21505198500123" // testdata/requests/getPerson-found.xml
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	consoleAddr := ln.Addr().String()
	ln.Close()
	s := startServerWith(t, func(d string) {
		if code, out, errOut := darbaza(t, "keygen", "--out", filepath.Join(d, "members"), "--name", "console-tls"); code != 0 {
			t.Fatalf("keygen: exit %d\n%s%s", code, out, errOut)
		}
		cmd := exec.Command(binary, "console-password", "--name", "aida")
		cmd.Stdin = strings.NewReader("correct horse battery staple\n")
		entry, err := cmd.Output()
		if err != nil {
			t.Fatalf("console-password: %v", err)
		}
		path := filepath.Join(d, "darbaza.yaml")
		conf, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		conf = append(conf, "\nconsole:\n  listen: "+consoleAddr+"\n  cert: members/console-tls.crt\n  key: members/console-tls.key\n  auditors:\n"+string(entry)...)
		if err := os.WriteFile(path, conf, 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out, errOut := darbaza(t, "serve", "--check-config", "--config", path); code != 0 || !strings.Contains(out, "1 auditors") {
			t.Fatalf("check-config with a console: exit %d\n%s%s", code, out, errOut)
		}
	})
	if code, out, errOut := s.send(t, "portal", "../../testdata/requests/getPerson-found.xml"); code != 0 {
		t.Fatalf("send: exit %d\n%s%s", code, out, errOut)
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, // the console's self-signed certificate is not under test
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "https://" + consoleAddr
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	page := func(path string) string {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		_, body := readAll(t, resp)
		return body
	}
	post := func(path string, form url.Values, from string) *http.Response {
		t.Helper()
		form.Set("csrf", csrf.FindStringSubmatch(page(from))[1])
		resp, err := c.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post("/login", url.Values{"name": {"aida"}, "password": {"correct horse battery staple"}}, "/login"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	resp := post("/search", url.Values{"pin": {pin}}, "/search")
	results := page(resp.Header.Get("Location"))
	if !strings.Contains(results, "<td>getPerson</td>") || !strings.Contains(results, "<td>console.search</td>") {
		t.Fatalf("the console's search by PIN does not list the getPerson request and itself:\n%s", results)
	}
	if soap, _ := get(t, s.URL+"healthz"); soap != http.StatusOK {
		t.Fatalf("the SOAP listener's /healthz: %d", soap)
	}
	s.stop(t)

	data := filepath.Join(s.Dir, "data")
	if code, out, errOut := darbaza(t, "audit", "verify", "--data", data); code != 0 {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	_, list, _ := darbaza(t, "audit", "list", "--data", data, "--pin", pin)
	if !strings.Contains(list, "getPerson") || !strings.Contains(list, "console/aida") || !strings.Contains(list, "console.search") {
		t.Fatalf("audit list --pin does not show the request and aida's search:\n%s", list)
	}
	if strings.Contains(list, pin) {
		t.Fatal("audit list shows the raw PIN")
	}
}

func readAll(tb testing.TB, resp *http.Response) (int, string) {
	tb.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestConsolePasswordPrintsAHashTheConsoleAccepts(t *testing.T) {
	var out, errOut strings.Builder
	if code := consolePassword([]string{"--name", "aida"}, strings.NewReader("correct horse battery staple\n"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	cfg, err := config.Parse([]byte("console:\n  auditors:\n" + out.String()))
	if err != nil {
		t.Fatalf("the printed entry is not config: %v\n%s", err, out.String())
	}
	if a := cfg.Console.Auditors; len(a) != 1 || a[0].Name != "aida" || console.CheckHash(a[0].PasswordHash) != nil {
		t.Fatalf("entry %+v", a)
	}
	if strings.Contains(out.String(), "correct horse") {
		t.Fatal("the password is printed")
	}
	out.Reset()
	if code := consolePassword(nil, strings.NewReader("short\n"), &out, &errOut); code != 1 || out.Len() != 0 {
		t.Fatalf("a short password: exit %d, printed %q", code, out.String())
	}
}

func TestParseCosignedReadsTheSizeAndTheNewestCosignature(t *testing.T) {
	logKey := testkeys.EC(t, "checkpoints")
	logSigner, err := witness.NewECDSASigner("example.org/darbaza", logKey.Key)
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := witness.GenerateWitnessKey("witness.example.org")
	if err != nil {
		t.Fatal(err)
	}
	cosigner, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second).UTC()
	msg, err := note.Sign(&note.Note{Text: witness.Checkpoint{Origin: "example.org/darbaza", Size: 1234}.Text()}, logSigner, cosigner)
	if err != nil {
		t.Fatal(err)
	}
	w, err := parseCosigned(msg)
	if err != nil {
		t.Fatal(err)
	}
	if w.Seq != 1234 || w.Witness != "witness.example.org" || w.Time.Before(before.Truncate(time.Second)) || w.Time.After(time.Now().Add(time.Second)) {
		t.Fatalf("parsed %+v from\n%s", w, msg)
	}
	for _, bad := range []string{"", "no blank line", "origin\nnot-a-size\nroot\n\n— x AAAA\n"} {
		if _, err := parseCosigned([]byte(bad)); err == nil {
			t.Errorf("parseCosigned(%q) succeeded", bad)
		}
	}
}
