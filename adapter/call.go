package adapter

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/soap"
)

// Call is one authorized request to a service, and the one place its
// arguments are read. The readers below share one rule: an argument the
// request schema requires but the request lacks, or one the schema's type
// rejects, is a fault (Client.InvalidRequest, see fault.go); a value the
// schema allows but the domain rejects (a PIN that is 14 digits of
// nonsense) is a business answer, the refusal the reader names. A reader
// of an argument the service's request does not declare fails as an
// internal error, so request schema and reading cannot drift either.
type Call struct {
	Env    *soap.Envelope
	Client string // the caller, INSTANCE/CLASS/CODE[/SUBSYSTEM]

	recordID string                    // the id the next access record of this call gets
	args     []field                   // the service's request elements
	allowed  func(service string) bool // whether the caller may call a service
	subjects []string

	render func(v any, refusal error) (Result, error)                  // serve's encoder for this service's reply
	seal   func(ctx context.Context, tx registry.Tx, res Result) error // the pipeline's: sign and record res
	sealed *Result                                                     // set once Seal succeeded
}

// RecordID is the id of the access-log record that the next Seal makes. A
// service that changes data stores it with the change, inside the
// transaction that calls Seal, so that the change names its record.
func (c *Call) RecordID() string { return c.recordID }

// Seal is the write contract (docs/protocol.md, "Writes"). A service that
// changes data runs its rules in one store transaction tx and, inside it,
// once the change is decided, calls Seal with the answer (v, or the
// business refusal in refusal) before the transaction commits. Seal builds
// and signs the response and makes this request's access record durable:
// in the access log's own transaction, committed before Seal returns, or,
// where the log can join tx (Options.JoinLog: the registry and the log in
// one PostgreSQL database), inside tx, so that the record and the change
// commit together or not at all. Only if Seal returns nil may the
// transaction commit; otherwise the service must return Seal's error, so
// that nothing is committed.
//
// What follows, step by step, whatever fails or crashes:
//   - before Seal: no change and no record of it; the caller gets a fault.
//   - Seal fails (signing, the access log): no change; a fault.
//   - Seal succeeded, the commit fails or the process dies: no change,
//     and the record of an answer that was never sent (none where the
//     record joined tx: it rolled back with the change); the service
//     returns an error (errNotCommitted), and the caller gets a fault
//     under a record of its own. A retry then gets the answer of the
//     first complete run.
//   - committed: the change and its record, which names the request and
//     whose id (RecordID) the change carries; the caller gets exactly the
//     sealed response.
//
// A service that is retried (the same application number) must find its
// earlier change in the transaction and seal the same answer, changing
// nothing twice.
//
// A store may run a transaction function again after a serialization
// conflict (registry.Store.Update); its Seal then records again, under a
// fresh RecordID, and the earlier record (unless it joined the rolled-back
// transaction) stands for an answer never sent.
// The answer the service returns after sealing is ignored in favour of
// the sealed one.
func Seal[T any](ctx context.Context, call *Call, tx registry.Tx, v T, refusal error) error {
	if call.render == nil || call.seal == nil {
		return errors.New("adapter: Seal outside the request pipeline")
	}
	res, err := call.render(v, refusal)
	if err != nil {
		return err
	}
	if err := call.seal(ctx, tx, res); err != nil {
		return err
	}
	call.sealed = &res
	return nil
}

// text returns the text of the payload child named name in the payload's
// namespace (or in no namespace), and whether it is present.
func (c *Call) text(name string) (string, bool) {
	ns := c.Env.Payload.NamespaceURI()
	for _, el := range c.Env.Payload.ChildElements() {
		if el.Tag == name && (el.NamespaceURI() == ns || el.NamespaceURI() == "") {
			return strings.TrimSpace(el.Text()), true
		}
	}
	return "", false
}

// Subject records pins as persons whose data the call touches; the access
// log keeps them (pseudonymised) for the citizen's history and auditors.
func (c *Call) Subject(pins ...string) { c.subjects = append(c.subjects, pins...) }

// arg returns the text of the declared argument name and whether it is
// present.
func (c *Call) arg(name string) (string, bool, error) {
	if !slices.ContainsFunc(c.args, func(f field) bool { return f.name == name }) {
		return "", false, fmt.Errorf("the service reads argument %s, which its request does not declare", name)
	}
	s, ok := c.text(name)
	return s, ok, nil
}

// required returns the text of the required argument name.
func (c *Call) required(name string) (string, error) {
	s, ok, err := c.arg(name)
	if err == nil && !ok {
		err = badRequest("missing element %s", name)
	}
	return s, err
}

// PIN reads the required argument name as a personal identification
// number valid on now (registry.ParsePIN). Malformed is the InvalidPin
// answer. A valid PIN is recorded as a subject of the call: whatever the
// service answers next, it looked that person up.
func (c *Call) PIN(name string, now time.Time) (string, error) {
	pin, err := c.required(name)
	if err != nil {
		return "", err
	}
	if _, err := registry.ParsePIN(pin, now); err != nil {
		return "", refuse(OutcomeInvalidPIN)
	}
	c.Subject(pin)
	return pin, nil
}

// DwellingID reads the required argument name as a dwelling identifier
// (registry.ValidID). Malformed is the InvalidDwellingId answer.
func (c *Call) DwellingID(name string) (string, error) {
	id, err := c.required(name)
	if err != nil {
		return "", err
	}
	if registry.ValidID(id) != nil {
		return "", refuse(OutcomeInvalidDwellingID)
	}
	return id, nil
}

// OptionalText reads the optional argument name; absent is "".
func (c *Call) OptionalText(name string) (string, error) {
	s, _, err := c.arg(name)
	return s, err
}

// OptionalInt reads the optional argument name as an integer in [lo, hi],
// or def when absent. Out of range is a fault, like a value that is not an
// integer: the bounds are the request's (paging), not the domain's.
func (c *Call) OptionalInt(name string, lo, hi, def int) (int, error) {
	s, ok, err := c.arg(name)
	if err != nil || !ok {
		return def, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s %q: want %d..%d", name, s, lo, hi)
	}
	return n, nil
}

// texts returns the texts of every payload child named name, in order.
func (c *Call) texts(name string) ([]string, error) {
	if !slices.ContainsFunc(c.args, func(f field) bool { return f.name == name }) {
		return nil, fmt.Errorf("the service reads argument %s, which its request does not declare", name)
	}
	ns := c.Env.Payload.NamespaceURI()
	var out []string
	for _, el := range c.Env.Payload.ChildElements() {
		if el.Tag == name && (el.NamespaceURI() == ns || el.NamespaceURI() == "") {
			out = append(out, strings.TrimSpace(el.Text()))
		}
	}
	return out, nil
}

// OptionalPIN reads the optional argument name as [Call.PIN] does; absent
// is "".
func (c *Call) OptionalPIN(name string, now time.Time) (string, error) {
	if s, ok, err := c.arg(name); err != nil || !ok || s == "" {
		return "", err
	}
	return c.PIN(name, now)
}

// PINs reads every occurrence of the repeated optional argument name as
// [Call.PIN] does: none is an empty list, one malformed is InvalidPin.
func (c *Call) PINs(name string, now time.Time) ([]string, error) {
	pins, err := c.texts(name)
	if err != nil {
		return nil, err
	}
	for _, pin := range pins {
		if _, err := registry.ParsePIN(pin, now); err != nil {
			return nil, refuse(OutcomeInvalidPIN)
		}
	}
	c.Subject(pins...)
	return pins, nil
}

// Bool reads the required xs:boolean argument name: true, false, 1 or 0
// (XML Schema 1.0 §3.2.2). Anything else is a fault.
func (c *Call) Bool(name string) (bool, error) {
	s, err := c.required(name)
	if err != nil {
		return false, err
	}
	switch s {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, badRequest("%s %q: want an xs:boolean", name, s)
}

// Base64 reads the required xs:base64Binary argument name; one that does
// not decode, or decodes to nothing, is a fault.
func (c *Call) Base64(name string) ([]byte, error) {
	s, err := c.required(name)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil || len(b) == 0 {
		return nil, badRequest("%s: want non-empty xs:base64Binary", name)
	}
	return b, nil
}

// OptionalDate reads the optional xs:date argument name (YYYY-MM-DD);
// absent is the zero Date, one that is not a real date a fault.
func (c *Call) OptionalDate(name string) (registry.Date, error) {
	s, ok, err := c.arg(name)
	if err != nil || !ok {
		return registry.Date{}, err
	}
	d, err := registry.ParseDate(s)
	if err != nil {
		return registry.Date{}, badRequest("%s %q: want an xs:date YYYY-MM-DD", name, s)
	}
	return d, nil
}

// Choice reads the required argument name as one of allowed; another
// value is the answer refusal (the schema types it as a string, the
// domain narrows it).
func (c *Call) Choice(name string, refusal string, allowed ...string) (string, error) {
	s, err := c.required(name)
	if err != nil {
		return "", err
	}
	if !slices.Contains(allowed, s) {
		return "", refuse(refusal)
	}
	return s, nil
}

// ID reads the required argument name as a registry identifier
// (registry.ValidID); malformed is the answer refusal.
func (c *Call) ID(name, refusal string) (string, error) {
	id, err := c.required(name)
	if err != nil {
		return "", err
	}
	if registry.ValidID(id) != nil {
		return "", refuse(refusal)
	}
	return id, nil
}

// INN reads the required argument name as a taxpayer number valid on now
// (registry.ParseINN). Malformed is the InvalidInn answer. An individual's
// INN, their PIN, is recorded as a subject of the call.
func (c *Call) INN(name string, now time.Time) (string, registry.TaxpayerType, error) {
	inn, err := c.required(name)
	if err != nil {
		return "", "", err
	}
	kind, err := registry.ParseINN(inn, now)
	if err != nil {
		return "", "", refuse(OutcomeInvalidINN)
	}
	if kind == registry.TaxpayerIndividual {
		c.Subject(inn)
	}
	return inn, kind, nil
}

// RequiredText reads the required argument name, of at most maxRunes
// characters; longer is a fault, as the schema's bound would be.
func (c *Call) RequiredText(name string, maxRunes int) (string, error) {
	s, err := c.required(name)
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return "", badRequest("%s has %d characters, at most %d are allowed", name, n, maxRunes)
	}
	return s, nil
}

// Date reads the required argument name as an xs:date without a time
// zone (YYYY-MM-DD); anything else is a fault.
func (c *Call) Date(name string) (registry.Date, error) {
	s, err := c.required(name)
	if err != nil {
		return registry.Date{}, err
	}
	d, err := registry.ParseDate(s)
	if err != nil {
		return registry.Date{}, badRequest("%s %q is not a date YYYY-MM-DD", name, s)
	}
	return d, nil
}

// OptionalBool reads the optional argument name as an xs:boolean (true,
// false, 1 or 0); absent is false, anything else a fault.
func (c *Call) OptionalBool(name string) (bool, error) {
	if _, ok, err := c.arg(name); err != nil || !ok {
		return false, err
	}
	return c.Bool(name)
}
