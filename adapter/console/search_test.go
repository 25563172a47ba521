package console_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/console"
)

func TestSearchByPINListsThePersonsRecordsAndKeepsThePINOutOfTheLog(t *testing.T) {
	h := newHarness(t)
	recs := h.seed(t, 30)
	c := h.newClient(t)
	c.mustLogin()
	page := c.search(url.Values{"pin": {testPIN}})
	if strings.Contains(page, testPIN) {
		t.Fatalf("the PIN is in the search's URL %q", page)
	}
	status, _, body := c.get(page)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d", page, status)
	}
	// Newest first: aida's search itself (recorded before it ran, with the
	// person as subject), then the person's odd records.
	want := []string{"32"}
	for i := len(recs) - 1; i >= 0; i-- {
		if slices.Contains(recs[i].Subjects, h.log.SubjectID(testPIN)) {
			want = append(want, strconv.FormatUint(recs[i].Seq, 10))
		}
	}
	if got := seqs(body); !slices.Equal(got, want) {
		t.Fatalf("the PIN's search lists %v, want %v", got, want)
	}
	if strings.Contains(body, testPIN) {
		t.Fatal("the search page shows the raw PIN")
	}

	// The log holds the search, with the person as its pseudonym only.
	var searches []accesslog.Record
	err := h.log.List(context.Background(), accesslog.Filter{Subject: h.log.SubjectID(testPIN), Client: "console/aida"}, func(r accesslog.Record) error {
		searches = append(searches, r)
		return nil
	})
	if err != nil || len(searches) != 1 || searches[0].Service != "console.search" {
		t.Fatalf("`audit list --pin` for the person finds %+v, %v; want aida's search", searches, err)
	}
	var export bytes.Buffer
	if _, err := h.log.Export(context.Background(), &export, accesslog.FormatJSONL, accesslog.Filter{}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(export.Bytes(), []byte(testPIN)) {
		t.Fatal("the raw PIN is stored in the access log")
	}
}

func TestSearchRefusesAMalformedPIN(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t)
	c.mustLogin()
	form := url.Values{"pin": {"2120319900001"}, "csrf": {c.csrf("/search")}}
	if status, _, _ := c.post("/search", form); status != http.StatusBadRequest {
		t.Fatalf("a 13-digit PIN: %d, want 400", status)
	}
}

func TestSearchFiltersByTimeClientServiceAndOutcome(t *testing.T) {
	h := newHarness(t)
	recs := h.seed(t, 40)
	c := h.newClient(t)
	c.mustLogin()
	tests := []struct {
		form  url.Values
		match func(accesslog.Record) bool
	}{
		{url.Values{"service": {"getRegistration"}}, func(r accesslog.Record) bool { return r.Service == "getRegistration" }},
		{url.Values{"outcome": {"Client.InvalidSignatureValue"}}, func(r accesslog.Record) bool { return r.Outcome == "Client.InvalidSignatureValue" }},
		{url.Values{"client": {"central-server/GOV/70000002/portal"}, "from": {"2025-03-01T08:10"}, "to": {"2025-03-01T08:20"}},
			func(r accesslog.Record) bool {
				return r.Time.Minute() >= 10 && r.Time.Minute() < 20 && r.Time.Hour() == 8
			}},
		{url.Values{"pin": {otherPIN}, "outcome": {"PersonNotFound"}}, func(r accesslog.Record) bool {
			return r.Outcome == "PersonNotFound" && slices.Contains(r.Subjects, h.log.SubjectID(otherPIN))
		}},
	}
	for _, tt := range tests {
		_, _, body := c.get(c.search(tt.form))
		var want []string
		for i := len(recs) - 1; i >= 0; i-- {
			if tt.match(recs[i]) {
				want = append(want, strconv.FormatUint(recs[i].Seq, 10))
			}
		}
		if got := seqs(body); len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("search %v lists %v, want %v", tt.form, got, want)
		}
	}
}

func TestSearchPagesBackwardsBySequenceNumber(t *testing.T) {
	h := newHarness(t)
	recs := h.seed(t, 120)
	c := h.newClient(t)
	c.mustLogin()
	page := c.search(url.Values{"client": {"central-server/GOV/70000002/portal"}})
	var got []string
	for pages := 0; page != ""; pages++ {
		if pages > 3 {
			t.Fatal("more pages than 120 records make")
		}
		_, _, body := c.get(page)
		got = append(got, seqs(body)...)
		page = ""
		if m := olderLink.FindStringSubmatch(body); m != nil {
			page = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(got) != len(recs) {
		t.Fatalf("paging listed %d records, want %d", len(got), len(recs))
	}
	for i, s := range got {
		if s != strconv.FormatUint(recs[len(recs)-1-i].Seq, 10) {
			t.Fatalf("record %d of the paging is %s, want %d", i, s, recs[len(recs)-1-i].Seq)
		}
	}
}

func TestOpeningARecordShowsItAndIsRecorded(t *testing.T) {
	h := newHarness(t)
	recs := h.seed(t, 5)
	c := h.newClient(t)
	c.mustLogin()
	status, _, body := c.get("/record/3")
	if status != http.StatusOK || !strings.Contains(body, recs[2].ID) || !strings.Contains(body, recs[2].Subjects[0]) {
		t.Fatalf("GET /record/3: %d\n%s", status, body)
	}
	if status, _, _ := c.get("/record/999"); status != http.StatusNotFound {
		t.Fatalf("GET /record/999: %d, want 404", status)
	}
	cr := h.consoleRecords(t)
	if last := cr[len(cr)-1]; last.Service != "console.view" || last.Reason != "record 3" {
		t.Fatalf("last console record %+v, want aida's view of record 3", last)
	}
}

func TestExportOfASearchVerifiesAndHoldsOnlyItsRecordsInFull(t *testing.T) {
	h := newHarness(t)
	recs := h.seed(t, 20)
	c := h.newClient(t)
	c.mustLogin()
	page := c.search(url.Values{"pin": {testPIN}})
	id := strings.TrimPrefix(page, "/search?q=")
	for _, format := range []string{"jsonl", "csv"} {
		resp, err := c.http.Get(h.srv.URL + "/export?q=" + id + "&format=" + format)
		if err != nil {
			t.Fatal(err)
		}
		code, _, body := readResp(t, resp)
		if code != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("export %s: %d %v", format, code, resp.Header)
		}
		rep, err := accesslog.VerifyExport(context.Background(), strings.NewReader(body), accesslog.VerifyOptions{Certificates: h.opts().Verify.Certificates})
		if err != nil {
			t.Fatalf("the %s export does not verify: %v", format, err)
		}
		var inFull int
		for _, r := range recs {
			if strings.Contains(body, r.ID) {
				inFull++
				if !slices.Contains(r.Subjects, h.log.SubjectID(testPIN)) {
					t.Errorf("%s export holds record %d of another person in full", format, r.Seq)
				}
			}
		}
		if inFull != 10 || rep.Records-rep.Omitted < 10 {
			t.Errorf("%s export: %d of the person's 10 records in full (report %+v)", format, inFull, rep)
		}
	}
	var exports int
	for _, r := range h.consoleRecords(t) {
		if r.Service == "console.export" && slices.Contains(r.Subjects, h.log.SubjectID(testPIN)) {
			exports++
		}
	}
	if exports != 2 {
		t.Fatalf("%d exports recorded with the person as subject, want 2", exports)
	}
}

func TestVerificationRunsToTheEndWithProgress(t *testing.T) {
	h := newHarness(t)
	h.seed(t, 50)
	c := h.newClient(t)
	c.mustLogin()
	if status, loc, _ := c.post("/verify", url.Values{"csrf": {c.csrf("/verify")}}); status != http.StatusSeeOther || loc != "/verify" {
		t.Fatalf("POST /verify: %d -> %q", status, loc)
	}
	st := h.waitVerify(t, c)
	if st.State != "ok" || st.Percent != 100 || st.Done != st.Last || !strings.Contains(st.Result, "records:") {
		t.Fatalf("verification ended %+v", st)
	}
	cr := h.consoleRecords(t)
	if last := cr[len(cr)-1]; last.Service != "console.verify" {
		t.Fatalf("last console record %+v, want the verification", last)
	}
}

// tamperedLog is a log whose verification finds a changed record.
type tamperedLog struct{ *accesslog.Log }

func (l tamperedLog) Verify(ctx context.Context, opts accesslog.VerifyOptions) (accesslog.Report, error) {
	opts.Progress(1)
	return accesslog.Report{}, &accesslog.TamperError{Seq: 2, What: "record", Reason: "content does not match its hash"}
}

func TestVerificationShowsTheFirstBadRecord(t *testing.T) {
	h := newHarness(t, func(o *console.Options) { o.Log = tamperedLog{o.Log.(*accesslog.Log)} })
	h.seed(t, 3)
	c := h.newClient(t)
	c.mustLogin()
	c.post("/verify", url.Values{"csrf": {c.csrf("/verify")}})
	st := h.waitVerify(t, c)
	if st.State != "tampered" || !strings.Contains(st.Problem, "record 2") {
		t.Fatalf("verification of a tampered log ended %+v", st)
	}
}

func (h *harness) waitVerify(tb testing.TB, c *client) status {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if st := h.verifyStatus(tb, c); st.State != "running" {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatal("verification did not end in 20s")
	return status{}
}

func TestPlotsDrawThePeriodAndAreRecorded(t *testing.T) {
	h := newHarness(t)
	h.seed(t, 60)                   // 08:01..09:00
	h.clock.Advance(24 * time.Hour) // the console's own records fall outside the period
	c := h.newClient(t)
	c.mustLogin()
	status, _, body := c.get("/plots?from=2025-03-01T06:00&to=2025-03-01T12:00")
	if status != http.StatusOK {
		t.Fatalf("GET /plots: %d", status)
	}
	for _, want := range []string{`id="plot-clients"`, `id="plot-services"`, `id="plot-faults"`,
		`data-series="central-server/GOV/70000002/portal"`, `data-series="getPerson"`, `data-series="Client.InvalidSignatureValue"`,
		`<span id="plot-records">60</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("plots page lacks %s", want)
		}
	}
	if status, _, _ := c.get("/plots?from=2025-01-01T00:00&to=2025-03-01T00:00"); status != http.StatusBadRequest {
		t.Fatalf("a two-month period: %d, want 400", status)
	}
	cr := h.consoleRecords(t)
	if last := cr[len(cr)-1]; last.Service != "console.plots" {
		t.Fatalf("last console record %+v, want the plots", last)
	}
}

func TestLanguageFollowsTheBrowserAndTheChoice(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(t)
	get := func(lang string) string {
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/login", nil)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _, body := readResp(t, resp)
		return body
	}
	for accept, want := range map[string]string{"": `lang="ky"`, "ru-RU,ru;q=0.9": `lang="ru"`, "en-GB": `lang="en"`, "de, ky;q=0.5": `lang="ky"`} {
		if body := get(accept); !strings.Contains(body, "<html "+want) {
			t.Errorf("Accept-Language %q: page is not %s", accept, want)
		}
	}
	if status, loc, _ := c.get("/login?lang=ru"); status != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("choosing Russian: %d -> %q", status, loc)
	}
	if body := get("en"); !strings.Contains(body, `<html lang="ru"`) {
		t.Fatal("the chosen language does not stick")
	}
}

func (h *harness) opts() console.Options {
	return console.Options{Verify: accesslog.VerifyOptions{Certificates: []*x509.Certificate{h.adapter.Cert}}}
}
