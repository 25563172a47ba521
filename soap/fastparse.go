package soap

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// fastParse builds the tree etree's ReadFromBytes (over encoding/xml in
// strict mode) builds from doc, for the XML that SOAP clients send: ASCII
// names with at most one inner colon, quoted attribute values, text with
// the five predefined entities and character references, comments, and an
// XML declaration of version 1.0 in UTF-8. For anything else — CDATA, a
// DTD, a non-ASCII name, a surrogate or out-of-range character reference,
// an unknown entity, any malformed markup, or depth beyond maxDepth — it
// returns false, and the caller parses doc the slow way, which accepts or
// refuses it with encoding/xml's own error. So this parser never refuses
// anything, and whatever it accepts encoding/xml accepts as the same tree:
// TestFastParseBuildsTheSameTree and FuzzFastParse check that property.
//
// It exists for speed: encoding/xml reads a byte at a time and allocates
// per token, and parsing was the largest cost of a request after the
// cryptography. Every name and most values here are substrings of one copy
// of doc.
func fastParse(doc string, maxDepth int) (*etree.Document, bool) {
	p := fastParser{s: doc, nodes: newNodes(doc)}
	d := etree.NewDocument()
	// A node's children are gathered on kids while it is open and attached
	// when it closes, into a slice of exactly their number: etree's own
	// reader grows each element's Child one append at a time.
	stack := []frame{{el: &d.Element}}
	var kids []etree.Token
	for p.i < len(p.s) {
		top := &stack[len(stack)-1]
		if p.s[p.i] != '<' {
			text, ok := p.text(0)
			if !ok {
				return nil, false
			}
			// SetData sets the whitespace flag as etree's reader does.
			kids = append(kids, p.nodes.text(text))
			continue
		}
		p.i++
		switch p.peek() {
		case '/':
			p.i++
			name, ok := p.nsname()
			if !ok {
				return nil, false
			}
			p.space()
			if p.peek() != '>' || len(stack) == 1 || !sameName(top.el, name) {
				return nil, false
			}
			p.i++
			kids = p.nodes.attach(top.el, kids, top.first)
			stack = stack[:len(stack)-1]
		case '?':
			p.i++
			target, inst, ok := p.procInst()
			if !ok {
				return nil, false
			}
			kids = append(kids, etree.NewProcInst(target, inst))
		case '!':
			if !strings.HasPrefix(p.s[p.i:], "!--") {
				return nil, false // CDATA or a directive
			}
			start := p.i + 3
			end := strings.Index(p.s[start:], "--")
			if end < 0 || start+end+2 >= len(p.s) || p.s[start+end+2] != '>' {
				return nil, false
			}
			kids = append(kids, etree.NewComment(p.s[start:start+end]))
			p.i = start + end + 3
		default:
			if len(stack) > maxDepth {
				return nil, false
			}
			el, empty, ok := p.startTag()
			if !ok {
				return nil, false
			}
			kids = append(kids, el)
			if !empty {
				stack = append(stack, frame{el: el, first: len(kids)})
			}
		}
	}
	if len(stack) != 1 {
		return nil, false
	}
	p.nodes.attach(&d.Element, kids, 0)
	return d, true
}

// frame is an open element and where its children start on kids.
type frame struct {
	el    *etree.Element
	first int
}

// nodes hands out the tree's elements, text nodes, child slices and
// attribute slices from a few arrays instead of one allocation each. Each
// slice it hands out is capped at its own length, so a later append (a
// signer adding a header or an attribute) moves it rather than writing
// into a neighbour's.
type nodes struct {
	els   []etree.Element
	texts []etree.CharData
	kids  []etree.Token
	attrs []etree.Attr
	size  int // the length of a new array: a guess from the document
}

func newNodes(doc string) nodes {
	// Every element but an empty one has an end tag: about half the
	// markup's "<" are elements, and as many text nodes lie between them.
	// The guess is capped: "<" inside comments count too, and an array is
	// only made when a node needs it, so memory follows the nodes there are.
	return nodes{size: min(strings.Count(doc, "<")/2+1, maxNodeArray)}
}

// maxNodeArray is the most nodes of a kind one array holds (an element is
// under 100 bytes); a larger document takes more arrays.
const maxNodeArray = 256

func (n *nodes) element(name string) *etree.Element {
	if len(n.els) == 0 {
		n.els = make([]etree.Element, n.size)
	}
	el := &n.els[0]
	n.els = n.els[1:]
	if c := strings.IndexByte(name, ':'); c >= 0 { // as etree's CreateElement splits it
		el.Space, el.Tag = name[:c], name[c+1:]
	} else {
		el.Tag = name
	}
	return el
}

// text returns a text node holding data, flagged as whitespace or not
// as etree's reader flags it.
func (n *nodes) text(data string) *etree.CharData {
	t := n.plainText(data)
	t.SetData(data)
	return t
}

// plainText returns a text node holding data without the whitespace flag,
// as SetText and NewText make them.
func (n *nodes) plainText(data string) *etree.CharData {
	if len(n.texts) == 0 {
		n.texts = make([]etree.CharData, n.size)
	}
	t := &n.texts[0]
	n.texts = n.texts[1:]
	t.Data = data
	return t
}

// attach makes kids[first:] the children of el, in order, and returns
// kids without them.
func (n *nodes) attach(el *etree.Element, kids []etree.Token, first int) []etree.Token {
	count := len(kids) - first
	if count == 0 {
		return kids
	}
	if len(n.kids) < count {
		n.kids = make([]etree.Token, max(count, 2*n.size))
	}
	el.Child = n.kids[:0:count]
	n.kids = n.kids[count:]
	for _, t := range kids[first:] {
		el.AddChild(t) // sets its parent and index
	}
	clear(kids[first:])
	return kids[:first]
}

// kidSlice returns an empty slice with room for count children.
func (n *nodes) kidSlice(count int) []etree.Token {
	if len(n.kids) < count {
		n.kids = make([]etree.Token, max(count, 2*n.size))
	}
	k := n.kids[:0:count]
	n.kids = n.kids[count:]
	return k
}

// attrSlice returns an empty slice with room for count attributes.
func (n *nodes) attrSlice(count int) []etree.Attr {
	if len(n.attrs) < count {
		n.attrs = make([]etree.Attr, max(count, n.size))
	}
	a := n.attrs[:0:count]
	n.attrs = n.attrs[count:]
	return a
}

type fastParser struct {
	s     string
	i     int
	nodes nodes
	attrs [][2]string // startTag's scratch: key, value
}

func (p *fastParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// space skips what encoding/xml's space skips.
func (p *fastParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\r', '\n', '\t':
			p.i++
		default:
			return
		}
	}
}

// name reads an ASCII name; a name byte beyond ASCII is left to the slow path.
func (p *fastParser) name() (string, bool) {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c >= utf8.RuneSelf {
			return "", false
		}
		if !isNameByte(c) || (p.i == start && !isNameStart(c)) {
			break
		}
		p.i++
	}
	return p.s[start:p.i], p.i > start
}

// nsname reads a name that encoding/xml splits into prefix and local part
// as etree does: no colon, or one with something on either side.
func (p *fastParser) nsname() (string, bool) {
	n, ok := p.name()
	if !ok {
		return "", false
	}
	if c := strings.IndexByte(n, ':'); c >= 0 && (c == 0 || c == len(n)-1 || strings.IndexByte(n[c+1:], ':') >= 0) {
		return "", false
	}
	return n, true
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == ':'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '.' || c == '-'
}

// sameName says whether el is named prefix:local as name spells it.
func sameName(el *etree.Element, name string) bool {
	if el.Space == "" {
		return el.Tag == name
	}
	return len(name) == len(el.Space)+1+len(el.Tag) && strings.HasPrefix(name, el.Space) &&
		name[len(el.Space)] == ':' && strings.HasSuffix(name, el.Tag)
}

// procInst reads a processing instruction after "<?". The XML declaration
// is taken only in its common forms, version 1.0 and UTF-8.
func (p *fastParser) procInst() (target, inst string, ok bool) {
	if target, ok = p.name(); !ok {
		return "", "", false
	}
	p.space()
	end := strings.Index(p.s[p.i:], "?>")
	if end < 0 {
		return "", "", false
	}
	inst = p.s[p.i : p.i+end]
	p.i += end + 2
	if target == "xml" && !plainDeclaration(inst) {
		return "", "", false
	}
	return target, inst, true
}

// plainDeclaration accepts version="1.0", then optionally encoding="UTF-8"
// (any case), then optionally standalone="yes" or "no", in either quotes,
// one space apart: what encoding/xml accepts without a CharsetReader.
func plainDeclaration(inst string) bool {
	next := 0 // index into order of the next field allowed
	order := []string{"version", "encoding", "standalone"}
	for i, f := range strings.Split(strings.TrimRight(inst, " "), " ") {
		k, v, ok := strings.Cut(f, "=")
		if !ok || len(v) < 2 || (v[0] != '"' && v[0] != '\'') || v[len(v)-1] != v[0] {
			return false
		}
		v = v[1 : len(v)-1]
		for next < len(order) && order[next] != k {
			next++
		}
		if next == len(order) || (i == 0) != (k == "version") {
			return false
		}
		next++
		switch k {
		case "version":
			ok = v == "1.0"
		case "encoding":
			ok = strings.EqualFold(v, "utf-8")
		case "standalone":
			ok = v == "yes" || v == "no"
		}
		if !ok {
			return false
		}
	}
	return next > 0
}

// startTag reads an element's start tag after "<" and returns the
// element, not yet attached to its parent.
func (p *fastParser) startTag() (el *etree.Element, empty, ok bool) {
	name, ok := p.nsname()
	if !ok {
		return nil, false, false
	}
	el = p.nodes.element(name)
	p.attrs = p.attrs[:0]
	for {
		p.space()
		switch p.peek() {
		case '/':
			p.i++
			if p.peek() != '>' {
				return nil, false, false
			}
			p.i++
			p.setAttrs(el)
			return el, true, true
		case '>':
			p.i++
			p.setAttrs(el)
			return el, false, true
		}
		key, ok := p.nsname()
		if !ok {
			return nil, false, false
		}
		p.space()
		if p.peek() != '=' {
			return nil, false, false
		}
		p.i++
		p.space()
		q := p.peek()
		if q != '"' && q != '\'' {
			return nil, false, false
		}
		p.i++
		value, ok := p.text(q)
		if !ok {
			return nil, false, false
		}
		p.i++ // the closing quote
		p.attrs = append(p.attrs, [2]string{key, value})
	}
}

// setAttrs gives el the attributes startTag read, through CreateAttr as
// etree's reader does (a repeated name keeps its place and takes the later
// value).
func (p *fastParser) setAttrs(el *etree.Element) {
	if len(p.attrs) == 0 {
		return
	}
	el.Attr = p.nodes.attrSlice(len(p.attrs))
	for _, kv := range p.attrs {
		el.CreateAttr(kv[0], kv[1])
	}
}

// text reads character data up to "<" (quote 0) or an attribute value up
// to its closing quote, which it leaves unread, decoding entities and
// character references and turning CR LF and CR into LF, as
// encoding/xml's text does.
func (p *fastParser) text(quote byte) (string, bool) {
	start := p.i
	// Fast path: nothing to decode.
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '<' || (quote != 0 && c == quote) || c == '&' || c == '\r' || c == ']' {
			break
		}
		p.i++
	}
	switch {
	case quote == 0 && (p.i == len(p.s) || p.s[p.i] == '<'),
		quote != 0 && p.i < len(p.s) && p.s[p.i] == quote:
		out := p.s[start:p.i]
		return out, validChars(out)
	case quote != 0 && (p.i == len(p.s) || p.s[p.i] == '<'):
		return "", false
	}
	var b strings.Builder
	b.WriteString(p.s[start:p.i])
	var b0, b1 byte // the last two bytes read, as encoding/xml tracks them
	for {
		if p.i == len(p.s) {
			if quote != 0 {
				return "", false
			}
			break
		}
		c := p.s[p.i]
		if quote == 0 && b0 == ']' && b1 == ']' && c == '>' {
			return "", false // "]]>" outside CDATA: encoding/xml refuses it
		}
		if c == '<' {
			if quote != 0 {
				return "", false
			}
			break
		}
		if quote != 0 && c == quote {
			break
		}
		p.i++
		switch {
		case c == '&':
			r, ok := p.entity()
			if !ok {
				return "", false
			}
			b.WriteRune(r)
			b0, b1 = 0, 0
			continue
		case c == '\r':
			b.WriteByte('\n')
		case b1 == '\r' && c == '\n':
		default:
			b.WriteByte(c)
		}
		b0, b1 = b1, c
	}
	out := b.String()
	return out, validChars(out)
}

// entity reads a reference after "&": one of the five predefined entities
// or a character reference to a character XML allows.
func (p *fastParser) entity() (rune, bool) {
	end := strings.IndexByte(p.s[p.i:], ';')
	if end < 0 || end > 10 {
		return 0, false
	}
	ref := p.s[p.i : p.i+end]
	p.i += end + 1
	switch ref {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	digits, base := strings.CutPrefix(ref, "#x")
	if base {
		n, err := strconv.ParseUint(digits, 16, 32)
		return rune(n), err == nil && digits != "" && validChar(rune(n)) && !strings.ContainsAny(digits, "+-_")
	}
	if digits, ok := strings.CutPrefix(ref, "#"); ok {
		n, err := strconv.ParseUint(digits, 10, 32)
		return rune(n), err == nil && digits != "" && validChar(rune(n)) && !strings.ContainsAny(digits, "+-_")
	}
	return 0, false
}

// validChar is XML 1.0's Char production (§2.2), surrogates excluded.
func validChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// validChars says whether s is valid UTF-8 of XML characters only.
func validChars(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !validChar(r) {
			return false
		}
		i += size
	}
	return true
}
