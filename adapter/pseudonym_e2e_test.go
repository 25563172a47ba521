package adapter_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
)

// digitForms are the decimal digit sets the property test writes PINs in:
// ASCII, full-width, Arabic-Indic, Devanagari, mathematical bold.
var digitForms = []rune{'0', '０', '٠', '०', '𝟎'}

// plantedPIN is one PIN the test hides in a request: its ASCII value and
// the form it was sent in.
type plantedPIN struct{ ascii, sent string }

func randomPIN(rng *rand.Rand) plantedPIN {
	var ascii, sent strings.Builder
	mixed := rng.IntN(4) == 0
	form := digitForms[rng.IntN(len(digitForms))]
	for range 14 {
		d := rune(rng.IntN(10))
		if mixed {
			form = digitForms[rng.IntN(len(digitForms))]
		}
		ascii.WriteRune('0' + d)
		sent.WriteRune(form + d)
	}
	return plantedPIN{ascii.String(), sent.String()}
}

// randomText is a few words of letters, punctuation and short digit runs,
// with pins embedded at random places: alone, or glued into a token.
func randomText(rng *rand.Rand, pins ...plantedPIN) string {
	pieces := []string{"KG", "case", "Иван", "ref:", "-", "x", "12", "٣", "/", "обращение", "EE:PIN:", "７"}
	var b strings.Builder
	for i := range 2 + rng.IntN(4) {
		if i > 0 && rng.IntN(2) == 0 {
			b.WriteByte(' ')
		}
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	out := b.String()
	for _, p := range pins {
		at := rng.IntN(len(out) + 1)
		for at > 0 && at < len(out) && !isRuneStart(out[at]) {
			at--
		}
		out = out[:at] + p.sent + out[at:]
	}
	return out
}

func isRuneStart(c byte) bool { return c&0xC0 != 0x80 }

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// TestNoPINComesOutWhateverTheCallerSends is the property of the one
// pseudonymisation rule (adapter/redact.go): requests carrying random
// text with PINs embedded, in several Unicode digit forms, in every
// caller-controlled header field (xrd:id, userId, issue, representedParty,
// the client's and the service's identifiers, and so fault reasons that
// quote them) leave no PIN in the access log's file, its exports, or the
// application log.
func TestNoPINComesOutWhateverTheCallerSends(t *testing.T) {
	var appLog bytes.Buffer
	hs := newHarnessWith(t, func(o *adapter.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&appLog, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	sample := string(readSample(t, "../testdata/requests/getPerson-found.xml"))
	rng := rand.New(rand.NewPCG(13, 2026))
	var planted []plantedPIN
	plant := func() plantedPIN {
		p := randomPIN(rng)
		planted = append(planted, p)
		return p
	}
	fields := []struct{ old, tmpl string }{
		{"<xrd:id>841f4b25-9f76-5883-b70f-59fe1b918472</xrd:id>", "<xrd:id>%s</xrd:id>"},
		{"<xrd:userId>KG21505198500123</xrd:userId>", "<xrd:userId>%s</xrd:userId>"},
		{"<xrd:issue>demo-request</xrd:issue>", "<xrd:issue>%s</xrd:issue>" +
			`<repr:representedParty xmlns:repr="http://x-road.eu/xsd/representation.xsd"><repr:partyCode>` + "%s" + `</repr:partyCode></repr:representedParty>`},
		{"<id:subsystemCode>portal</id:subsystemCode>", "<id:subsystemCode>%s</id:subsystemCode>"},
		{"<id:memberCode>70000002</id:memberCode>", "<id:memberCode>%s</id:memberCode>"},
		{"<id:serviceCode>getPerson</id:serviceCode>", "<id:serviceCode>%s</id:serviceCode>"},
		{"<id:serviceVersion>v1</id:serviceVersion>", "<id:serviceVersion>%s</id:serviceVersion>"},
	}
	const requests = 60
	outcomes := map[string]int{}
	for i := range requests {
		raw := sample
		// Each request plants PINs in a random subset of the fields (at
		// least one), so some get past the checks that others fail.
		for j, f := range fields {
			if rng.IntN(3) != 0 && j != i%len(fields) {
				continue
			}
			var args []any
			for range strings.Count(f.tmpl, "%s") {
				args = append(args, xmlText(randomText(rng, plant())))
			}
			if !strings.Contains(raw, f.old) {
				t.Fatalf("sample lacks %q", f.old)
			}
			raw = strings.Replace(raw, f.old, fmt.Sprintf(f.tmpl, args...), 1)
		}
		hs.send(hs.sign([]byte(raw), portal))
		outcomes[hs.lastRecord().Outcome]++
	}
	t.Logf("%d requests, %d PINs planted, outcomes %v", requests, len(planted), outcomes)
	if len(outcomes) < 3 {
		t.Errorf("the requests reached only %d outcomes; the test should exercise several refusal paths", len(outcomes))
	}

	ctx := context.Background()
	var file, jsonl, csv bytes.Buffer
	if _, err := hs.log.Backup(ctx, &file); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.log.Export(ctx, &jsonl, accesslog.FormatJSONL, accesslog.Filter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.log.Export(ctx, &csv, accesslog.FormatCSV, accesslog.Filter{}); err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"the log file":          file.String(),
		"the JSON Lines export": jsonl.String(),
		"the CSV export":        csv.String(),
		"the application log":   appLog.String(),
	}
	if appLog.Len() == 0 {
		t.Fatal("the application log is empty: the test would prove nothing about it")
	}
	for name, out := range outputs {
		ascii := asciiDigits(out)
		for _, p := range planted {
			if strings.Contains(out, p.sent) || strings.Contains(ascii, p.ascii) {
				t.Errorf("%s holds the planted PIN %s (sent as %q)", name, p.ascii, p.sent)
			}
		}
	}
	// And the pseudonyms are there: an auditor with the subject key finds
	// the userIds' PINs.
	found := 0
	for _, p := range planted {
		if strings.Contains(jsonl.String(), "pin:"+hs.log.SubjectID(p.ascii)) {
			found++
		}
	}
	if found == 0 {
		t.Error("no planted PIN's pseudonym is in the export")
	}
}

// asciiDigits writes every decimal digit of s as its ASCII digit, so that
// a PIN in any digit form is found by its ASCII value.
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0x80 && unicode.IsDigit(r) {
			for _, z := range digitForms {
				if z <= r && r <= z+9 {
					return '0' + (r - z)
				}
			}
		}
		return r
	}, s)
}
