package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// evidence is one signed response a caller kept.
type evidence struct {
	file      string
	client    string     // as the log stores it (pseudonymised)
	id        string     // likewise
	sha256    [][32]byte // of the file, and of it without one final newline
	recordSeq uint64     // the matching record, 0 if none yet
	exact     bool       // matched by the response's digest, not only (client, id)
}

// readEvidence reads every *.xml file in dir as a response signed by one of
// certs, verified as of its own wsu:Created time, and returns what each
// names. A file that is not such a response is an error: it proves nothing.
func readEvidence(dir string, certs []*x509.Certificate, pseudonym func(string) string) ([]*evidence, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("--evidence %s: no .xml files", dir)
	}
	sort.Strings(files)
	var out []*evidence
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ev, err := readOneEvidence(raw, certs)
		if err != nil {
			return nil, fmt.Errorf("evidence %s: %w", f, err)
		}
		ev.file = f
		ev.client, ev.id = adapter.Pseudonymise(ev.client, pseudonym), adapter.Pseudonymise(ev.id, pseudonym)
		out = append(out, ev)
	}
	return out, nil
}

func readOneEvidence(raw []byte, certs []*x509.Certificate) (*evidence, error) {
	doc, err := soap.ParseXML(raw, soap.Limits{MaxBytes: 16 << 20})
	if err != nil {
		return nil, err
	}
	created := doc.FindElement("//Timestamp/Created")
	if created == nil {
		return nil, errors.New("no wsu:Timestamp: not a signed response")
	}
	at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(created.Text()))
	if err != nil {
		return nil, fmt.Errorf("wsu:Created: %w", err)
	}
	required, err := signing.SignedParts(doc)
	if err != nil {
		return nil, err
	}
	p := signing.Policy{Now: func() time.Time { return at }}
	for _, cert := range certs {
		if _, err = p.CheckPinned(doc, cert, required); !errors.Is(err, signing.ErrUntrustedCertificate) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("not signed by a given adapter certificate: %w", err)
	}
	headers, err := signing.XRoadHeaders(doc)
	if err != nil {
		return nil, err
	}
	// The file may end with one newline the response did not have, as
	// 'darbaza send' prints it or an editor saves it; the bytes before it
	// are still exactly the response sent, so either digest matches.
	ev := &evidence{sha256: [][32]byte{sha256.Sum256(raw)}}
	if trimmed, ok := bytes.CutSuffix(raw, []byte("\n")); ok {
		ev.sha256 = append(ev.sha256, sha256.Sum256(trimmed))
	}
	for _, h := range headers {
		switch h.Tag {
		case "client":
			ev.client = clientString(h)
		case "id":
			ev.id = h.Text()
		}
	}
	if ev.client == "" || ev.id == "" {
		return nil, errors.New("the response names no client or no xrd:id")
	}
	return ev, nil
}

// clientString renders an xrd:client element as INSTANCE/CLASS/CODE[/SUBSYSTEM].
func clientString(el *etree.Element) string {
	field := func(tag string) string {
		if c := el.SelectElement(tag); c != nil {
			return strings.TrimSpace(c.Text())
		}
		return ""
	}
	return soap.ClientID{Instance: field("xRoadInstance"), MemberClass: field("memberClass"),
		MemberCode: field("memberCode"), SubsystemCode: field("subsystemCode")}.String()
}

// checkEvidence finds each evidence's record in the verified log (rep is
// its verification report) and writes a line per file. A response with no
// record, or whose record lies beyond the verified chain, is tampering: a
// *accesslog.TamperError naming the first such file.
func checkEvidence(ctx context.Context, rd *accesslog.Reader, evs []*evidence, rep accesslog.Report, w io.Writer) error {
	type key struct{ client, id string }
	byKey := map[key][]*evidence{}
	for _, ev := range evs {
		byKey[key{ev.client, ev.id}] = append(byKey[key{ev.client, ev.id}], ev)
	}
	err := rd.List(ctx, accesslog.Filter{}, func(r accesslog.Record) error {
		for _, ev := range byKey[key{r.Client, r.MessageID}] {
			if slices.Contains(ev.sha256, r.ResponseSHA256) {
				ev.recordSeq, ev.exact = r.Seq, true
			} else if !ev.exact && ev.recordSeq == 0 {
				ev.recordSeq = r.Seq
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var first error
	for _, ev := range evs {
		switch {
		case ev.recordSeq == 0:
			fmt.Fprintf(w, "evidence %s: MISSING: the log holds no record of client %s, id %s\n", ev.file, ev.client, ev.id)
			if first == nil {
				first = &accesslog.TamperError{What: "record", Seq: rep.HeadSeq + 1, Reason: fmt.Sprintf(
					"a signed response (%s) of client %s, id %s has no record in the log (records removed)", filepath.Base(ev.file), ev.client, ev.id)}
			}
		default:
			how := "its exact response digest"
			if !ev.exact {
				how = "client and id (the file is not the exact bytes sent, or the record is a replay's)"
			}
			cover := "covered by the verified chain"
			if cp := rep.LastCheckpoint; cp != nil && ev.recordSeq <= cp.Seq {
				cover += " and a signed checkpoint"
			}
			fmt.Fprintf(w, "evidence %s: record %d, matched by %s, %s\n", ev.file, ev.recordSeq, how, cover)
		}
	}
	return first
}
