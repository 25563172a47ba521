package boltstore

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// formatPerson is the first byte of a person record in the compact
// encoding, which replaced JSON for persons: a server's working set is the
// persons bucket (every getPerson reads one), and JSON's field names made
// up half of each record. The encoding is the fields of [registry.Person]
// in declaration order:
//
//	string  PIN, Surname, GivenName, Patronymic
//	date    BirthDate
//	string  Sex, Citizenship
//	byte    flags: 0x01 ConsularRegister, 0x02 an ID card follows
//	        (string Model, string Number, date Issued, date Expires)
//	uvarint number of Parents, then each as a string
//
// where a string is its length as a uvarint and its bytes, and a date is a
// uvarint: 0 for none, else the zigzag-encoded days since 1970-01-01, plus
// one. Nothing may follow. A person the encoding cannot hold exactly (a
// date that is not a midnight UTC, a missing birth date or ID card date,
// which JSON refuses to write) is written as JSON under [formatV1].
//
// A field added to [registry.Person] needs a new format byte: records of
// this one must still read as they were written.
const formatPerson byte = 2

// personFields is the number of fields of [registry.Person] the encoding
// holds; a test fails when the struct has another.
const personFields = 10

// encodePerson appends p's compact encoding to dst, or reports that it
// cannot hold p exactly.
func encodePerson(dst []byte, p registry.Person) ([]byte, bool) {
	card := p.IDCard != (registry.IDCard{})
	if !exactDate(p.BirthDate) || p.BirthDate.IsZero() ||
		card && (!exactDate(p.IDCard.Issued) || !exactDate(p.IDCard.Expires) || p.IDCard.Issued.IsZero() || p.IDCard.Expires.IsZero()) {
		return dst, false
	}
	dst = append(dst, formatPerson)
	dst = appendString(dst, p.PIN)
	dst = appendString(dst, p.Surname)
	dst = appendString(dst, p.GivenName)
	dst = appendString(dst, p.Patronymic)
	dst = appendDate(dst, p.BirthDate)
	dst = appendString(dst, string(p.Sex))
	dst = appendString(dst, string(p.Citizenship))
	var flags byte
	if p.ConsularRegister {
		flags |= 0x01
	}
	if card {
		flags |= 0x02
	}
	dst = append(dst, flags)
	if card {
		dst = appendString(dst, string(p.IDCard.Model))
		dst = appendString(dst, p.IDCard.Number)
		dst = appendDate(dst, p.IDCard.Issued)
		dst = appendDate(dst, p.IDCard.Expires)
	}
	dst = binary.AppendUvarint(dst, uint64(len(p.Parents)))
	for _, pin := range p.Parents {
		dst = appendString(dst, pin)
	}
	return dst, true
}

var errPersonRecord = errors.New("malformed person record")

// decodePerson reads a person record of [formatPerson], its format byte
// included. Every string of the result is a slice of one copy of raw.
func decodePerson(raw []byte) (registry.Person, error) {
	if len(raw) == 0 || raw[0] != formatPerson {
		return registry.Person{}, errPersonRecord
	}
	r := personReader{s: string(raw[1:])}
	var p registry.Person
	p.PIN = r.string()
	p.Surname = r.string()
	p.GivenName = r.string()
	p.Patronymic = r.string()
	p.BirthDate = r.date()
	p.Sex = registry.Sex(r.string())
	p.Citizenship = registry.Citizenship(r.string())
	flags := r.byte()
	p.ConsularRegister = flags&0x01 != 0
	if flags&0x02 != 0 {
		p.IDCard.Model = registry.IDCardModel(r.string())
		p.IDCard.Number = r.string()
		p.IDCard.Issued = r.date()
		p.IDCard.Expires = r.date()
		if p.IDCard == (registry.IDCard{}) || p.IDCard.Issued.IsZero() || p.IDCard.Expires.IsZero() {
			r.bad = true // the encoder writes none of these
		}
	}
	if n := r.uvarint(); n > 0 && n <= uint64(len(r.s)) {
		p.Parents = make([]string, n)
		for i := range p.Parents {
			p.Parents[i] = r.string()
		}
	} else if n > 0 {
		r.bad = true
	}
	if r.bad || len(r.s) > 0 || flags&^0x03 != 0 || p.BirthDate.IsZero() {
		return registry.Person{}, errPersonRecord
	}
	return p, nil
}

// exactDate reports whether the compact encoding holds d exactly: it is
// absent, or a midnight UTC (as every [registry.Date] the rules make) in
// the years 1 to 9999.
func exactDate(d registry.Date) bool {
	if d.IsZero() {
		return true
	}
	t := d.Time()
	return t.Year() >= 1 && t.Year() <= 9999 && t == time.Unix(t.Unix()/86400*86400, 0).UTC()
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendDate(dst []byte, d registry.Date) []byte {
	if d.IsZero() {
		return append(dst, 0)
	}
	days := d.Time().Unix() / 86400
	return binary.AppendUvarint(dst, uint64(days<<1^days>>63)+1)
}

// personReader reads the fields of a compact person record; bad records
// that something did not fit.
type personReader struct {
	s   string
	bad bool
}

func (r *personReader) uvarint() uint64 {
	var v uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if i >= len(r.s) {
			break
		}
		b := r.s[i]
		if i == binary.MaxVarintLen64-1 && b > 1 {
			break
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			if i > 0 && b == 0 { // not the shortest form: the encoder never writes it
				break
			}
			r.s = r.s[i+1:]
			return v
		}
	}
	r.bad, r.s = true, ""
	return 0
}

func (r *personReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.s)) {
		r.bad, r.s = true, ""
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *personReader) byte() byte {
	if len(r.s) == 0 {
		r.bad = true
		return 0
	}
	b := r.s[0]
	r.s = r.s[1:]
	return b
}

func (r *personReader) date() registry.Date {
	v := r.uvarint()
	if v == 0 {
		return registry.Date{}
	}
	z := v - 1
	days := int64(z>>1) ^ -int64(z&1)
	// Years 1 to 9999 at most, as time.Time formats them; the encoder
	// writes none outside.
	const minDays, maxDays = -719162, 2932896
	if days < minDays || days > maxDays {
		r.bad = true
		return registry.Date{}
	}
	return registry.NewDate(1970, time.January, 1+int(days))
}
