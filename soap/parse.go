package soap

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/beevik/etree"
)

// Limits bound the work one untrusted message can cause. A zero field means
// the matching field of DefaultLimits.
type Limits struct {
	MaxBytes    int64 // request body size in bytes; the HTTP layer stops reading past it
	MaxDepth    int   // element nesting depth, the root element being depth 1
	MaxElements int   // number of elements in the whole document
}

// DefaultLimits are safe for every service Darbaza offers: the largest real
// request (a signed submitRegistration) is a few kilobytes and 60 elements.
var DefaultLimits = Limits{MaxBytes: 256 << 10, MaxDepth: 24, MaxElements: 2000}

// WithDefaults returns l with every zero field set from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultLimits.MaxElements
	}
	return l
}

// Errors of ParseXML. Each is returned wrapped in an *Error with its fault code.
var (
	ErrMalformed       = errors.New("malformed XML")
	ErrDoctype         = errors.New("DOCTYPE and other DTD declarations are not allowed")
	ErrTooLarge        = errors.New("message larger than allowed")
	ErrTooDeep         = errors.New("XML nested deeper than allowed")
	ErrTooManyElements = errors.New("XML has more elements than allowed")
	ErrDuplicateAttr   = errors.New("duplicate attribute")
)

// ParseXML parses one untrusted XML document under lim.
//
// Before any tree is built, one pass over the bytes refuses DTDs (and with
// them every entity-expansion attack), enforces the depth and element-count
// limits, refuses repeated attribute names, and applies XML 1.0 §3.3.3
// attribute-value normalization to literal TAB, CR and LF (encoding/xml keeps
// them, which would make our canonical form differ from every other XML-DSig
// implementation's). Character references such as &#9; are untouched, as the
// spec requires. raw itself is never modified.
//
// The tree is etree's over encoding/xml in strict mode (the parser of
// record), or, for the documents SOAP clients send, the same tree built by
// fastParse at a quarter of the cost (fastparse.go says what it takes and
// how that is checked).
func ParseXML(raw []byte, lim Limits) (*etree.Document, error) {
	lim = lim.WithDefaults()
	if int64(len(raw)) > lim.MaxBytes {
		return nil, fault(CodeMessageTooLarge, ErrTooLarge, "message is %d bytes, the limit is %d", len(raw), lim.MaxBytes)
	}
	norm, err := prescan(raw, lim)
	if err != nil {
		return nil, err
	}
	doc, ok := fastParse(string(norm), lim.MaxDepth+1)
	if ok {
		doc.ReadSettings = etree.ReadSettings{MaxDepth: lim.MaxDepth + 1}
	} else if doc, err = slowParse(norm, lim); err != nil {
		return nil, err
	}
	if doc.Root() == nil {
		return nil, fault(CodeInvalidXML, ErrMalformed, "no root element")
	}
	return doc, nil
}

// slowParse is etree over encoding/xml: the parser of record, for what
// fastParse leaves to it.
func slowParse(norm []byte, lim Limits) (*etree.Document, error) {
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{MaxDepth: lim.MaxDepth + 1}
	if err := doc.ReadFromBytes(norm); err != nil {
		return nil, fault(CodeInvalidXML, ErrMalformed, "%v", err)
	}
	return doc, nil
}

// prescan walks the markup of raw once; see ParseXML. It returns raw itself
// when no attribute value needed normalizing, else a normalized copy.
func prescan(raw []byte, lim Limits) ([]byte, error) {
	var (
		out   []byte // nil until the first rewrite
		done  int    // raw[:done] is already in out
		depth int
		elems int
		names [][]byte // attribute names of the current tag
	)
	malformed := func(what string, at int) error {
		return fault(CodeInvalidXML, ErrMalformed, "%s at byte %d", what, at)
	}
	skipTo := func(i int, end string, what string) (int, error) {
		j := bytes.Index(raw[i:], []byte(end))
		if j < 0 {
			return 0, malformed("unterminated "+what, i)
		}
		return i + j + len(end), nil
	}
	i := 0
	for {
		j := bytes.IndexByte(raw[i:], '<')
		if j < 0 {
			break
		}
		i += j
		rest := raw[i:]
		var err error
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i, err = skipTo(i+4, "-->", "comment")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i, err = skipTo(i+9, "]]>", "CDATA section")
		case bytes.HasPrefix(rest, []byte("<!")):
			return nil, fault(CodeDoctype, ErrDoctype, "declaration at byte %d", i)
		case bytes.HasPrefix(rest, []byte("<?")):
			i, err = skipTo(i+2, "?>", "processing instruction")
		case bytes.HasPrefix(rest, []byte("</")):
			i, err = skipTo(i+2, ">", "end tag")
			depth--
		default:
			elems++
			if elems > lim.MaxElements {
				return nil, fault(CodeTooManyElements, ErrTooManyElements, "more than %d elements", lim.MaxElements)
			}
			// Element name, then attributes up to '>' or '/>'.
			k := i + 1
			for k < len(raw) && !isSpace(raw[k]) && raw[k] != '>' && raw[k] != '/' {
				k++
			}
			names = names[:0]
			selfClosing := false
		attrs:
			for {
				for k < len(raw) && isSpace(raw[k]) {
					k++
				}
				if k >= len(raw) {
					return nil, malformed("unterminated start tag", i)
				}
				switch raw[k] {
				case '>':
					k++
					break attrs
				case '/':
					if k+1 >= len(raw) || raw[k+1] != '>' {
						return nil, malformed("stray '/' in start tag", k)
					}
					selfClosing = true
					k += 2
					break attrs
				}
				nameStart := k
				for k < len(raw) && raw[k] != '=' && !isSpace(raw[k]) && raw[k] != '>' && raw[k] != '/' {
					k++
				}
				name := raw[nameStart:k]
				if len(names) == maxAttributes {
					return nil, fault(CodeTooManyElements, ErrTooManyElements, "more than %d attributes on the element at byte %d", maxAttributes, i)
				}
				for _, seen := range names {
					if bytes.Equal(seen, name) {
						return nil, fault(CodeInvalidXML, ErrDuplicateAttr, "attribute %q repeated at byte %d", name, nameStart)
					}
				}
				names = append(names, name)
				for k < len(raw) && isSpace(raw[k]) {
					k++
				}
				if k >= len(raw) || raw[k] != '=' {
					return nil, malformed("attribute without value", nameStart)
				}
				k++
				for k < len(raw) && isSpace(raw[k]) {
					k++
				}
				if k >= len(raw) || (raw[k] != '"' && raw[k] != '\'') {
					return nil, malformed("unquoted attribute value", k)
				}
				quote := raw[k]
				k++
				for k < len(raw) && raw[k] != quote {
					switch c := raw[k]; c {
					case '\t', '\n', '\r':
						if out == nil {
							out = make([]byte, 0, len(raw))
						}
						out = append(out, raw[done:k]...)
						out = append(out, ' ')
						done = k + 1
						if c == '\r' && k+1 < len(raw) && raw[k+1] == '\n' {
							k++ // CR LF is one line end, hence one space (§2.11)
							done = k + 1
						}
					}
					k++
				}
				if k >= len(raw) {
					return nil, malformed("unterminated attribute value", nameStart)
				}
				k++ // closing quote
			}
			if !selfClosing {
				depth++
				if depth > lim.MaxDepth {
					return nil, fault(CodeTooDeep, ErrTooDeep, "deeper than %d elements", lim.MaxDepth)
				}
			}
			i = k
		}
		if err != nil {
			return nil, err
		}
	}
	if out == nil {
		return raw, nil
	}
	return append(out, raw[done:]...), nil
}

// maxAttributes bounds the attributes of one element, which also bounds the
// cost of the repeated-name check (no real message has more than a dozen).
const maxAttributes = 64

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// fault wraps a sentinel in an *Error carrying the X-Road fault code.
func fault(code string, sentinel error, format string, args ...any) *Error {
	return &Error{Code: code, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}
