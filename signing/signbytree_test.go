package signing

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// signByTree is Sign as it was before it built its header from arrays
// (commit "signing: Sign builds the Security header from a few arrays"): the
// reference TestSignBuildsWhatTheTreeBuilderBuilt compares Sign with.
func (s *Signer) signByTree(doc *etree.Document, refs []*etree.Element) error {
	methodURI, ecdsaKey, err := s.check()
	if err != nil {
		return err
	}
	if doc == nil {
		return ErrNotEnvelope
	}
	env := doc.Root()
	header, _, err := envelopeParts(env)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotEnvelope, err)
	}
	idx, err := indexDocument(env)
	if err != nil {
		return err
	}
	if len(idx.securities) > 0 || len(idx.signatures) > 0 {
		return ErrAlreadySigned
	}
	var targets []*etree.Element
	for _, el := range refs {
		if el == nil || !contains(env, el) {
			return ErrForeignElement
		}
		if !slices.Contains(targets, el) {
			targets = append(targets, el)
		}
	}
	rnd := s.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	newID := func(kind string) (string, error) {
		for {
			var b [16]byte
			if _, err := io.ReadFull(rnd, b[:]); err != nil {
				return "", fmt.Errorf("signing: reading randomness: %w", err)
			}
			id := kind + "-" + hex.EncodeToString(b[:])
			if _, taken := idx.ids[id]; !taken {
				idx.ids[id] = nil
				return id, nil
			}
		}
	}
	// Choose every id before the document is touched.
	ids := make([]string, len(targets))
	for i, el := range targets {
		if ids[i] = existingID(el); ids[i] == "" {
			if ids[i], err = newID("id"); err != nil {
				return err
			}
		}
	}
	tokenID, err := newID("X509")
	if err != nil {
		return err
	}
	tsID, err := newID("TS")
	if err != nil {
		return err
	}

	// Build the header.
	doc.WriteSettings.CanonicalAttrVal = true
	doc.WriteSettings.CanonicalText = true
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	created := now().UTC()
	ttl := orDefault(s.TTL, DefaultTTL)
	addedHeader := header == nil
	if addedHeader {
		header = etree.NewElement("Header")
		header.Space = env.Space
		env.InsertChildAt(0, header)
	}
	// soap:mustUnderstand uses the Envelope's prefix where it still means SOAP
	// 1.1 here and is none of the prefixes declared below.
	soapPrefix := env.Space
	sec := header.CreateElement("wsse:Security")
	sec.CreateAttr("xmlns:wsse", nsWSSE)
	sec.CreateAttr("xmlns:wsu", nsWSU)
	if uri, _ := lookupAt(header, soapPrefix); uri != nsSOAP11 || slices.Contains([]string{"", "wsse", "wsu", "ds"}, soapPrefix) {
		soapPrefix = "soapenv"
		sec.CreateAttr("xmlns:soapenv", nsSOAP11)
	}
	sec.CreateAttr(soapPrefix+":mustUnderstand", "1")
	tok := sec.CreateElement("wsse:BinarySecurityToken")
	tok.CreateAttr("EncodingType", encodingTypeBase64)
	tok.CreateAttr("ValueType", valueTypeX509v3)
	tok.CreateAttr("wsu:Id", tokenID)
	tok.SetText(base64Std.EncodeToString(s.Certificate.Raw))
	ts := sec.CreateElement("wsu:Timestamp")
	ts.CreateAttr("wsu:Id", tsID)
	ts.CreateElement("wsu:Created").SetText(created.Format(timestampLayout))
	ts.CreateElement("wsu:Expires").SetText(created.Add(ttl).Format(timestampLayout))
	sig := sec.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", nsDSig)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", algExcC14N)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", methodURI)
	sigValue := sig.CreateElement("ds:SignatureValue")
	str := sig.CreateElement("ds:KeyInfo").CreateElement("wsse:SecurityTokenReference")
	r := str.CreateElement("wsse:Reference")
	r.CreateAttr("URI", "#"+tokenID)
	r.CreateAttr("ValueType", valueTypeX509v3)

	undo := func() {
		header.RemoveChild(sec)
		if addedHeader {
			env.RemoveChild(header)
		}
	}
	var undoIDs []func()
	for i, el := range targets {
		if existingID(el) == "" {
			undoIDs = append(undoIDs, setWSUIDByTree(el, ids[i]))
		}
	}
	fail := func(err error) error {
		undo()
		for _, f := range undoIDs {
			f()
		}
		return err
	}

	// Digest the Timestamp and the targets in place, then sign SignedInfo.
	for i, el := range append([]*etree.Element{ts}, targets...) {
		id := tsID
		if i > 0 {
			id = ids[i-1]
		}
		var sum [sha256.Size]byte
		if err := canonicalize(el, nil, nil, nil, func(b []byte) { sum = sha256.Sum256(b) }); err != nil {
			return fail(err)
		}
		ref := si.CreateElement("ds:Reference")
		ref.CreateAttr("URI", "#"+id)
		ref.CreateElement("ds:Transforms").CreateElement("ds:Transform").CreateAttr("Algorithm", algExcC14N)
		ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", algSHA256)
		ref.CreateElement("ds:DigestValue").SetText(base64Std.EncodeToString(sum[:]))
	}
	var digest [sha256.Size]byte
	if err := canonicalize(si, nil, nil, nil, func(b []byte) { digest = sha256.Sum256(b) }); err != nil {
		return fail(err)
	}
	value, err := signDigest(s.Key, rnd, ecdsaKey, digest)
	if err != nil {
		return fail(err)
	}
	sigValue.SetText(base64Std.EncodeToString(value))
	return nil
}

// setWSUIDByTree is setWSUID as signByTree used it.
func setWSUIDByTree(el *etree.Element, id string) (undo func()) {
	for i := 0; ; i++ {
		prefix := "wsu"
		if i > 0 {
			prefix = fmt.Sprintf("wsu%d", i)
		}
		uri, bound := lookupAt(el, prefix)
		if bound && uri != nsWSU {
			continue
		}
		if !bound {
			el.CreateAttr("xmlns:"+prefix, nsWSU)
		}
		el.CreateAttr(prefix+":Id", id)
		return func() {
			el.RemoveAttr(prefix + ":Id")
			if !bound {
				el.RemoveAttr("xmlns:" + prefix)
			}
		}
	}
}

// signCases are documents to sign and what to cover: the unsigned fixtures,
// every golden response of the adapter with its Security header taken off
// (its elements keep their wsu:Ids), and the unusual shapes Sign handles.
func signCases(tb testing.TB) map[string]string {
	tb.Helper()
	cases := map[string]string{
		"request.xml":                 string(readTestdata(tb, "unsigned/request.xml")),
		"response.xml":                string(readTestdata(tb, "unsigned/response.xml")),
		"no header":                   `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><p:a xmlns:p="urn:p">x</p:a></s:Body></s:Envelope>`,
		"default-namespace envelope":  `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header/><Body Id="bare"><a>x</a></Body></Envelope>`,
		"wsu bound elsewhere":         `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsu="urn:not-wsu"><s:Header/><s:Body wsu:Id="other"><a/></s:Body></s:Envelope>`,
		"ds as the soap prefix":       `<ds:Envelope xmlns:ds="http://schemas.xmlsoap.org/soap/envelope/"><ds:Body><a/></ds:Body></ds:Envelope>`,
		"undeclared prefix (refused)": `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x:a/></s:Body></s:Envelope>`,
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "responses", "*.xml"))
	if len(files) < 20 {
		tb.Fatalf("only %d golden responses", len(files))
	}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(raw); err != nil {
			tb.Fatal(err)
		}
		for _, sec := range doc.FindElements("//Security") {
			sec.Parent().RemoveChild(sec)
		}
		out, err := doc.WriteToString()
		if err != nil {
			tb.Fatal(err)
		}
		cases[filepath.Base(path)] = out
	}
	return cases
}

// signEach parses raw and signs it with sign over its Body and X-Road
// headers, with randomness from seed; it returns the document as Marshal
// writes it and Sign's error.
func signEach(tb testing.TB, raw string, seed byte, sign func(*Signer, *etree.Document, []*etree.Element) error, s Signer) ([]byte, error) {
	tb.Helper()
	doc := parse(tb, []byte(raw))
	refs, err := SignedParts(doc)
	if err != nil {
		body, berr := Body(doc)
		if berr != nil {
			tb.Fatal(berr)
		}
		refs = []*etree.Element{body}
	}
	s.Rand = mathrand.NewChaCha8([32]byte{seed})
	serr := sign(&s, doc, refs)
	out, err := Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return out, serr
}

func TestSignBuildsWhatTheTreeBuilderBuilt(t *testing.T) {
	value := regexp.MustCompile(`<ds:SignatureValue>[^<]*</ds:SignatureValue>`)
	for _, kind := range keyKinds {
		s := *testSigner(t, kind)
		for name, raw := range signCases(t) {
			for seed := range byte(3) {
				got, err := signEach(t, raw, seed, (*Signer).Sign, s)
				want, wantErr := signEach(t, raw, seed, (*Signer).signByTree, s)
				if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
					t.Fatalf("%s/%s: Sign: %v; the tree builder: %v", kind, name, err, wantErr)
				}
				if kind == KeyECDSAP256 {
					// ECDSA signatures are randomized whatever the reader.
					got = value.ReplaceAll(got, []byte("<ds:SignatureValue/>"))
					want = value.ReplaceAll(want, []byte("<ds:SignatureValue/>"))
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s/%s (seed %d): Sign wrote\n%s\nthe tree builder\n%s", kind, name, seed, got, want)
				}
			}
		}
	}
}
