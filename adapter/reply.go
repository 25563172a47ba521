package adapter

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/registry"
)

// Bishkek is GMT+6, the official time of the Kyrgyz Republic, in which
// answers show times. Kyrgyzstan has kept GMT+6 without daylight saving
// since 2005.
var Bishkek = time.FixedZone("GMT+6", 6*60*60)

// field describes one element of a message for the WSDL's schema (XML
// Schema 1.0: an element with minOccurs/maxOccurs, a built-in or named type,
// or an anonymous sequence of children).
type field struct {
	name     string
	xsType   string // qualified type name ("xs:string", "id:XRoadServiceIdentifierType"); "" for a sequence of children
	optional bool   // minOccurs="0"
	repeated bool   // maxOccurs="unbounded"
	doc      string
	children []field
}

// A node is one element of a response, described once: its field is what
// the WSDL declares, and emit writes the element from a value of T. The
// only way to put an element into a response is through a node, so a
// response cannot hold an element its schema does not declare, and emit
// refuses to leave out an element the schema requires.
//
// Every node's value may be absent (an empty string, a zero date, a false
// second result of a group's getter, an empty list). An absent optional
// element is left out; an absent required one is an error: the answer
// would not match its schema.
type node[T any] struct {
	f    field
	emit func(f field, parent *etree.Element, v T) error
}

// Optional returns n with minOccurs="0": left out when its value is absent.
func (n node[T]) Optional() node[T] { n.f.optional = true; return n }

// Doc returns n with its xs:documentation.
func (n node[T]) Doc(s string) node[T] { n.f.doc = s; return n }

func (n node[T]) write(parent *etree.Element, v T) error { return n.emit(n.f, parent, v) }

// errRequired is what writing a response fails with when a required
// element has no value: a bug or corrupt data, never the caller's fault.
var errRequired = errors.New("required element has no value")

// missingError names the required element, by its path in the response.
type missingError struct{ path string }

func (e *missingError) Error() string { return fmt.Sprintf("%v: %s", errRequired, e.path) }
func (e *missingError) Unwrap() error { return errRequired }

// leaf is an element of simple type xsType whose text is value(v); ok
// false means absent.
func leaf[T any](name, xsType string, value func(T) (text string, ok bool)) node[T] {
	return node[T]{f: field{name: name, xsType: xsType}, emit: func(f field, parent *etree.Element, v T) error {
		s, ok := value(v)
		if !ok {
			if f.optional {
				return nil
			}
			return &missingError{f.name}
		}
		child(parent, f.name).SetText(s)
		return nil
	}}
}

// text is an xs:string element; "" is absent.
func text[T any](name string, get func(T) string) node[T] {
	return leaf(name, "xs:string", func(v T) (string, bool) { s := get(v); return s, s != "" })
}

// date is an xs:date element (YYYY-MM-DD); the zero Date is absent.
func date[T any](name string, get func(T) registry.Date) node[T] {
	return leaf(name, "xs:date", func(v T) (string, bool) { d := get(v); return d.String(), !d.IsZero() })
}

// dateTime is an xs:dateTime element shown in GMT+6 (RFC 3339); the zero
// time is absent.
func dateTime[T any](name string, get func(T) time.Time) node[T] {
	return leaf(name, "xs:dateTime", func(v T) (string, bool) {
		t := get(v)
		return t.In(Bishkek).Format(time.RFC3339), !t.IsZero()
	})
}

// integer is an xs:int element; it is never absent.
func integer[T any](name string, get func(T) int) node[T] {
	return leaf(name, "xs:int", func(v T) (string, bool) { return strconv.Itoa(get(v)), true })
}

// boolean is an xs:boolean element (true or false); it is never absent.
func boolean[T any](name string, get func(T) bool) node[T] {
	return leaf(name, "xs:boolean", func(v T) (string, bool) { return strconv.FormatBool(get(v)), true })
}

// base64Binary is an xs:base64Binary element; no bytes is absent.
func base64Binary[T any](name string, get func(T) []byte) node[T] {
	return leaf(name, "xs:base64Binary", func(v T) (string, bool) {
		b := get(v)
		return base64.StdEncoding.EncodeToString(b), len(b) > 0
	})
}

// group is an element holding children, written from the value get
// returns; its second result false means absent.
func group[T, U any](name string, get func(T) (U, bool), children ...node[U]) node[T] {
	return node[T]{f: field{name: name, children: fields(children)}, emit: func(f field, parent *etree.Element, v T) error {
		u, ok := get(v)
		if !ok {
			if f.optional {
				return nil
			}
			return &missingError{f.name}
		}
		return writeChildren(child(parent, f.name), children, u)
	}}
}

// list is a repeated element (maxOccurs="unbounded"), one per value get
// returns, each written like a group; an empty list is absent.
func list[T, U any](name string, get func(T) []U, children ...node[U]) node[T] {
	return node[T]{f: field{name: name, repeated: true, children: fields(children)}, emit: func(f field, parent *etree.Element, v T) error {
		us := get(v)
		if len(us) == 0 && !f.optional {
			return &missingError{f.name}
		}
		for _, u := range us {
			if err := writeChildren(child(parent, f.name), children, u); err != nil {
				return err
			}
		}
		return nil
	}}
}

// always is the getter of a group that is always present: the value itself.
func always[T any](v T) (T, bool) { return v, true }

// present is the getter of an optional group held by pointer.
func present[T any](p *T) (T, bool) {
	if p == nil {
		var zero T
		return zero, false
	}
	return *p, true
}

// child appends an element named name to parent, in parent's namespace
// (the schemas are elementFormDefault="qualified"): with its prefix, or
// none when parent is in a default namespace.
func child(parent *etree.Element, name string) *etree.Element {
	if parent.Space != "" {
		name = parent.Space + ":" + name
	}
	return parent.CreateElement(name)
}

func writeChildren[T any](parent *etree.Element, children []node[T], v T) error {
	for _, c := range children {
		if err := c.write(parent, v); err != nil {
			var m *missingError
			if errors.As(err, &m) {
				m.path = parent.Tag + "/" + m.path
			}
			return err
		}
	}
	return nil
}

func fields[T any](nodes []node[T]) []field {
	out := make([]field, len(nodes))
	for i, n := range nodes {
		out[i] = n.f
	}
	return out
}

// A reply describes a response element's children once, for both the WSDL
// and the XML. An answer (the registry services' replies) begins with the
// result element (outcome.go); after it come the nodes, written only when
// the outcome is OK. A plain reply (the meta services') is the nodes alone.
type reply[T any] struct {
	answer bool
	nodes  []node[T]
	// detailed, when set, says whether a refusal's value carries the
	// nodes too (an application refused with its reason and notice time):
	// they are written after the result when it reports true.
	detailed func(T) bool
}

// detailedAnswerOf is the reply of a registry service whose refusals may
// carry a value: result, then nodes, written for OK and for a refusal
// whose value has reports true.
func detailedAnswerOf[T any](has func(T) bool, nodes ...node[T]) reply[T] {
	return reply[T]{answer: true, nodes: nodes, detailed: has}
}

// answerOf is the reply of a registry service: result, then nodes.
func answerOf[T any](nodes ...node[T]) reply[T] { return reply[T]{answer: true, nodes: nodes} }

// plainOf is the reply of a meta service: the nodes alone.
func plainOf[T any](nodes ...node[T]) reply[T] { return reply[T]{nodes: nodes} }

// fields is the response element's schema. After an answer's result every
// element has minOccurs="0": a refusal carries the result alone, and XML
// Schema cannot make an element required only when the code is OK. The
// encoder still requires them for an OK answer.
func (r reply[T]) fields() []field {
	fs := fields(r.nodes)
	if !r.answer {
		return fs
	}
	for i := range fs {
		fs[i].optional = true
	}
	return append([]field{resultNode.f}, fs...)
}

// write fills payload: for an answer the result of outcome and, when it is
// OK (or a detailed refusal), v; for a plain reply v.
func (r reply[T]) write(payload *etree.Element, outcome string, v T) error {
	return r.writeVerdict(payload, verdict{code: outcome}, v)
}

// writeVerdict is write for a verdict that may list grounds.
func (r reply[T]) writeVerdict(payload *etree.Element, vd verdict, v T) error {
	if r.answer {
		if err := writeChildren(payload, []node[verdict]{resultNode}, vd); err != nil {
			return err
		}
		if vd.code != OutcomeOK && (r.detailed == nil || !r.detailed(v)) {
			return nil
		}
	}
	return writeChildren(payload, r.nodes, v)
}
