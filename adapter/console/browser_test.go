package console_test

import (
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/internal/testenv"
)

// newBrowser starts Debian's headless chromium for tb, or fails (under CI)
// or skips without it. The console's test server has a certificate the
// browser does not know, hence ignore-certificate-errors.
func newBrowser(tb testing.TB) context.Context {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	testenv.Require(tb, "chromium (Debian: apt-get install chromium; make interop-deps)", err)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(tb.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	tb.Cleanup(cancel)
	ctx, cancelCtx := chromedp.NewContext(actx)
	tb.Cleanup(cancelCtx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	tb.Cleanup(cancelT)
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// run runs browser actions, failing tb with what was being done.
func run(tb testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// value runs one browser action that yields a value.
func value[T any](tb testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	tb.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
	return v
}

func TestBrowserAuditorSession(t *testing.T) {
	h := newHarness(t)
	recs := h.seed(t, 20)
	ctx := newBrowser(t)
	base := h.srv.URL

	// A wrong password is refused, and so is a sign-in by certificate
	// without one.
	run(t, ctx, "wrong password",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "aida"),
		chromedp.SendKeys(chromedp.ID("password"), "not her password"),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	run(t, ctx, "sign-in without a certificate",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("login-cert")),
		chromedp.Click(chromedp.ID("login-cert")),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	if value(t, ctx, "after refusals", chromedp.Evaluate[bool](`document.getElementById("auditor") !== null`)) {
		t.Fatal("a refused sign-in shows a signed-in page")
	}
	var refusals []string
	for _, r := range h.consoleRecords(t) {
		refusals = append(refusals, r.Client+" "+r.Outcome+" "+r.Reason)
	}
	if want := []string{"console/aida LoginRefused wrong name or password", "console/unknown LoginRefused no client certificate"}; !slices.Equal(refusals, want) {
		t.Fatalf("recorded %q, want %q", refusals, want)
	}

	// The right password signs in.
	run(t, ctx, "sign-in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "aida"),
		chromedp.SendKeys(chromedp.ID("password"), aidaPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("chain-state")),
	)

	// Search by PIN.
	run(t, ctx, "search by PIN",
		chromedp.Click(chromedp.ID("nav-search")),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), testPIN),
		chromedp.Click(chromedp.ID("search")),
		chromedp.WaitVisible(chromedp.ID("records")),
	)
	rows := value(t, ctx, "search results", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#records tbody tr[data-seq]")).map(r => r.dataset.seq)`))
	searchURL := value(t, ctx, "search URL", chromedp.Location())
	var want []string
	for i := len(recs) - 1; i >= 0; i-- {
		if slices.Contains(recs[i].Subjects, h.log.SubjectID(testPIN)) {
			want = append(want, strconv.FormatUint(recs[i].Seq, 10))
		}
	}
	// First the search itself, recorded with the person as subject.
	if len(rows) != len(want)+1 || !slices.Equal(rows[1:], want) {
		t.Fatalf("the search lists %v, want the search's own record then %v", rows, want)
	}
	if strings.Contains(searchURL, testPIN) {
		t.Fatalf("the PIN is in the browser's URL %s", searchURL)
	}

	// Open a record.
	target := recs[len(recs)-2] // record 19, the person's newest
	run(t, ctx, "open a record",
		chromedp.Click(chromedp.CSS(`#records tr[data-seq="`+strconv.FormatUint(target.Seq, 10)+`"] a.open-record`)),
		chromedp.WaitVisible(chromedp.ID("record-id")),
	)
	id := value(t, ctx, "record id", chromedp.Text(chromedp.ID("record-id")))
	if id != target.ID {
		t.Fatalf("the record page shows id %q, want %q", id, target.ID)
	}

	// Download an export of the search and check it.
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "export",
		chromedp.Navigate(searchURL),
		chromedp.WaitVisible(chromedp.ID("export-jsonl")),
		chromedp.Click(chromedp.ID("export-jsonl")),
	)
	file := waitDownload(t, dir, ".jsonl")
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := accesslog.VerifyExport(context.Background(), strings.NewReader(string(content)),
		accesslog.VerifyOptions{Certificates: []*x509.Certificate{h.adapter.Cert}})
	if err != nil {
		t.Fatalf("the downloaded export does not verify: %v", err)
	}
	for _, r := range recs {
		inFull := strings.Contains(string(content), r.ID)
		if about := slices.Contains(r.Subjects, h.log.SubjectID(testPIN)); inFull != about {
			t.Errorf("record %d (about the person: %v) in full: %v", r.Seq, about, inFull)
		}
	}
	if rep.Records == 0 || rep.Omitted == 0 {
		t.Fatalf("export report %+v: want the person's records in full and the others as digests", rep)
	}

	// Run a verification and watch it end.
	run(t, ctx, "verification",
		chromedp.Click(chromedp.ID("nav-verify")),
		chromedp.WaitVisible(chromedp.ID("verify-start")),
		chromedp.Click(chromedp.ID("verify-start")),
		chromedp.WaitVisible(chromedp.CSS(`#verify[data-state="ok"]`)),
	)
	progress := value(t, ctx, "progress", chromedp.Evaluate[string](`String(document.getElementById("verify-progress").value)`))
	result := value(t, ctx, "result", chromedp.Text(chromedp.ID("verify-result")))
	if progress != "100" || !strings.Contains(result, "records:") {
		t.Fatalf("verification ended with progress %s and result %q", progress, result)
	}

	// The browser holds a session, yet a POST without the CSRF token is refused.
	code := value(t, ctx, "POST without CSRF", chromedp.Evaluate[int](
		`fetch("/verify", {method: "POST", body: new URLSearchParams({x: "1"})}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if code != 403 {
		t.Fatalf("POST /verify without the CSRF token from the signed-in browser: %d, want 403", code)
	}

	var services []string
	for _, r := range h.consoleRecords(t) {
		services = append(services, r.Service)
	}
	for _, s := range []string{"console.login", "console.search", "console.view", "console.export", "console.verify"} {
		if !slices.Contains(services, s) {
			t.Errorf("no %s record in the access log: %v", s, services)
		}
	}
}

// waitDownload waits for a finished download whose name ends in suffix.
func waitDownload(tb testing.TB, dir, suffix string) string {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
		if len(matches) == 1 {
			return matches[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	tb.Fatalf("no *%s download in %s after 20s: %v", suffix, dir, entries)
	return ""
}
