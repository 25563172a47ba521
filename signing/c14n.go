package signing

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// xmlNamespace is the namespace bound to the prefix "xml" by definition
// (Namespaces in XML 1.0, section 3); it is never declared nor rendered.
const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// Canonicalize returns the Exclusive XML Canonicalization 1.0 form, without
// comments, of the subtree rooted at el (W3C Exc-C14N 1.0, applied to the node
// set of a same-document "#id" reference as XML-DSig section 4.4.3.3 defines
// it). el stays in place: namespace declarations it inherits from its real
// ancestors are found there, and only those visibly utilized (or named in
// inclusivePrefixes, where "#default" is the default namespace) are rendered.
//
// goxmldsig v1.6.1's canonicalizer is not used: it orders attributes by
// prefix instead of by namespace URI (Canonical XML 1.0 section 2.2) and
// ignores "#default" in the InclusiveNamespaces PrefixList. The output of this
// one equals xmlsec1's for every reference of the conformance samples
// (testdata/c14n).
func Canonicalize(el *etree.Element, inclusivePrefixes []string) ([]byte, error) {
	var out []byte
	err := canonicalize(el, inclusivePrefixes, nil, nil, func(b []byte) { out = slices.Clone(b) })
	return out, err
}

// canonicalize writes the canonical form of el as Canonicalize does, less
// the subtree exclude, calling seen for every element written, and hands
// it to use, which must not keep it: the buffer is reused.
func canonicalize(el *etree.Element, inclusivePrefixes []string, exclude *etree.Element, seen func(*etree.Element), use func([]byte)) error {
	c := canonicalizers.Get().(*canonicalizer)
	defer c.release()
	c.reset(inclusivePrefixes, exclude, seen)
	if err := c.apex(el); err != nil {
		return err
	}
	use(c.out)
	return nil
}

// canonicalizers are reused: a request canonicalizes about twenty
// subtrees, each of which would otherwise grow its buffers from nothing.
var canonicalizers = sync.Pool{New: func() any { return new(canonicalizer) }}

// maxPooledOut is the largest output buffer a pooled canonicalizer keeps.
const maxPooledOut = 64 << 10

func (c *canonicalizer) release() {
	if cap(c.out) > maxPooledOut {
		c.out = nil
	}
	c.exclude, c.seen = nil, nil
	canonicalizers.Put(c)
}

type nsBinding struct{ prefix, uri string }

// canonicalizer writes one canonical subtree. scope holds the namespace
// declarations in scope (innermost last) and rendered those already written
// by output ancestors, so that each is searched from its end.
type canonicalizer struct {
	out       []byte
	inclusive []string                // "" stands for #default
	exclude   *etree.Element          // enveloped-signature: this subtree is left out
	seen      func(el *etree.Element) // called for every element written
	scope     []nsBinding
	rendered  []nsBinding
	decls     []nsBinding // the declarations of the element being written
	attrs     []sortedAttr
	chain     []*etree.Element
}

type sortedAttr struct {
	uri, local string
	a          *etree.Attr
}

// reset readies c for a new subtree, keeping its buffers.
func (c *canonicalizer) reset(inclusivePrefixes []string, exclude *etree.Element, seen func(*etree.Element)) {
	c.out, c.scope, c.rendered = c.out[:0], c.scope[:0], c.rendered[:0]
	c.exclude, c.seen = exclude, seen
	c.inclusive = c.inclusive[:0]
	for _, p := range inclusivePrefixes {
		if p == "#default" {
			p = ""
		}
		if !slices.Contains(c.inclusive, p) {
			c.inclusive = append(c.inclusive, p)
		}
	}
}

// apex canonicalizes el with the namespace context of its ancestors.
func (c *canonicalizer) apex(el *etree.Element) error {
	chain := c.chain[:0]
	for p := el.Parent(); p != nil; p = p.Parent() {
		chain = append(chain, p)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		c.scope = appendDeclarations(c.scope, chain[i])
	}
	clear(chain) // the pool must not keep documents alive
	c.chain = chain[:0]
	return c.element(el)
}

// appendDeclarations appends the xmlns and xmlns:p attributes of el.
func appendDeclarations(scope []nsBinding, el *etree.Element) []nsBinding {
	for _, a := range el.Attr {
		switch {
		case a.Space == "" && a.Key == "xmlns":
			scope = append(scope, nsBinding{"", a.Value})
		case a.Space == "xmlns":
			scope = append(scope, nsBinding{a.Key, a.Value})
		}
	}
	return scope
}

func lookup(stack []nsBinding, prefix string) (string, bool) {
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].prefix == prefix {
			return stack[i].uri, true
		}
	}
	return "", false
}

func isDeclaration(a *etree.Attr) bool {
	return a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")
}

// consider adds prefix's declaration to c.decls if the element being
// written must render it: it is visibly utilized (or inclusive) and no
// output ancestor rendered the same binding.
func (c *canonicalizer) consider(el *etree.Element, prefix string, utilized bool) error {
	if prefix == "xml" {
		return nil
	}
	for _, d := range c.decls {
		if d.prefix == prefix {
			return nil
		}
	}
	uri, inScope := lookup(c.scope, prefix)
	if prefix != "" && (!inScope || uri == "") {
		if utilized {
			return fmt.Errorf("%w: prefix %q of <%s> is not declared", ErrMalformed, prefix, el.FullTag())
		}
		return nil
	}
	have, done := lookup(c.rendered, prefix)
	if prefix == "" && uri == "" {
		// xmlns="" only undoes a default namespace an output ancestor rendered.
		if done && have != "" {
			c.decls = append(c.decls, nsBinding{"", ""})
		}
		return nil
	}
	if !done || have != uri {
		c.decls = append(c.decls, nsBinding{prefix, uri})
	}
	return nil
}

// appendName appends prefix:local, or local alone.
func appendName(out []byte, prefix, local string) []byte {
	if prefix != "" {
		out = append(out, prefix...)
		out = append(out, ':')
	}
	return append(out, local...)
}

func (c *canonicalizer) element(el *etree.Element) error {
	if el == c.exclude {
		return nil
	}
	if c.seen != nil {
		c.seen(el)
	}
	scopeMark, renderedMark := len(c.scope), len(c.rendered)
	c.scope = appendDeclarations(c.scope, el)

	// Namespace axis: visibly utilized prefixes, then the inclusive ones
	// (Exc-C14N 1.0 section 3, "Specification of Exclusive XML Canonicalization").
	// c.decls serves this element only: it is written out before any child.
	c.decls = c.decls[:0]
	if err := c.consider(el, el.Space, true); err != nil {
		return err
	}
	for i := range el.Attr {
		a := &el.Attr[i]
		if a.Space != "" && !isDeclaration(a) {
			if err := c.consider(el, a.Space, true); err != nil {
				return err
			}
		}
	}
	for _, p := range c.inclusive {
		if err := c.consider(el, p, false); err != nil {
			return err
		}
	}
	decls := c.decls
	slices.SortFunc(decls, func(a, b nsBinding) int { return strings.Compare(a.prefix, b.prefix) })
	c.rendered = append(c.rendered, decls...)

	// Attribute axis, ordered by namespace URI then local name (C14N 1.0 section 2.2).
	attrs := c.attrs[:0]
	for i := range el.Attr {
		a := &el.Attr[i]
		if isDeclaration(a) {
			continue
		}
		uri := ""
		switch a.Space {
		case "":
		case "xml":
			uri = xmlNamespace
		default:
			uri, _ = lookup(c.scope, a.Space)
		}
		attrs = append(attrs, sortedAttr{uri, a.Key, a})
	}
	slices.SortFunc(attrs, func(a, b sortedAttr) int {
		if n := strings.Compare(a.uri, b.uri); n != 0 {
			return n
		}
		return strings.Compare(a.local, b.local)
	})

	c.out = append(c.out, '<')
	c.out = appendName(c.out, el.Space, el.Tag)
	for _, d := range decls {
		if d.prefix == "" {
			c.out = append(c.out, ` xmlns="`...)
		} else {
			c.out = append(c.out, ` xmlns:`...)
			c.out = append(c.out, d.prefix...)
			c.out = append(c.out, `="`...)
		}
		c.out = appendEscapedAttr(c.out, d.uri)
		c.out = append(c.out, '"')
	}
	for _, sa := range attrs {
		c.out = append(c.out, ' ')
		c.out = appendName(c.out, sa.a.Space, sa.a.Key)
		c.out = append(c.out, `="`...)
		c.out = appendEscapedAttr(c.out, sa.a.Value)
		c.out = append(c.out, '"')
	}
	c.out = append(c.out, '>')
	clear(attrs) // the pool must not keep documents alive
	c.attrs = attrs[:0]

	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if err := c.element(t); err != nil {
				return err
			}
		case *etree.CharData:
			c.out = appendEscapedText(c.out, t.Data)
		case *etree.ProcInst:
			c.out = append(c.out, "<?"...)
			c.out = append(c.out, t.Target...)
			if inst := strings.TrimLeft(t.Inst, " \t\r\n"); inst != "" {
				c.out = append(c.out, ' ')
				c.out = append(c.out, inst...)
			}
			c.out = append(c.out, "?>"...)
		case *etree.Comment:
			// Exclusive C14N without comments.
		default:
			return fmt.Errorf("%w: unexpected %T inside <%s>", ErrMalformed, t, el.FullTag())
		}
	}
	c.out = append(c.out, "</"...)
	c.out = appendName(c.out, el.Space, el.Tag)
	c.out = append(c.out, '>')
	c.scope = c.scope[:scopeMark]
	c.rendered = c.rendered[:renderedMark]
	return nil
}

// textSpecial and attrSpecial mark the bytes C14N 1.0 section 2.3 replaces
// by a reference in text and in attribute values.
var textSpecial, attrSpecial = byteSet("&<>\r"), byteSet("&<\"\t\n\r")

func byteSet(chars string) (set [256]bool) {
	for i := range len(chars) {
		set[chars[i]] = true
	}
	return set
}

// hasAny reports whether s holds a byte of set: strings.ContainsAny
// without building its set on every call (2% of the server's CPU).
func hasAny(s string, set *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if set[s[i]] {
			return true
		}
	}
	return false
}

// appendEscapedText escapes character data as C14N 1.0 section 2.3 requires.
func appendEscapedText(out []byte, s string) []byte {
	if !hasAny(s, &textSpecial) {
		return append(out, s...)
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; b {
		case '&':
			out = append(out, "&amp;"...)
		case '<':
			out = append(out, "&lt;"...)
		case '>':
			out = append(out, "&gt;"...)
		case '\r':
			out = append(out, "&#xD;"...)
		default:
			out = append(out, b)
		}
	}
	return out
}

// appendEscapedAttr escapes an attribute value as C14N 1.0 section 2.3 requires.
func appendEscapedAttr(out []byte, s string) []byte {
	if !hasAny(s, &attrSpecial) {
		return append(out, s...)
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; b {
		case '&':
			out = append(out, "&amp;"...)
		case '<':
			out = append(out, "&lt;"...)
		case '"':
			out = append(out, "&quot;"...)
		case '\t':
			out = append(out, "&#x9;"...)
		case '\n':
			out = append(out, "&#xA;"...)
		case '\r':
			out = append(out, "&#xD;"...)
		default:
			out = append(out, b)
		}
	}
	return out
}
