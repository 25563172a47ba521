package soap

import (
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// messageSettings are the write settings of every Message (newMessage).
var messageSettings = etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true}

// appendMessage appends doc as etree's WriteTo writes it under
// messageSettings, byte for byte, without its per-element tag strings and
// buffered writer. It returns false, having appended nothing, for a
// document it does not write the same way (other settings, CDATA,
// comments, directives); Bytes then uses etree. TestBytesEqualEtree and
// FuzzBytesEqualEtree hold it to that.
func appendMessage(out []byte, doc *etree.Document) ([]byte, bool) {
	if doc.WriteSettings != messageSettings {
		return out, false
	}
	start := len(out)
	for _, t := range doc.Child {
		var ok bool
		if out, ok = appendToken(out, t); !ok {
			return out[:start], false
		}
	}
	return out, true
}

func appendToken(out []byte, t etree.Token) ([]byte, bool) {
	switch t := t.(type) {
	case *etree.Element:
		out = append(out, '<')
		out = appendTag(out, t)
		for i := range t.Attr {
			a := &t.Attr[i]
			out = append(out, ' ')
			if a.Space != "" {
				out = append(out, a.Space...)
				out = append(out, ':')
			}
			out = append(out, a.Key...)
			out = append(out, `="`...)
			out = appendEscaped(out, a.Value, true)
			out = append(out, '"')
		}
		if len(t.Child) == 0 {
			return append(out, "/>"...), true
		}
		out = append(out, '>')
		for _, c := range t.Child {
			var ok bool
			if out, ok = appendToken(out, c); !ok {
				return out, false
			}
		}
		out = append(out, "</"...)
		out = appendTag(out, t)
		return append(out, '>'), true
	case *etree.CharData:
		if t.IsCData() {
			return out, false
		}
		return appendEscaped(out, t.Data, false), true
	case *etree.ProcInst:
		if strings.Contains(t.Target, "?>") || strings.Contains(t.Inst, "?>") {
			return out, false
		}
		out = append(out, "<?"...)
		out = append(out, t.Target...)
		if t.Inst != "" {
			out = append(out, ' ')
			out = append(out, t.Inst...)
		}
		return append(out, "?>"...), true
	}
	return out, false
}

// plainText and plainAttr mark the ASCII bytes appendEscaped copies as they
// are in text and in attribute values.
var plainText, plainAttr = plainBytes(false), plainBytes(true)

func plainBytes(attr bool) (plain [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '&' && c != '<' && (attr || c != '>') && (!attr || c != '"')
	}
	plain['\t'], plain['\n'] = !attr, !attr
	return plain
}

func appendTag(out []byte, el *etree.Element) []byte {
	if el.Space != "" {
		out = append(out, el.Space...)
		out = append(out, ':')
	}
	return append(out, el.Tag...)
}

// appendEscaped escapes s as etree does for a canonical attribute value
// (attr) or canonical text: &, <, and > in text or " and TAB, LF in an
// attribute, CR in both, as references; a character XML does not allow,
// or a byte that is not UTF-8, as U+FFFD.
func appendEscaped(out []byte, s string, attr bool) []byte {
	plain := &plainText
	if attr {
		plain = &plainAttr
	}
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		// Runs of what is copied as is: ASCII that needs no escape, and
		// two-byte UTF-8 sequences (U+0080 to U+07FF, Cyrillic among
		// them), every one an XML Char.
		if plain[c] {
			i++
			continue
		}
		if c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			i += 2
			continue
		}
		var esc string
		width := 1
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>' && !attr:
			esc = "&gt;"
		case c == '"' && attr:
			esc = "&quot;"
		case c == '\t' && attr:
			esc = "&#x9;"
		case c == '\n' && attr:
			esc = "&#xA;"
		case c == '\r':
			esc = "&#xD;"
		case c < 0x20 && c != '\t' && c != '\n':
			esc = "\uFFFD"
		case c >= utf8.RuneSelf:
			var r rune
			r, width = utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && width == 1) || !validChar(r) {
				esc = "\uFFFD"
			}
		}
		i += width
		if esc != "" {
			out = append(out, s[last:i-width]...)
			out = append(out, esc...)
			last = i
		}
	}
	return append(out, s[last:]...)
}
