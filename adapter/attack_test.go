package adapter_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// The attack corpus: ../testdata/attacks/NAME.xml, each a real signed
// message (made by TestAttackCorpusIsCurrent with -update from
// getPerson-found.xml, signed at testNow with the throwaway keys in
// ../testdata/attacks/keys, and compared with a fresh generation on every
// run without -update) whose first comment is the fault it must get
// and whose second says what it does. TestAttacksGetTheirFaults sends each
// through a handler that trusts those keys and checks the fault and that
// the access log recorded it.

const attacksDir = "../testdata/attacks"

// attackMaxBytes is the body limit of the attack harness: oversized.xml is
// just over it, every other file well under it.
const attackMaxBytes = 16 << 10

// attackKey loads (or, with -update and none committed, makes) a
// throwaway key pair in ../testdata/attacks/keys.
func attackKey(tb testing.TB, name, cn string) keyPair {
	tb.Helper()
	base := filepath.Join(attacksDir, "keys", name)
	if _, err := os.Stat(base + ".key"); errors.Is(err, fs.ErrNotExist) && *update {
		key, err := signing.GenerateKey(signing.KeyECDSAP256)
		if err != nil {
			tb.Fatal(err)
		}
		// Valid from 2026-01-01 for ten years: the harness clock is testNow.
		cert, err := signing.SelfSignedCertificate(key, cn, 10*365*24*time.Hour, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			tb.Fatal(err)
		}
		if err := signing.WriteKeyPEM(base+".key", key); err != nil {
			tb.Fatal(err)
		}
		if err := signing.WriteCertPEM(base+".crt", cert); err != nil {
			tb.Fatal(err)
		}
	}
	key, cert, err := signing.LoadKeyPair(base+".key", base+".crt")
	if err != nil {
		tb.Fatal(err)
	}
	return keyPair{Key: key, Cert: cert}
}

// newAttackHarness is newHarness with the committed attack keys: the
// portal's bound to the portal, Sanarip Aymak's to Sanarip Aymak, and a
// body limit of attackMaxBytes.
func newAttackHarness(tb testing.TB) *harness {
	tb.Helper()
	return newHarnessFrom(tb, map[string]keyPair{
		portal:  attackKey(tb, "attacker-portal", portal),
		sanarip: attackKey(tb, "attacker-sanarip", sanarip),
	}, func(o *adapter.Options) { o.Limits = soap.Limits{MaxBytes: attackMaxBytes} })
}

// lastRecord is the newest access-log record.
func (hs *harness) lastRecord() accesslog.Record {
	hs.tb.Helper()
	var last accesslog.Record
	n := 0
	if err := hs.log.List(context.Background(), accesslog.Filter{}, func(r accesslog.Record) error {
		last, n = r, n+1
		return nil
	}); err != nil {
		hs.tb.Fatal(err)
	}
	if n == 0 {
		hs.tb.Fatal("the access log is empty")
	}
	return last
}

var (
	commentsRe = regexp.MustCompile(`^(?:<\?xml[^>]*\?>\s*)?<!-- expect: (\S+) -->\s*<!-- (.+?) -->`)
	answerRe   = regexp.MustCompile(`<!-- answer contains: (.+?) -->`)
)

func TestAttacksGetTheirFaults(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(attacksDir, "*.xml"))
	if len(files) < 17 {
		t.Fatalf("%d files in %s, want one per attack class and the controls (go test ./adapter -run AttackCorpus -update)", len(files), attacksDir)
	}
	// One handler for all: every file has an xrd:id of its own.
	hs := newAttackHarness(t)
	controls := 0
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			hs.tb = t
			raw := readSample(t, path)
			m := commentsRe.FindSubmatch(raw)
			if m == nil {
				t.Fatal("file does not start with <!-- expect: CODE --> and a comment saying what it does")
			}
			want := string(m[1])
			if want == adapter.CodeReplay {
				// The first sending is answered; the same bytes again are a replay.
				if r := hs.send(raw); r.faultCode() != "" {
					t.Fatalf("first sending: fault %q, want an answer\n%s", r.faultCode(), r.raw)
				}
			}
			r := hs.send(raw)
			rec := hs.lastRecord()
			if want == "OK" {
				controls++
				if r.status != 200 || r.faultCode() != "" || rec.Outcome != adapter.OutcomeOK {
					t.Fatalf("status %d fault %q record outcome %q, want an OK answer\n%s", r.status, r.faultCode(), rec.Outcome, r.raw)
				}
				if rec.SignerCert != signing.Fingerprint(hs.keys[portal].Cert) {
					t.Errorf("record signer %s, want the attack portal key", rec.SignerCert)
				}
			} else {
				if r.status != 500 || r.faultCode() != want {
					t.Fatalf("status %d fault %q, want 500 %s\n%s", r.status, r.faultCode(), want, r.raw)
				}
				detail := r.doc.FindElement("//Fault/detail/faultDetail")
				if detail == nil || detail.Text() != rec.ID || rec.Outcome != want {
					t.Errorf("access log record %s outcome %q (%s), want %s for faultDetail %v", rec.ID, rec.Outcome, rec.Reason, want, detail)
				}
			}
			if a := answerRe.FindSubmatch(raw); a != nil && !bytes.Contains(r.raw, a[1]) {
				t.Errorf("the answer lacks %s:\n%s", a[1], r.raw)
			}
			hs.verify(r)
		})
	}
	if controls == 0 {
		t.Error("no valid control (<!-- expect: OK -->) in the corpus")
	}
}

// attackFile is one generated file of the corpus.
type attackFile struct {
	name, expect, what string
	make               func(g *generator) []byte
}

// generator builds signed messages from getPerson-found.xml at testNow.
// Its output is a function of the sample, the committed keys and the file
// name alone, so that the corpus can be compared byte for byte with a
// fresh generation (TestAttackCorpusIsCurrent): the clock is fixed, the
// wsu:Ids come from a stream seeded by the file name (fileRand), and the
// ECDSA signatures use RFC 6979 deterministic nonces (rfc6979Key).
type generator struct {
	tb              testing.TB
	portal, sanarip keyPair
	stranger        keyPair // bound to no member
	sample          []byte
	name            string    // of the file being made
	rand            io.Reader // the wsu:Id stream of the file being made
}

// fileRand is an endless byte stream determined by name:
// SHA-256(name || counter) for counter 0, 1, 2 ... It stands in for
// crypto/rand where the generator needs fresh-looking but reproducible ids.
type fileRand struct {
	name string
	n    uint64
	buf  []byte
}

func (r *fileRand) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) {
		block := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(r.name), r.n))
		r.n++
		r.buf = append(r.buf, block[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// rfc6979Key signs with RFC 6979 deterministic ECDSA nonces, whatever
// randomness it is handed (crypto/ecdsa does so for a nil reader): the same
// key and digest always give the same signature.
type rfc6979Key struct{ *ecdsa.PrivateKey }

func (k rfc6979Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.PrivateKey.Sign(nil, digest, opts)
}

// deterministic returns kp's key wrapped as an rfc6979Key.
func (g *generator) deterministic(kp keyPair) crypto.Signer {
	g.tb.Helper()
	k, ok := kp.Key.(*ecdsa.PrivateKey)
	if !ok {
		g.tb.Fatalf("attack key %T is not ECDSA", kp.Key)
	}
	return rfc6979Key{k}
}

// doc is the sample parsed, with an xrd:id of its own so that no two files
// share one.
func (g *generator) doc() *etree.Document {
	g.tb.Helper()
	doc, err := soap.ParseXML(g.sample, soap.Limits{})
	if err != nil {
		g.tb.Fatal(err)
	}
	sum := sha256.Sum256([]byte(g.name))
	id := fmt.Sprintf("%x-%x-4%x-8%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	if err := signing.SetMessageID(doc, id[:36]); err != nil {
		g.tb.Fatal(err)
	}
	return doc
}

func (g *generator) sign(doc *etree.Document, kp keyPair, now time.Time, refs []*etree.Element) {
	g.tb.Helper()
	if refs == nil {
		var err error
		if refs, err = signing.SignedParts(doc); err != nil {
			g.tb.Fatal(err)
		}
	}
	s := &signing.Signer{Key: g.deterministic(kp), Certificate: kp.Cert, Now: func() time.Time { return now }, Rand: g.rand}
	if err := s.Sign(doc, refs); err != nil {
		g.tb.Fatal(err)
	}
}

// signed is the sample signed by the portal at testNow, covering the Body,
// the Timestamp and every X-Road header.
func (g *generator) signed() *etree.Document {
	doc := g.doc()
	g.sign(doc, g.portal, testNow, nil)
	return doc
}

func (g *generator) bytes(doc *etree.Document) []byte {
	g.tb.Helper()
	for _, tok := range doc.Child {
		if pi, ok := tok.(*etree.ProcInst); ok {
			doc.RemoveChild(pi)
		}
	}
	out, err := signing.Marshal(doc)
	if err != nil {
		g.tb.Fatal(err)
	}
	return bytes.TrimSpace(out)
}

func find(tb testing.TB, root *etree.Element, path string) *etree.Element {
	tb.Helper()
	el := root.FindElement(path)
	if el == nil {
		tb.Fatalf("no %s", path)
	}
	return el
}

func wsuID(el *etree.Element) string {
	for _, a := range el.Attr {
		if a.Key == "Id" {
			return a.Value
		}
	}
	return ""
}

// resign recomputes every reference's digest (honouring its
// InclusiveNamespaces PrefixList and DigestMethod) and the SignatureValue
// with the portal key, after a change to SignedInfo or to signed content.
func (g *generator) resign(doc *etree.Document) {
	g.tb.Helper()
	si := find(g.tb, &doc.Element, "//SignedInfo")
	for _, ref := range si.SelectElements("Reference") {
		id := strings.TrimPrefix(ref.SelectAttrValue("URI", ""), "#")
		target := doc.FindElement(fmt.Sprintf("//*[@wsu:Id='%s']", id))
		if target == nil {
			target = doc.FindElement(fmt.Sprintf("//*[@Id='%s']", id))
		}
		if target == nil {
			g.tb.Fatalf("no element with id %s", id)
		}
		var prefixes []string
		if inc := ref.FindElement("Transforms/Transform/InclusiveNamespaces"); inc != nil {
			prefixes = strings.Fields(inc.SelectAttrValue("PrefixList", ""))
		}
		c14n, err := signing.Canonicalize(target, prefixes)
		if err != nil {
			g.tb.Fatal(err)
		}
		var sum []byte
		if strings.HasSuffix(find(g.tb, ref, "DigestMethod").SelectAttrValue("Algorithm", ""), "#sha1") {
			s := sha1.Sum(c14n)
			sum = s[:]
		} else {
			s := sha256.Sum256(c14n)
			sum = s[:]
		}
		find(g.tb, ref, "DigestValue").SetText(base64.StdEncoding.EncodeToString(sum))
	}
	c14n, err := signing.Canonicalize(si, nil)
	if err != nil {
		g.tb.Fatal(err)
	}
	digest := sha256.Sum256(c14n)
	der, err := g.deterministic(g.portal).Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		g.tb.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		g.tb.Fatal(err)
	}
	value := make([]byte, 64) // XML-DSig ecdsa-sha256: r || s, 32 bytes each
	rs.R.FillBytes(value[:32])
	rs.S.FillBytes(value[32:])
	find(g.tb, &doc.Element, "//SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
}

// payload is the request element in the Envelope's own Body.
func payload(tb testing.TB, doc *etree.Document) *etree.Element {
	return find(tb, &doc.Element, "/Envelope/Body/getPerson")
}

var attackFiles = []attackFile{
	{"valid-control", "OK", "The sample signed as the profile asks: answered (the control for every attack here).",
		func(g *generator) []byte { return g.bytes(g.signed()) }},
	{"replay", adapter.CodeReplay, "A valid message sent twice: the first sending is answered, the second, same client and id within the window, is a replay.",
		func(g *generator) []byte { return g.bytes(g.signed()) }},
	{"body-wrapping", adapter.CodeUnsignedElement, "The signed Body is moved into a wrapper element in the Header and an unsigned Body asking for another PIN takes its place.",
		func(g *generator) []byte {
			doc := g.signed()
			env, body := doc.Root(), find(g.tb, &doc.Element, "/Envelope/Body")
			env.RemoveChild(body)
			w := find(g.tb, env, "Header").CreateElement("w:Wrapper")
			w.CreateAttr("xmlns:w", "urn:attack:wrapper")
			w.AddChild(body)
			forgedBody(env)
			return g.bytes(doc)
		}},
	{"header-wrapping", adapter.CodeUnsignedElement, "The signed xrd:userId is moved into a wrapper header and an unsigned xrd:userId naming someone else takes its place.",
		func(g *generator) []byte {
			doc := g.signed()
			header := find(g.tb, doc.Root(), "Header")
			user := find(g.tb, header, "userId")
			i := user.Index()
			header.RemoveChild(user)
			forged := etree.NewElement("xrd:userId")
			forged.SetText("KG10101199000015")
			header.InsertChildAt(i, forged)
			w := header.CreateElement("w:Wrapper")
			w.CreateAttr("xmlns:w", "urn:attack:wrapper")
			w.AddChild(user)
			return g.bytes(doc)
		}},
	{"second-body", soap.CodeInvalidSoap, "A second, unsigned soap:Body asking for another PIN follows the signed one.",
		func(g *generator) []byte {
			doc := g.signed()
			forgedBody(doc.Root())
			return g.bytes(doc)
		}},
	{"duplicate-id", adapter.CodeDuplicateID, "The signed Body's wsu:Id is also put on an element inside the Body, so the reference is ambiguous.",
		func(g *generator) []byte {
			doc := g.signed()
			id := wsuID(find(g.tb, doc.Root(), "Body"))
			find(g.tb, payload(g.tb, doc), "pin").CreateAttr("Id", id)
			return g.bytes(doc)
		}},
	{"unsigned-xroad-header", adapter.CodeUnsignedElement, "The message is signed without xrd:issue, which is added afterwards and so is not covered.",
		func(g *generator) []byte {
			doc := g.doc()
			header := find(g.tb, doc.Root(), "Header")
			issue := find(g.tb, header, "issue")
			i := issue.Index()
			header.RemoveChild(issue)
			g.sign(doc, g.portal, testNow, nil)
			header.InsertChildAt(i, issue)
			return g.bytes(doc)
		}},
	{"signature-over-another-element", adapter.CodeUnsignedElement, "The signature covers the X-Road headers and the Timestamp but, instead of the Body, the pin element inside it.",
		func(g *generator) []byte {
			doc := g.doc()
			headers, _ := signing.XRoadHeaders(doc)
			g.sign(doc, g.portal, testNow, append(headers, find(g.tb, payload(g.tb, doc), "pin")))
			return g.bytes(doc)
		}},
	{"timestamp-only-reference", adapter.CodeUnsignedElement, "The only reference is to the Timestamp: a valid signature over nothing the server reads.",
		func(g *generator) []byte {
			doc := g.doc()
			g.sign(doc, g.portal, testNow, []*etree.Element{})
			return g.bytes(doc)
		}},
	{"second-signature", adapter.CodeMalformedSignature, "A copy of the valid ds:Signature is added inside the Body, so the message has two signatures.",
		func(g *generator) []byte {
			doc := g.signed()
			sig := find(g.tb, doc.Root(), "//Signature")
			payload(g.tb, doc).AddChild(sig.Copy())
			return g.bytes(doc)
		}},
	{"expired", adapter.CodeInvalidTimestamp, "Signed an hour before the server's clock: the Timestamp (5 minutes) expired beyond the allowed skew.",
		func(g *generator) []byte {
			doc := g.doc()
			g.sign(doc, g.portal, testNow.Add(-time.Hour), nil)
			return g.bytes(doc)
		}},
	{"from-the-future", adapter.CodeInvalidTimestamp, "Signed an hour after the server's clock: the Timestamp is created beyond the allowed skew.",
		func(g *generator) []byte {
			doc := g.doc()
			g.sign(doc, g.portal, testNow.Add(time.Hour), nil)
			return g.bytes(doc)
		}},
	{"untrusted-certificate", adapter.CodeUntrustedCertificate, "Signed correctly with a self-made certificate that the config binds to no member.",
		func(g *generator) []byte {
			doc := g.doc()
			g.sign(doc, g.stranger, testNow, nil)
			return g.bytes(doc)
		}},
	{"certificate-of-another-member", adapter.CodeCertificateMismatch, "A request in the portal's name signed with Sanarip Aymak's certificate, which is bound to Sanarip Aymak.",
		func(g *generator) []byte {
			doc := g.doc()
			g.sign(doc, g.sanarip, testNow, nil)
			return g.bytes(doc)
		}},
	{"disallowed-algorithm-hmac", adapter.CodeUnsupportedAlgorithm, "SignatureMethod is changed to hmac-sha1 (the key-confusion attack): refused before any cryptography.",
		func(g *generator) []byte {
			doc := g.signed()
			find(g.tb, doc.Root(), "//SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
			return g.bytes(doc)
		}},
	{"disallowed-algorithm-sha1-digest", adapter.CodeUnsupportedAlgorithm, "The Body's reference uses a SHA-1 digest, correctly computed and signed, for a member without legacy_sha1.",
		func(g *generator) []byte {
			doc := g.signed()
			id := wsuID(find(g.tb, doc.Root(), "Body"))
			ref := find(g.tb, doc.Root(), fmt.Sprintf("//Reference[@URI='#%s']", id))
			find(g.tb, ref, "DigestMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
			g.resign(doc)
			return g.bytes(doc)
		}},
	{"doctype-entity", soap.CodeDoctype, "A valid signed message behind a DOCTYPE whose internal subset declares an entity.",
		func(g *generator) []byte {
			return append([]byte("<!DOCTYPE SOAP-ENV:Envelope [<!ENTITY pin \"10101199000015\">]>\n"), g.bytes(g.signed())...)
		}},
	{"oversized", soap.CodeMessageTooLarge, fmt.Sprintf("A valid signed message padded with a comment in the Body to just over the harness's %d-byte limit.", attackMaxBytes),
		func(g *generator) []byte {
			padded := func(n int) []byte {
				doc := g.doc()
				payload(g.tb, doc).InsertChildAt(0, etree.NewComment(strings.Repeat("x", n)))
				g.sign(doc, g.portal, testNow, nil)
				return g.bytes(doc)
			}
			out := padded(attackMaxBytes + 64 - len(padded(0)))
			if len(out) <= attackMaxBytes || len(out) > attackMaxBytes+256 {
				g.tb.Fatalf("oversized.xml is %d bytes", len(out))
			}
			return out
		}},
	{"too-deep", soap.CodeTooDeep, "A valid signature over a Body whose payload nests 30 elements deep, past the depth limit of 24.",
		func(g *generator) []byte {
			doc := g.doc()
			el := payload(g.tb, doc)
			for range 30 {
				el = el.CreateElement("reg:nested")
			}
			g.sign(doc, g.portal, testNow, nil)
			return g.bytes(doc)
		}},
	{"inclusive-namespaces-honoured", "OK", "The Body's reference lists #default and xsi in InclusiveNamespaces PrefixList, as some clients do: answered.",
		func(g *generator) []byte {
			doc := g.inclusive()
			return g.bytes(doc)
		}},
	{"inclusive-namespaces-changed", adapter.CodeInvalidSignature, "As inclusive-namespaces-honoured, then xsi, listed in the PrefixList but unused, is rebound on the Envelope: the digest must change.",
		func(g *generator) []byte {
			doc := g.inclusive()
			doc.Root().CreateAttr("xmlns:xsi", "urn:attack:rebound")
			return g.bytes(doc)
		}},
	{"comment-in-signed-pin", "OK", "A comment splits the signed PIN (exc-c14n drops comments, so the signature holds): the answer must be about the whole PIN, not its first part.",
		func(g *generator) []byte {
			doc := g.doc()
			pin := find(g.tb, payload(g.tb, doc), "pin")
			pin.SetText("2150519")
			pin.AddChild(etree.NewComment(" split "))
			pin.CreateText("8500123")
			g.sign(doc, g.portal, testNow, nil)
			return append(g.bytes(doc), []byte("\n<!-- answer contains: <pin>21505198500123</pin> -->")...)
		}},
}

// inclusive is the sample with xsi declared on the Envelope, signed, then
// the Body's reference given an InclusiveNamespaces PrefixList
// "#default xsi" and the signature recomputed.
func (g *generator) inclusive() *etree.Document {
	doc := g.doc()
	doc.Root().CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	g.sign(doc, g.portal, testNow, nil)
	id := wsuID(find(g.tb, doc.Root(), "Body"))
	ref := find(g.tb, doc.Root(), fmt.Sprintf("//Reference[@URI='#%s']", id))
	tr := find(g.tb, ref, "Transforms/Transform")
	inc := tr.CreateElement("ec:InclusiveNamespaces")
	inc.CreateAttr("xmlns:ec", "http://www.w3.org/2001/10/xml-exc-c14n#")
	inc.CreateAttr("PrefixList", "#default xsi")
	g.resign(doc)
	return doc
}

// TestAttackCorpusIsCurrent regenerates the corpus in memory and compares
// it byte for byte with ../testdata/attacks; with -update it writes it
// there instead. The comparison is exact, signatures included: generation
// is deterministic (see generator), so any change to the sample, to the
// signer's output, to a file's attack or to a committed file shows up as a
// difference here instead of passing unnoticed. A corpus file that no
// attack generates is an error too.
func TestAttackCorpusIsCurrent(t *testing.T) {
	if *update {
		if err := os.MkdirAll(filepath.Join(attacksDir, "keys"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	g := &generator{
		tb:       t,
		portal:   attackKey(t, "attacker-portal", portal),
		sanarip:  attackKey(t, "attacker-sanarip", sanarip),
		stranger: attackKey(t, "attacker-stranger", portal),
		sample:   readSample(t, "../testdata/requests/getPerson-found.xml"),
	}
	made := map[string]bool{}
	for _, a := range attackFiles {
		g.name, g.rand = a.name, &fileRand{name: a.name}
		body := a.make(g)
		head := fmt.Sprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- expect: %s -->\n<!-- %s -->\n", a.expect, a.what)
		got := append([]byte(head), append(body, '\n')...)
		path := filepath.Join(attacksDir, a.name+".xml")
		made[path] = true
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (go test ./adapter -run AttackCorpus -update)", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what its generator makes now (go test ./adapter -run AttackCorpus -update); first difference at byte %d:\ncommitted: %.200q\ngenerated: %.200q",
				path, firstDiff(got, want), want[firstDiff(got, want):], got[firstDiff(got, want):])
		}
	}
	files, _ := filepath.Glob(filepath.Join(attacksDir, "*.xml"))
	for _, f := range files {
		if !made[f] {
			t.Errorf("%s is made by no attack in attackFiles: remove it or add its generator", f)
		}
	}
}

// firstDiff is the index of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// forgedBody appends to env an unsigned soap:Body asking for another
// person than the signed one.
func forgedBody(env *etree.Element) {
	p := env.CreateElement("SOAP-ENV:Body").CreateElement("reg:getPerson")
	p.CreateAttr("xmlns:reg", "http://population.tunduk.kg/registry/v1")
	p.CreateElement("reg:pin").SetText("10101199000015")
}
