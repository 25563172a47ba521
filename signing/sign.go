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
	// Choose every id before the document is touched. The ids are written
	// into one buffer as "#id", so that one string holds them and the
	// References' URIs.
	ids := newIDs(len(targets) + 2)
	for _, el := range targets {
		if existing := existingID(el); existing != "" {
			ids.keep(existing)
		} else if err := ids.draw(rnd, "id", idx); err != nil {
			return err
		}
	}
	if err := ids.draw(rnd, "X509", idx); err != nil {
		return err
	}
	if err := ids.draw(rnd, "TS", idx); err != nil {
		return err
	}
	uris := ids.uris()
	tokenURI, tsURI := uris[len(targets)], uris[len(targets)+1]

	// Build the header, its elements from a few arrays.
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
	nRefs := 1 + len(targets)
	b := newTreeBuilder(securityElements+referenceElements*nRefs, securityTexts+nRefs, securityAttrs+referenceAttrs*nRefs)
	// soap:mustUnderstand uses the Envelope's prefix where it still means SOAP
	// 1.1 here and is none of the prefixes declared below.
	soapPrefix := env.Space
	mustUnderstand := soapPrefix + ":mustUnderstand"
	sec := b.element(header, "wsse", "Security", 4, 3)
	sec.CreateAttr("xmlns:wsse", nsWSSE)
	sec.CreateAttr("xmlns:wsu", nsWSU)
	if uri, _ := lookupAt(header, soapPrefix); uri != nsSOAP11 || slices.Contains([]string{"", "wsse", "wsu", "ds"}, soapPrefix) {
		soapPrefix, mustUnderstand = "soapenv", "soapenv:mustUnderstand"
		sec.CreateAttr("xmlns:soapenv", nsSOAP11)
	}
	sec.CreateAttr(mustUnderstand, "1")
	tok := b.element(sec, "wsse", "BinarySecurityToken", 3, 1)
	tok.CreateAttr("EncodingType", encodingTypeBase64)
	tok.CreateAttr("ValueType", valueTypeX509v3)
	tok.CreateAttr("wsu:Id", tokenURI[1:])
	b.text(tok, base64Std.EncodeToString(s.Certificate.Raw))
	ts := b.element(sec, "wsu", "Timestamp", 1, 2)
	ts.CreateAttr("wsu:Id", tsURI[1:])
	b.text(b.element(ts, "wsu", "Created", 0, 1), created.Format(timestampLayout))
	b.text(b.element(ts, "wsu", "Expires", 0, 1), created.Add(ttl).Format(timestampLayout))
	sig := b.element(sec, "ds", "Signature", 1, 3)
	sig.CreateAttr("xmlns:ds", nsDSig)
	si := b.element(sig, "ds", "SignedInfo", 0, 2+nRefs)
	b.element(si, "ds", "CanonicalizationMethod", 1, 0).CreateAttr("Algorithm", algExcC14N)
	b.element(si, "ds", "SignatureMethod", 1, 0).CreateAttr("Algorithm", methodURI)
	sigValue := b.element(sig, "ds", "SignatureValue", 0, 1)
	str := b.element(b.element(sig, "ds", "KeyInfo", 0, 1), "wsse", "SecurityTokenReference", 0, 1)
	r := b.element(str, "wsse", "Reference", 2, 0)
	r.CreateAttr("URI", tokenURI)
	r.CreateAttr("ValueType", valueTypeX509v3)

	undo := func() {
		header.RemoveChild(sec)
		if addedHeader {
			env.RemoveChild(header)
		}
	}
	var added []addedID
	for i, el := range targets {
		if existingID(el) == "" {
			added = append(added, setWSUID(el, uris[i][1:]))
		}
	}
	fail := func(err error) error {
		undo()
		for _, a := range added {
			a.undo()
		}
		return err
	}

	// Digest the Timestamp and the targets in place, then sign SignedInfo.
	// The digests' base64 forms share one string, set once all are known.
	digests := make([]byte, 0, nRefs*base64Std.EncodedLen(sha256.Size))
	values := make([]*etree.CharData, nRefs)
	for i := range nRefs {
		el, uri := ts, tsURI
		if i > 0 {
			el, uri = targets[i-1], uris[i-1]
		}
		var sum [sha256.Size]byte
		if err := canonicalize(el, nil, nil, nil, func(b []byte) { sum = sha256.Sum256(b) }); err != nil {
			return fail(err)
		}
		digests = base64Std.AppendEncode(digests, sum[:])
		ref := b.element(si, "ds", "Reference", 1, 3)
		ref.CreateAttr("URI", uri)
		b.element(b.element(ref, "ds", "Transforms", 0, 1), "ds", "Transform", 1, 0).CreateAttr("Algorithm", algExcC14N)
		b.element(ref, "ds", "DigestMethod", 1, 0).CreateAttr("Algorithm", algSHA256)
		values[i] = b.text(b.element(ref, "ds", "DigestValue", 0, 1), "")
	}
	all, n := string(digests), base64Std.EncodedLen(sha256.Size)
	for i, v := range values {
		v.Data = all[i*n : (i+1)*n]
	}
	var digest [sha256.Size]byte
	if err := canonicalize(si, nil, nil, nil, func(b []byte) { digest = sha256.Sum256(b) }); err != nil {
		return fail(err)
	}
	value, err := signDigest(s.Key, rnd, ecdsaKey, digest)
	if err != nil {
		return fail(err)
	}
	b.text(sigValue, base64Std.EncodeToString(value))
	return nil
}

// The Security header's size, for newTreeBuilder: its fixed elements, text
// nodes and attributes, and those of each ds:Reference.
const (
	securityElements  = 13 // Security ... wsse:Reference
	securityTexts     = 4  // the token, Created, Expires, SignatureValue
	securityAttrs     = 4 + 3 + 1 + 1 + 1 + 1 + 2
	referenceElements = 5 // Reference, Transforms, Transform, DigestMethod, DigestValue
	referenceAttrs    = 3
)

// treeBuilder hands out the elements, text nodes and child and attribute
// slices of a tree Sign builds from a few arrays instead of one allocation
// each. Every slice it hands out is capped at the room asked for, so an
// append beyond it moves the slice rather than writing into a neighbour's.
type treeBuilder struct {
	els   []etree.Element
	texts []etree.CharData
	kids  []etree.Token
	attrs []etree.Attr
}

func newTreeBuilder(elements, texts, attrs int) *treeBuilder {
	return &treeBuilder{
		els:   make([]etree.Element, elements),
		texts: make([]etree.CharData, texts),
		kids:  make([]etree.Token, elements+texts),
		attrs: make([]etree.Attr, attrs),
	}
}

// element adds space:tag to parent, with room for attrs attributes and
// kids children, as parent.CreateElement(space+":"+tag) does.
func (b *treeBuilder) element(parent *etree.Element, space, tag string, attrs, kids int) *etree.Element {
	var el *etree.Element
	if len(b.els) > 0 {
		el, b.els = &b.els[0], b.els[1:]
	} else {
		el = new(etree.Element)
	}
	el.Space, el.Tag = space, tag
	el.Attr = take(&b.attrs, attrs)
	el.Child = take(&b.kids, kids)
	parent.AddChild(el)
	return el
}

// text adds a text node holding data to el, which has no children yet,
// as el.SetText(data) does, and returns it.
func (b *treeBuilder) text(el *etree.Element, data string) *etree.CharData {
	var t *etree.CharData
	if len(b.texts) > 0 {
		t, b.texts = &b.texts[0], b.texts[1:]
	} else {
		t = new(etree.CharData)
	}
	t.Data = data
	el.AddChild(t)
	return t
}

// take cuts an empty slice with room for n from the front of *pool, or
// returns nil when the pool is short (an append then allocates).
func take[T any](pool *[]T, n int) []T {
	if n == 0 || len(*pool) < n {
		return nil
	}
	s := (*pool)[:0:n]
	*pool = (*pool)[n:]
	return s
}

// idSet is the ids Sign uses, each written as "#id" into one buffer.
type idSet struct {
	buf  []byte
	ends []int
}

func newIDs(n int) *idSet {
	return &idSet{buf: make([]byte, 0, n*len("#X509-")+n*2*16), ends: make([]int, 0, n)}
}

// keep adds an id the element already has.
func (s *idSet) keep(id string) {
	s.buf = append(s.buf, '#')
	s.buf = append(s.buf, id...)
	s.ends = append(s.ends, len(s.buf))
}

// draw adds a fresh id kind-<32 hex digits> from 16 bytes of rnd, taken by
// no element of idx and by no id drawn before.
func (s *idSet) draw(rnd io.Reader, kind string, idx *docIndex) error {
	var b [16]byte
	for {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return fmt.Errorf("signing: reading randomness: %w", err)
		}
		start := len(s.buf)
		s.buf = append(s.buf, '#')
		s.buf = append(s.buf, kind...)
		s.buf = append(s.buf, '-')
		s.buf = hex.AppendEncode(s.buf, b[:])
		id := s.buf[start+1:]
		if _, taken := idx.ids[string(id)]; !taken && !s.drawn(id, start) {
			s.ends = append(s.ends, len(s.buf))
			return nil
		}
		s.buf = s.buf[:start]
	}
}

// drawn reports whether id is among the ids before offset end.
func (s *idSet) drawn(id []byte, end int) bool {
	start := 0
	for _, e := range s.ends {
		if e > end {
			break
		}
		if string(s.buf[start+1:e]) == string(id) {
			return true
		}
		start = e
	}
	return false
}

// uris returns every id as "#id", in the order they were added.
func (s *idSet) uris() []string {
	all := string(s.buf)
	out := make([]string, len(s.ends))
	start := 0
	for i, e := range s.ends {
		out[i] = all[start:e]
		start = e
	}
	return out
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
func setWSUID(el *etree.Element, id string) addedID {
	for i := 0; ; i++ {
		prefix := "wsu"
		if i > 0 {
			prefix = fmt.Sprintf("wsu%d", i)
		}
		uri, bound := lookupAt(el, prefix)
		if bound && uri != nsWSU {
			continue
		}
		a := addedID{el: el, declared: !bound}
		if prefix == "wsu" { // the usual case, without building the names
			a.decl, a.attr = "xmlns:wsu", "wsu:Id"
		} else {
			a.decl, a.attr = "xmlns:"+prefix, prefix+":Id"
		}
		el.Attr = slices.Grow(el.Attr, 2)
		if a.declared {
			el.CreateAttr(a.decl, nsWSU)
		}
		el.CreateAttr(a.attr, id)
		return a
	}
}

// addedID is a wsu:Id setWSUID added, and its declaration if it added one.
type addedID struct {
	el         *etree.Element
	decl, attr string
	declared   bool
}

// undo takes the id (and its declaration) away again.
func (a addedID) undo() {
	a.el.RemoveAttr(a.attr)
	if a.declared {
		a.el.RemoveAttr(a.decl)
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
