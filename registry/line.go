package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Kind names the type of record on an import line (its "kind" field).
type Kind string

// Record kinds.
const (
	KindPerson       Kind = "person"
	KindDwelling     Kind = "dwelling"
	KindRegistration Kind = "registration"
	KindTaxpayer     Kind = "taxpayer"  // see taxpayer.go
	KindBinding      Kind = "binding"   // see taxpayer.go
	KindOfficial     Kind = "official"  // see apostille.go
	KindApostille    Kind = "apostille" // see apostille.go
)

// Record is one line of an import file. Exactly the field named by Kind is
// meaningful.
type Record struct {
	Kind         Kind
	Person       Person
	Dwelling     Dwelling
	Registration Registration
	Taxpayer     Taxpayer
	Binding      Binding
	Official     Official
	Apostille    Apostille
}

// Key returns the record's identifier: PIN, dwelling ID or registration ID.
func (r Record) Key() string {
	switch r.Kind {
	case KindPerson:
		return r.Person.PIN
	case KindDwelling:
		return r.Dwelling.ID
	case KindRegistration:
		return r.Registration.ID
	case KindTaxpayer:
		return r.Taxpayer.INN
	case KindBinding:
		return r.Binding.Key()
	case KindOfficial:
		return r.Official.ID
	case KindApostille:
		return r.Apostille.Number
	}
	return ""
}

// The line forms: "kind" first, then the record's own fields.
type (
	personLine struct {
		Kind Kind `json:"kind"`
		Person
	}
	dwellingLine struct {
		Kind Kind `json:"kind"`
		Dwelling
	}
	registrationLine struct {
		Kind Kind `json:"kind"`
		Registration
	}
	taxpayerLine struct {
		Kind Kind `json:"kind"`
		Taxpayer
	}
	bindingLine struct {
		Kind Kind `json:"kind"`
		Binding
	}
	officialLine struct {
		Kind Kind `json:"kind"`
		Official
	}
	apostilleLine struct {
		Kind Kind `json:"kind"`
		Apostille
	}
)

// ParseLine decodes and validates one import line: a single JSON object
// whose "kind" is person, dwelling or registration, followed by the fields
// of [Person], [Dwelling] or [Registration] under their JSON names. Fields
// the kind does not have are errors; absent optional fields take their zero
// value. The record is then checked by its Validate method at now. Errors
// wrap [ErrMalformed], [ErrUnknownKind] or a validation sentinel.
//
// Example:
//
//	{"kind":"registration","id":"RG-1","pin":"21505198500123","dwelling_id":"DW-1","type":"stay","since":"2026-05-01","until":"2027-04-30"}
func ParseLine(line []byte, now time.Time) (Record, error) {
	var probe struct {
		Kind *Kind `json:"kind"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrMalformed, plainJSONError(err))
	}
	if probe.Kind == nil {
		return Record{}, fmt.Errorf("%w: no \"kind\" field", ErrMalformed)
	}
	rec := Record{Kind: *probe.Kind}
	var (
		target any
		check  func() error
	)
	switch rec.Kind {
	case KindPerson:
		l := &personLine{}
		target, check = l, func() error { rec.Person = l.Person; return l.Person.Validate(now) }
	case KindDwelling:
		l := &dwellingLine{}
		target, check = l, func() error { rec.Dwelling = l.Dwelling; return l.Dwelling.Validate() }
	case KindRegistration:
		l := &registrationLine{}
		target, check = l, func() error {
			if l.Registration.Record != "" {
				return fmt.Errorf("%w: record: only an online request's registration names an access record", ErrInvalidValue)
			}
			rec.Registration = l.Registration
			return l.Registration.Validate(now)
		}
	case KindTaxpayer:
		l := &taxpayerLine{}
		target, check = l, func() error { rec.Taxpayer = l.Taxpayer; return l.Taxpayer.Validate(now) }
	case KindBinding:
		l := &bindingLine{}
		target, check = l, func() error { rec.Binding = l.Binding; return l.Binding.Validate(now) }
	case KindOfficial:
		l := &officialLine{}
		target, check = l, func() error { rec.Official = l.Official; return l.Official.Validate() }
	case KindApostille:
		l := &apostilleLine{}
		target, check = l, func() error { rec.Apostille = l.Apostille; return l.Apostille.Validate(now) }
	default:
		return Record{}, fmt.Errorf("%w: %q (want person, dwelling, registration, taxpayer, binding, official or apostille)", ErrUnknownKind, rec.Kind)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(target); err != nil {
		return Record{}, fmt.Errorf("%w: %s: %w", ErrMalformed, rec.Kind, plainJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Record{}, fmt.Errorf("%w: data after the object", ErrMalformed)
	}
	if err := check(); err != nil {
		return Record{}, fmt.Errorf("%s: %w", rec.Kind, err)
	}
	return rec, nil
}

// EncodeLine renders rec as one import line (without the newline) that
// [ParseLine] reads back as the same record.
func EncodeLine(rec Record) ([]byte, error) {
	var v any
	switch rec.Kind {
	case KindPerson:
		v = personLine{Kind: rec.Kind, Person: rec.Person}
	case KindDwelling:
		v = dwellingLine{Kind: rec.Kind, Dwelling: rec.Dwelling}
	case KindRegistration:
		v = registrationLine{Kind: rec.Kind, Registration: rec.Registration}
	case KindTaxpayer:
		v = taxpayerLine{Kind: rec.Kind, Taxpayer: rec.Taxpayer}
	case KindBinding:
		v = bindingLine{Kind: rec.Kind, Binding: rec.Binding}
	case KindOfficial:
		v = officialLine{Kind: rec.Kind, Official: rec.Official}
	case KindApostille:
		v = apostilleLine{Kind: rec.Kind, Apostille: rec.Apostille}
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownKind, rec.Kind)
	}
	return json.Marshal(v)
}

// plainJSONError rewrites encoding/json's type mismatch errors in the terms
// of the line; other errors, such as a date field's [ErrInvalidDate], pass
// through so that errors.Is still finds their sentinel.
func plainJSONError(err error) error {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return fmt.Errorf("field %q: want a JSON %s, got %s", ute.Field, ute.Type, ute.Value)
	}
	return err
}
