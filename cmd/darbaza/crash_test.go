package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/darbaza/darbaza/soap"
)

// signedSample returns getPerson-found signed by the demo portal, with a
// fresh message id, as 'darbaza sign --new-id' makes it.
func signedSample(tb testing.TB, s *testServer) []byte {
	tb.Helper()
	signer, err := loadSigner(s.member("portal"))
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile("../../testdata/requests/getPerson-found.xml")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := signRequest(signer, raw, true)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func postXML(url string, body []byte) (int, string, error) {
	resp, err := http.Post(url, "text/xml; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), err
}

// TestKillDuringLoadLosesNoAnsweredRecord kills the server with SIGKILL
// while clients send, restarts it on the same files, and checks that the
// access log verifies and holds every request that got an answer, and that
// the replay cache came back from it.
func TestKillDuringLoadLosesNoAnsweredRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server twice")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	s := startServerAt(t, dir)
	const callers, perCaller = 8, 40
	requests := make([][][]byte, callers)
	for c := range requests {
		for range perCaller {
			requests[c] = append(requests[c], signedSample(t, s))
		}
	}
	var (
		mu       sync.Mutex
		answered = map[string][]byte{} // message id -> request
		sent     atomic.Int64
		wg       sync.WaitGroup
	)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, req := range requests[c] {
				sent.Add(1)
				code, body, err := postXML(s.URL, req)
				if err != nil {
					return // the server is gone
				}
				if code == http.StatusOK && strings.Contains(body, "<code>OK</code>") {
					doc, _ := soap.ParseXML(req, soap.Limits{})
					mu.Lock()
					answered[doc.FindElement("//Header/id").Text()] = req
					mu.Unlock()
				}
			}
		}()
	}
	for sent.Load() < callers*perCaller/2 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
	wg.Wait()
	if len(answered) == 0 {
		t.Fatal("no request was answered before the kill")
	}

	s2 := startServerAt(t, dir)
	// One answered request again: the replay cache was rebuilt from the log.
	for id, req := range answered {
		if _, body, err := postXML(s2.URL, req); err != nil || !strings.Contains(body, "Client.ReplayedMessage") {
			t.Errorf("replay of %s after the restart was not refused: %v\n%.300s", id, err, body)
		}
		break
	}
	s2.stop(t)

	data := filepath.Join(dir, "data")
	if code, out, errOut := darbaza(t, "audit", "verify", "--data", data); code != 0 {
		t.Fatalf("audit verify after kill -9 and restart: exit %d\n%s%s", code, out, errOut)
	}
	_, list, _ := darbaza(t, "audit", "list", "--data", data)
	for id := range answered {
		if !strings.Contains(list, "msg="+id+"\t") && !strings.HasSuffix(strings.TrimSpace(list), "msg="+id) {
			t.Errorf("answered request %s has no access-log record", id)
		}
	}
	t.Logf("%d of %d requests answered before the kill; all in the verified log", len(answered), callers*perCaller)
}
