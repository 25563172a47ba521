package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"slices"
	"time"

	"github.com/beevik/etree"
)

// DefaultTTL is the lifetime of a Signer's Timestamp when TTL is zero.
const DefaultTTL = 5 * time.Minute

// Signer signs SOAP 1.1 messages in the profile of the package comment:
// Darbaza's responses with the adapter's key, and, in `darbaza sign` and
// `darbaza send`, an integrator's requests.
type Signer struct {
	Key         crypto.Signer     // *ecdsa.PrivateKey (P-256) or *rsa.PrivateKey (>= 2048 bits), or an HSM signer with such a public key
	Certificate *x509.Certificate // must hold Key's public key
	TTL         time.Duration     // Timestamp Expires - Created; 0 = DefaultTTL
	Now         func() time.Time  // nil = time.Now
	Rand        io.Reader         // ids and signature randomness; nil = crypto/rand
}

// Sign adds one wsse:Security header (soap:mustUnderstand="1") to the SOAP
// 1.1 envelope doc, after the existing headers, holding a
// BinarySecurityToken with s.Certificate, a wsu:Timestamp and a ds:Signature
// (ecdsa-sha256 with a raw r||s value, or rsa-sha256) whose references cover,
// by "#id" with Exclusive C14N and SHA-256, the Timestamp and every element
// of refs. An element of refs without a wsu:Id or bare Id is given a fresh
// wsu:Id. doc must not be signed already and its ids must be unique; nothing
// is changed when Sign refuses.
//
// Sign also sets doc.WriteSettings so that doc.WriteTo escapes TAB, LF and
// CR in attribute values and CR in text as character references: with
// etree's defaults they are written literally and come back, after XML 1.0
// end-of-line and attribute-value normalization, as other characters, which
// breaks the signature. Marshal does the same for any document.
func (s *Signer) Sign(doc *etree.Document, refs []*etree.Element) error {
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
			undoIDs = append(undoIDs, setWSUID(el, ids[i]))
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

// timestampLayout writes xsd:dateTime in UTC with milliseconds.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// check validates the key and certificate and returns the SignatureMethod.
func (s *Signer) check() (methodURI string, isECDSA bool, err error) {
	if s.Key == nil || s.Certificate == nil {
		return "", false, fmt.Errorf("%w: signer needs a key and a certificate", ErrKeyMismatch)
	}
	pub, ok := s.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(s.Certificate.PublicKey) {
		return "", false, ErrKeyMismatch
	}
	methodURI, err = SignatureMethod(s.Key.Public())
	return methodURI, methodURI == algECDSASHA256, err
}

// rawECDSA converts an ASN.1 ECDSA signature, as crypto.Signer returns it,
// into XML-DSig's raw r||s form with each half size bytes long.
func rawECDSA(der []byte, size int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("signing: ECDSA signer returned a malformed signature")
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}

// contains reports whether el is root or one of its descendants.
func contains(root, el *etree.Element) bool {
	for ; el != nil; el = el.Parent() {
		if el == root {
			return true
		}
	}
	return false
}

// existingID returns el's wsu:Id or, failing that, its bare Id; "" if none.
func existingID(el *etree.Element) string {
	bare := ""
	for _, a := range el.Attr {
		switch {
		case a.Key != "Id":
		case a.Space == "":
			bare = a.Value
		default:
			if uri, _ := lookupAt(el, a.Space); uri == nsWSU {
				return a.Value
			}
		}
	}
	return bare
}

// lookupAt returns the namespace URI prefix is bound to at el ("" for the
// default namespace), and whether it is bound: the innermost declaration on
// el or an ancestor, as a scope of appendDeclarations would give it.
func lookupAt(el *etree.Element, prefix string) (string, bool) {
	for p := el; p != nil; p = p.Parent() {
		for i := len(p.Attr) - 1; i >= 0; i-- {
			a := &p.Attr[i]
			if (prefix == "" && a.Space == "" && a.Key == "xmlns") || (prefix != "" && a.Space == "xmlns" && a.Key == prefix) {
				return a.Value, true
			}
		}
	}
	return "", false
}

// setWSUID gives el a wsu:Id and returns how to take it away again. It uses
// the first of wsu, wsu1, wsu2, ... that is bound to the utility namespace at
// el or not bound at all (then declaring it on el), so that no prefix the
// element or its content relies on is shadowed.
func setWSUID(el *etree.Element, id string) (undo func()) {
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

// Marshal serializes doc so that parsing the bytes again yields the same
// canonical form of every element: TAB, LF and CR in attribute values and CR
// in text are written as character references (see Sign).
func Marshal(doc *etree.Document) ([]byte, error) {
	doc.WriteSettings.CanonicalAttrVal = true
	doc.WriteSettings.CanonicalText = true
	return doc.WriteToBytes()
}
