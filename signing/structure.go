package signing

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// This file reads the WS-Security structure of a parsed message without
// doing any cryptography: the document index, the Security header and the
// ds:Signature with its algorithm allow-list.

// attr returns the value of el's unprefixed attribute key.
func attr(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// is reports whether el has namespace URI ns and local name local.
func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

func qname(el *etree.Element) string { return "{" + el.NamespaceURI() + "}" + el.Tag }

// docIndex is what one pass over the whole document learns.
type docIndex struct {
	ids        map[string]*etree.Element // Id and wsu:Id values
	signatures []*etree.Element          // every ds:Signature
	securities []*etree.Element          // every wsse:Security
}

// indexDocument walks every element under root. An element's ids are its
// unprefixed Id attribute and its wsu:Id attribute (matched by namespace URI);
// a value carried by two different elements is ErrDuplicateID, wherever they
// are, because a reference to it would be ambiguous.
func indexDocument(root *etree.Element) (*docIndex, error) {
	idx := &docIndex{ids: map[string]*etree.Element{}}
	var scope []nsBinding
	for p := root.Parent(); p != nil; p = p.Parent() {
		scope = appendDeclarations(scope, p)
	}
	var walk func(el *etree.Element) error
	walk = func(el *etree.Element) error {
		mark := len(scope)
		scope = appendDeclarations(scope, el)
		ns, _ := lookup(scope, el.Space)
		switch {
		case ns == nsDSig && el.Tag == "Signature":
			idx.signatures = append(idx.signatures, el)
		case ns == nsWSSE && el.Tag == "Security":
			idx.securities = append(idx.securities, el)
		}
		for _, a := range el.Attr {
			if a.Key != "Id" {
				continue
			}
			if a.Space != "" {
				if uri, _ := lookup(scope, a.Space); uri != nsWSU {
					continue
				}
			}
			if prev, ok := idx.ids[a.Value]; ok && prev != el {
				return fmt.Errorf("%w: %q on <%s> and <%s>", ErrDuplicateID, a.Value, prev.FullTag(), el.FullTag())
			}
			idx.ids[a.Value] = el
		}
		for _, t := range el.Child { // not ChildElements: no slice per element
			if c, ok := t.(*etree.Element); ok {
				if err := walk(c); err != nil {
					return err
				}
			}
		}
		scope = scope[:mark]
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	return idx, nil
}

// securityHeader is the one wsse:Security header and its three parts.
type securityHeader struct {
	security, token, timestamp, signature *etree.Element
}

// envelopeParts returns the Header (nil if absent) and Body of a SOAP 1.1
// Envelope, refusing a second Header or Body.
func envelopeParts(env *etree.Element) (header, body *etree.Element, err error) {
	if env == nil || !is(env, nsSOAP11, "Envelope") {
		return nil, nil, fmt.Errorf("%w: root is not a SOAP 1.1 Envelope", ErrMalformed)
	}
	for c := range env.ChildElementsSeq() {
		switch {
		case is(c, nsSOAP11, "Header"):
			if header != nil {
				return nil, nil, fmt.Errorf("%w: more than one soap:Header", ErrMalformed)
			}
			header = c
		case is(c, nsSOAP11, "Body"):
			if body != nil {
				return nil, nil, fmt.Errorf("%w: more than one soap:Body", ErrMalformed)
			}
			body = c
		}
	}
	if body == nil {
		return nil, nil, fmt.Errorf("%w: no soap:Body", ErrMalformed)
	}
	return header, body, nil
}

// findSecurity locates the Security header and its token, timestamp and
// signature, refusing anything missing, repeated or unexpected.
func findSecurity(header *etree.Element, idx *docIndex) (*securityHeader, error) {
	switch {
	case len(idx.securities) == 0:
		return nil, ErrMissingSecurity
	case len(idx.securities) > 1:
		return nil, fmt.Errorf("%w: %d found", ErrExtraSecurity, len(idx.securities))
	case len(idx.signatures) > 1:
		return nil, fmt.Errorf("%w: %d found", ErrExtraSignature, len(idx.signatures))
	}
	h := &securityHeader{security: idx.securities[0]}
	if header == nil || h.security.Parent() != header {
		return nil, fmt.Errorf("%w: wsse:Security is not a child of soap:Header", ErrMalformed)
	}
	for c := range h.security.ChildElementsSeq() {
		switch {
		case is(c, nsWSSE, "BinarySecurityToken"):
			if h.token != nil {
				return nil, ErrExtraToken
			}
			h.token = c
		case is(c, nsWSU, "Timestamp"):
			if h.timestamp != nil {
				return nil, ErrExtraTimestamp
			}
			h.timestamp = c
		case is(c, nsDSig, "Signature"):
			h.signature = c
		default:
			return nil, fmt.Errorf("%w: unexpected %s in wsse:Security", ErrMalformed, qname(c))
		}
	}
	switch {
	case h.signature == nil && len(idx.signatures) == 1:
		return nil, fmt.Errorf("%w: the only ds:Signature is outside the Security header", ErrMissingSignature)
	case h.signature == nil:
		return nil, ErrMissingSignature
	case h.token == nil:
		return nil, ErrMissingToken
	case h.timestamp == nil:
		return nil, ErrMissingTimestamp
	}
	return h, nil
}

// reference is one ds:Reference, read and checked against the allow-list.
type reference struct {
	id          string
	prefixes    []string // InclusiveNamespaces PrefixList of its exc-c14n transform
	enveloped   bool
	digestURI   string
	digestValue []byte
	target      *etree.Element // resolved later
}

// signature is a ds:Signature, read and checked against the allow-list.
type signature struct {
	signedInfo *etree.Element
	prefixes   []string // of the CanonicalizationMethod
	methodURI  string
	method     signatureAlgorithm
	refs       []reference
	value      []byte
	tokenID    string // the SecurityTokenReference's target
}

// usesSHA1 reports whether any SHA-1 form is in use.
func (s *signature) usesSHA1() bool {
	if s.methodURI == algRSASHA1 || s.methodURI == algECDSASHA1 {
		return true
	}
	for _, r := range s.refs {
		if r.digestURI == algSHA1 {
			return true
		}
	}
	return false
}

// parseSignature reads sig (XML-DSig section 4) as the profile allows it:
// SignedInfo, SignatureValue, KeyInfo and nothing else; every algorithm and
// transform on the allow-list; at most maxRefs references, each "#id".
func parseSignature(sig *etree.Element, maxRefs int) (*signature, error) {
	var buf, siBuf [8]*etree.Element // room for what the profile allows, without a slice per call
	parts := childElements(buf[:0], sig)
	if len(parts) != 3 || !is(parts[0], nsDSig, "SignedInfo") || !is(parts[1], nsDSig, "SignatureValue") || !is(parts[2], nsDSig, "KeyInfo") {
		return nil, fmt.Errorf("%w: ds:Signature must hold exactly SignedInfo, SignatureValue and KeyInfo", ErrMalformed)
	}
	s := &signature{signedInfo: parts[0]}
	si := childElements(siBuf[:0], parts[0])
	if len(si) < 3 || !is(si[0], nsDSig, "CanonicalizationMethod") || !is(si[1], nsDSig, "SignatureMethod") {
		return nil, fmt.Errorf("%w: SignedInfo must hold CanonicalizationMethod, SignatureMethod and References", ErrMalformed)
	}
	if n := len(si) - 2; n > maxRefs {
		return nil, fmt.Errorf("%w: %d, the limit is %d", ErrTooManyReferences, n, maxRefs)
	}
	var err error
	if s.prefixes, err = excC14N(si[0], "CanonicalizationMethod", ErrUnsupportedAlgorithm); err != nil {
		return nil, err
	}
	s.methodURI, _ = attr(si[1], "Algorithm")
	alg, ok := signatureAlgorithms[s.methodURI]
	if !ok {
		return nil, fmt.Errorf("%w: SignatureMethod %q", ErrUnsupportedAlgorithm, s.methodURI)
	}
	if hasChildElement(si[1]) {
		return nil, fmt.Errorf("%w: SignatureMethod has parameters", ErrUnsupportedAlgorithm)
	}
	s.method = alg
	seen := map[string]bool{}
	for _, el := range si[2:] {
		if !is(el, nsDSig, "Reference") {
			return nil, fmt.Errorf("%w: unexpected %s in SignedInfo", ErrMalformed, qname(el))
		}
		r, err := parseReference(el)
		if err != nil {
			return nil, err
		}
		if seen[r.id] {
			return nil, fmt.Errorf("%w: two references to #%s", ErrMalformed, r.id)
		}
		seen[r.id] = true
		s.refs = append(s.refs, r)
	}
	if s.value, err = decodeBase64(parts[1].Text()); err != nil || len(s.value) == 0 {
		return nil, fmt.Errorf("%w: SignatureValue is not base64", ErrMalformed)
	}
	if s.tokenID, err = tokenReference(parts[2]); err != nil {
		return nil, err
	}
	return s, nil
}

// excC14N checks that el (a CanonicalizationMethod or Transform) names
// Exclusive C14N 1.0 without comments and returns its PrefixList.
func excC14N(el *etree.Element, what string, refusal error) ([]string, error) {
	if uri, _ := attr(el, "Algorithm"); uri != algExcC14N {
		return nil, fmt.Errorf("%w: %s %q", refusal, what, uri)
	}
	var prefixes []string
	i := 0
	for c := range el.ChildElementsSeq() {
		if i++; i > 1 || !is(c, nsExcC14N, "InclusiveNamespaces") {
			return nil, fmt.Errorf("%w: unexpected %s in %s", ErrMalformed, qname(c), what)
		}
		list, _ := attr(c, "PrefixList")
		prefixes = strings.Fields(list)
	}
	return prefixes, nil
}

// parseReference reads one ds:Reference: URI "#id", Transforms that are an
// optional enveloped-signature followed by exactly one Exclusive C14N, an
// allowed DigestMethod and a DigestValue.
func parseReference(el *etree.Element) (reference, error) {
	var r reference
	uri, _ := attr(el, "URI")
	if !strings.HasPrefix(uri, "#") || len(uri) == 1 || strings.HasPrefix(uri, "#xpointer(") {
		return r, fmt.Errorf("%w: reference URI %q is not a same-document #id", ErrMalformed, uri)
	}
	r.id = uri[1:]
	var buf, tBuf [4]*etree.Element
	parts := childElements(buf[:0], el)
	if len(parts) != 3 || !is(parts[0], nsDSig, "Transforms") || !is(parts[1], nsDSig, "DigestMethod") || !is(parts[2], nsDSig, "DigestValue") {
		return r, fmt.Errorf("%w: reference %s must hold Transforms, DigestMethod and DigestValue (Exclusive C14N is required)", ErrUnsupportedTransform, uri)
	}
	transforms := childElements(tBuf[:0], parts[0])
	for i, t := range transforms {
		if !is(t, nsDSig, "Transform") {
			return r, fmt.Errorf("%w: unexpected %s in Transforms", ErrMalformed, qname(t))
		}
		alg, _ := attr(t, "Algorithm")
		last := i == len(transforms)-1
		switch {
		case alg == algEnveloped && !last && i == 0:
			if hasChildElement(t) {
				return r, fmt.Errorf("%w: enveloped-signature transform has parameters", ErrUnsupportedTransform)
			}
			r.enveloped = true
		case alg == algExcC14N && last:
			var err error
			if r.prefixes, err = excC14N(t, "Transform", ErrUnsupportedTransform); err != nil {
				return r, err
			}
		default:
			return r, fmt.Errorf("%w: %q at position %d of reference %s (allowed: enveloped-signature, then exc-c14n last)", ErrUnsupportedTransform, alg, i+1, uri)
		}
	}
	if len(transforms) == 0 {
		return r, fmt.Errorf("%w: reference %s has no Exclusive C14N transform", ErrUnsupportedTransform, uri)
	}
	r.digestURI, _ = attr(parts[1], "Algorithm")
	if _, ok := digestAlgorithms[r.digestURI]; !ok || hasChildElement(parts[1]) {
		return r, fmt.Errorf("%w: DigestMethod %q", ErrUnsupportedAlgorithm, r.digestURI)
	}
	var err error
	if r.digestValue, err = decodeBase64(parts[2].Text()); err != nil {
		return r, fmt.Errorf("%w: DigestValue of %s is not base64", ErrMalformed, uri)
	}
	return r, nil
}

// tokenReference reads KeyInfo: exactly one wsse:SecurityTokenReference
// holding exactly one wsse:Reference with a "#id" URI (WS-Security 1.1 SOAP
// Message Security section 7.2, direct reference); returns the id.
func tokenReference(keyInfo *etree.Element) (string, error) {
	refusal := fmt.Errorf("%w: KeyInfo must be a SecurityTokenReference with one direct Reference to the BinarySecurityToken", ErrMalformed)
	var buf [2]*etree.Element
	kids := childElements(buf[:0], keyInfo)
	if len(kids) != 1 || !is(kids[0], nsWSSE, "SecurityTokenReference") {
		return "", refusal
	}
	kids = childElements(buf[:0], kids[0])
	if len(kids) != 1 || !is(kids[0], nsWSSE, "Reference") {
		return "", refusal
	}
	if vt, ok := attr(kids[0], "ValueType"); ok && vt != valueTypeX509v3 {
		return "", fmt.Errorf("%w: token reference ValueType %q", ErrMalformed, vt)
	}
	uri, _ := attr(kids[0], "URI")
	if !strings.HasPrefix(uri, "#") || len(uri) == 1 {
		return "", refusal
	}
	return uri[1:], nil
}

// childElements appends el's child elements to dst, as ChildElements
// returns them but into a caller's buffer.
func childElements(dst []*etree.Element, el *etree.Element) []*etree.Element {
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok {
			dst = append(dst, c)
		}
	}
	return dst
}

// hasChildElement reports whether el has a child element.
func hasChildElement(el *etree.Element) bool {
	for _, t := range el.Child {
		if _, ok := t.(*etree.Element); ok {
			return true
		}
	}
	return false
}

// decodeBase64 decodes xs:base64Binary, which may be broken by whitespace.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}
