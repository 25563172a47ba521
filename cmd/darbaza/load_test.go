package main

import (
	"bytes"
	"net/http"
	"os"
	"regexp"
	"sync"
	"testing"

	"github.com/darbaza/darbaza/soap"
)

// presign returns n copies of getPerson-found.xml signed by the demo portal,
// each with a fresh xrd:id, as 'darbaza sign --new-id' makes them.
func presign(tb testing.TB, s *testServer, n int) [][]byte {
	tb.Helper()
	signer, err := loadSigner(s.member("portal"))
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile("../../testdata/requests/getPerson-found.xml")
	if err != nil {
		tb.Fatal(err)
	}
	out := make([][]byte, n)
	for i := range out {
		if out[i], err = signRequest(signer, raw, true); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// messageID is the xrd:id of a request.
func messageID(tb testing.TB, req []byte) string {
	tb.Helper()
	doc, err := soap.ParseXML(req, soap.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	id := doc.FindElement("/Envelope/Header/id")
	if id == nil || id.Text() == "" {
		tb.Fatalf("request without xrd:id:\n%s", req)
	}
	return id.Text()
}

// reply is what a caller saw of one request: an answer with a business
// code, or a fault with its code and faultDetail (the access-log record id).
type reply struct {
	request   []byte
	messageID string
	result    string // the answer's <code>, "" for a fault
	fault     string // faultcode, "" for an answer
	detail    string // faultDetail of a fault
}

var (
	faultCodeRe   = regexp.MustCompile(`<faultcode>([^<]+)</faultcode>`)
	faultDetailRe = regexp.MustCompile(`<faultDetail>([^<]+)</faultDetail>`)
)

// drive sends batches[c] in order from one goroutine per batch and returns
// every complete reply. A caller stops at its first transport error (the
// server is gone); requests it did not get a whole reply to are left out.
func drive(tb testing.TB, url string, batches [][][]byte) []reply {
	tb.Helper()
	var (
		mu      sync.Mutex
		replies []reply
		wg      sync.WaitGroup
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(batches)}}
	defer client.CloseIdleConnections()
	for _, batch := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, req := range batch {
				code, body, err := postWith(client, url, req)
				if err != nil {
					return
				}
				rep := reply{request: req}
				switch m := resultCodeRe.FindStringSubmatch(body); {
				case code == http.StatusOK && m != nil:
					rep.result = m[1]
				case code == http.StatusInternalServerError && faultCodeRe.MatchString(body) && faultDetailRe.MatchString(body):
					rep.fault = faultCodeRe.FindStringSubmatch(body)[1]
					rep.detail = faultDetailRe.FindStringSubmatch(body)[1]
				default:
					tb.Errorf("HTTP %d and neither an answer nor a fault with faultDetail:\n%.600s", code, body)
					return
				}
				mu.Lock()
				replies = append(replies, rep)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := range replies {
		replies[i].messageID = messageID(tb, replies[i].request)
	}
	return replies
}

func postWith(c *http.Client, url string, body []byte) (int, string, error) {
	resp, err := c.Post(url, "text/xml; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String(), err
}
