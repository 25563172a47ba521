package accesslog

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FormatVersion is the version of the record and checkpoint encodings
// defined in this file and in checkpoint.go. It is part of every hashed
// record, so a verifier knows which encoding produced a hash.
const FormatVersion = 1

// MaxFieldBytes caps every string field of a record. Longer values are cut
// (on a UTF-8 boundary) when an Entry becomes a Record: the request and
// response digests still identify the exact messages.
const MaxFieldBytes = 1024

// Entry is what the request pipeline knows about one request when its
// response is ready. Append turns it into a Record.
type Entry struct {
	ID             string    // record id: a UUID the pipeline made; also the SOAP faultDetail
	Time           time.Time // when the request arrived
	Client         string    // X-Road client id "INSTANCE/CLASS/CODE[/SUBSYSTEM]", "" if unknown
	Service        string    // service code, e.g. "getPerson"; "" if unknown
	MessageID      string    // xrd:id
	UserID         string    // xrd:userId
	Issue          string    // xrd:issue
	Outcome        string    // "OK", a business code ("PersonNotFound") or a fault code ("Client.InvalidSoap")
	Reason         string    // short human reason for refusals (never contains a raw PIN), may be ""
	RequestSHA256  [32]byte
	ResponseSHA256 [32]byte
	SignerCert     string // hex SHA-256 fingerprint of the verified signer certificate, "" if none
	Latency        time.Duration
	Subjects       []string // RAW PINs of the data subjects touched; the log stores only HMACs
}

// Record is the stored, chained form of an Entry.
//
// Hash = SHA-256(PrevHash || Digest()), where Digest is SHA-256 of the
// canonical body encoding (see appendBody). Chaining over the body digest
// rather than over the body itself lets an export replace a record the
// auditor may not see by its digest and still verify end to end.
type Record struct {
	Version        int // FormatVersion of the encoding that produced Hash
	Seq            uint64
	ID             string
	Time           time.Time // UTC
	Client         string
	Service        string
	MessageID      string
	UserID         string
	Issue          string
	Outcome        string
	Reason         string
	RequestSHA256  [32]byte
	ResponseSHA256 [32]byte
	SignerCert     string
	Latency        time.Duration
	Subjects       []string // lower-case hex HMAC-SHA256 of each PIN, sorted, without duplicates
	PrevHash       [32]byte
	Hash           [32]byte
}

// SubjectID returns the identifier the log stores for a data subject: the
// lower-case hex HMAC-SHA256 of the PIN under key.
func SubjectID(key []byte, pin string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(pin))
	return hex.EncodeToString(m.Sum(nil))
}

// newRecord validates e and turns it into an unchained record (Seq,
// PrevHash and Hash are set by the committer).
func newRecord(e Entry, subjectKey []byte) (Record, error) {
	if e.ID == "" {
		return Record{}, fmt.Errorf("%w: empty record id", ErrInvalidEntry)
	}
	if e.Outcome == "" {
		return Record{}, fmt.Errorf("%w: record %s: empty outcome", ErrInvalidEntry, e.ID)
	}
	if e.Time.IsZero() || e.Time.Year() < 1 || e.Time.Year() > 9999 {
		return Record{}, fmt.Errorf("%w: record %s: time %v outside years 1..9999", ErrInvalidEntry, e.ID, e.Time)
	}
	if e.Latency < 0 {
		return Record{}, fmt.Errorf("%w: record %s: negative latency", ErrInvalidEntry, e.ID)
	}
	subjects := make([]string, 0, len(e.Subjects))
	for i, pin := range e.Subjects {
		if pin == "" {
			return Record{}, fmt.Errorf("%w: record %s: subject %d is empty", ErrInvalidEntry, e.ID, i)
		}
		subjects = append(subjects, SubjectID(subjectKey, pin))
	}
	slices.Sort(subjects)
	subjects = slices.Compact(subjects)
	return Record{
		Version:        FormatVersion,
		ID:             cleanField(e.ID),
		Time:           e.Time.UTC().Round(0),
		Client:         cleanField(e.Client),
		Service:        cleanField(e.Service),
		MessageID:      cleanField(e.MessageID),
		UserID:         cleanField(e.UserID),
		Issue:          cleanField(e.Issue),
		Outcome:        cleanField(e.Outcome),
		Reason:         cleanField(e.Reason),
		RequestSHA256:  e.RequestSHA256,
		ResponseSHA256: e.ResponseSHA256,
		SignerCert:     cleanField(e.SignerCert),
		Latency:        e.Latency,
		Subjects:       subjects,
	}, nil
}

// cleanField makes s safe to store and to show: invalid UTF-8 and control
// characters become U+FFFD (so a record reads the same in JSON Lines, CSV
// and on a terminal, and cannot inject terminal escapes into `audit list`),
// and it is cut to MaxFieldBytes.
func cleanField(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	if len(s) > MaxFieldBytes {
		cut := MaxFieldBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// bodyTag starts every canonical record body.
const bodyTag = "darbaza/accesslog/record\x00"

// appendBody appends the canonical body encoding of r (everything but
// PrevHash and Hash) to dst.
//
// THIS ENCODING IS PART OF THE LOG FORMAT. Every stored hash, every
// checkpoint signature and every export depends on it byte for byte. It
// must never change without bumping FormatVersion and keeping the old
// encoding for the old version. TestRecordHashIsStable pins it.
//
// Layout (integers big-endian, str = uint32 length then UTF-8 bytes):
//
//	bodyTag
//	uint8   version
//	uint64  seq
//	int64   time, Unix seconds
//	uint32  time, nanoseconds within the second
//	str     id, client, service, messageID, userID, issue, outcome, reason
//	[32]    request SHA-256
//	[32]    response SHA-256
//	str     signer certificate fingerprint
//	int64   latency, nanoseconds
//	uint32  number of subjects, then [32] per subject (raw HMAC bytes)
func appendBody(dst []byte, r *Record) ([]byte, error) {
	if r.Version != FormatVersion {
		return nil, fmt.Errorf("%w: record version %d", ErrUnsupportedFormat, r.Version)
	}
	dst = append(dst, bodyTag...)
	dst = append(dst, byte(r.Version))
	dst = binary.BigEndian.AppendUint64(dst, r.Seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Time.Unix()))
	dst = binary.BigEndian.AppendUint32(dst, uint32(r.Time.Nanosecond()))
	for _, s := range []string{r.ID, r.Client, r.Service, r.MessageID, r.UserID, r.Issue, r.Outcome, r.Reason} {
		dst = appendString(dst, s)
	}
	dst = append(dst, r.RequestSHA256[:]...)
	dst = append(dst, r.ResponseSHA256[:]...)
	dst = appendString(dst, r.SignerCert)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Latency))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(r.Subjects)))
	for _, s := range r.Subjects {
		b, err := decodeHash(s)
		if err != nil {
			return nil, fmt.Errorf("subject %q: %w", s, err)
		}
		dst = append(dst, b[:]...)
	}
	return dst, nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

// Digest returns SHA-256 of the canonical body of r.
func (r *Record) Digest() ([32]byte, error) {
	body, err := appendBody(nil, r)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(body), nil
}

// chainHash is the link of the hash chain: SHA-256(prev || digest).
func chainHash(prev, digest [32]byte) [32]byte {
	var buf [64]byte
	copy(buf[:32], prev[:])
	copy(buf[32:], digest[:])
	return sha256.Sum256(buf[:])
}

// ComputeHash returns the hash r must carry: SHA-256(PrevHash || Digest()).
func (r *Record) ComputeHash() ([32]byte, error) {
	d, err := r.Digest()
	if err != nil {
		return [32]byte{}, err
	}
	return chainHash(r.PrevHash, d), nil
}

var errShortBody = errors.New("truncated record body")

// decodeBody parses a canonical body (the inverse of appendBody). It
// rejects trailing bytes, so decode-then-encode returns the input.
func decodeBody(b []byte) (Record, error) {
	d := decoder{b: b}
	if tag := d.bytes(len(bodyTag)); string(tag) != bodyTag {
		return Record{}, errors.New("record body: bad tag")
	}
	var r Record
	r.Version = int(d.u8())
	if d.err == nil && r.Version != FormatVersion {
		return Record{}, fmt.Errorf("%w: record version %d", ErrUnsupportedFormat, r.Version)
	}
	r.Seq = d.u64()
	sec := int64(d.u64())
	nsec := d.u32()
	if nsec >= 1e9 {
		return Record{}, errors.New("record body: nanoseconds out of range")
	}
	r.Time = time.Unix(sec, int64(nsec)).UTC()
	for _, p := range []*string{&r.ID, &r.Client, &r.Service, &r.MessageID, &r.UserID, &r.Issue, &r.Outcome, &r.Reason} {
		*p = d.str()
	}
	copy(r.RequestSHA256[:], d.bytes(32))
	copy(r.ResponseSHA256[:], d.bytes(32))
	r.SignerCert = d.str()
	r.Latency = time.Duration(d.u64())
	n := d.u32()
	if d.err == nil && uint64(n)*32 > uint64(len(d.b)) {
		return Record{}, errShortBody
	}
	if n > 0 {
		r.Subjects = make([]string, 0, n)
	}
	for range n {
		r.Subjects = append(r.Subjects, hex.EncodeToString(d.bytes(32)))
	}
	if d.err != nil {
		return Record{}, d.err
	}
	if len(d.b) != 0 {
		return Record{}, errors.New("record body: trailing bytes")
	}
	return r, nil
}

// decoder reads the big-endian primitives of the canonical encodings. The
// first error sticks; later reads return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return make([]byte, n)
	}
	if n < 0 || len(d.b) < n {
		d.err = errShortBody
		return make([]byte, max(n, 0))
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) u8() uint8   { return d.bytes(1)[0] }
func (d *decoder) u32() uint32 { return binary.BigEndian.Uint32(d.bytes(4)) }
func (d *decoder) u64() uint64 { return binary.BigEndian.Uint64(d.bytes(8)) }
func (d *decoder) str() string {
	n := d.u32()
	if d.err == nil && uint64(n) > uint64(len(d.b)) {
		d.err = errShortBody
		return ""
	}
	return string(d.bytes(int(n)))
}

// decodeHash parses a 64-digit lower-case hex string.
func decodeHash(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 || strings.ToLower(s) != s {
		return h, fmt.Errorf("want 64 lower-case hex digits, got %d characters", len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, err
	}
	return h, nil
}
