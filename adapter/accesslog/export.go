package accesslog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

// Format is an export file format.
type Format string

// Export formats. Both carry the whole chain material (previous hashes,
// hashes, checkpoints with signatures), so an export verifies on its own
// with VerifyExport and the adapter certificate.
const (
	// FormatJSONL writes one JSON object per line: a "header" line, then
	// "record", "omitted" and "checkpoint" lines in chain order.
	FormatJSONL Format = "jsonl"
	// FormatCSV writes a column-name row, an "anchor" row, then "record",
	// "omitted" and "checkpoint" rows in chain order (columns csvColumns).
	FormatCSV Format = "csv"
)

// ParseFormat accepts "jsonl" or "csv".
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatJSONL, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("%w: export format %q (want jsonl or csv)", ErrInvalidArgument, s)
}

// ExportSummary counts what an export wrote.
type ExportSummary struct {
	Records     int // records written in full
	Omitted     int // records that did not match the filter, written as digests
	Checkpoints int
	HeadSeq     uint64 // sequence number of the last record written
}

// Export writes the whole chain to w in format. Records that do not match
// f are written as "omitted" items (sequence number, body digest, hash):
// their content stays out of the export, yet the export still verifies
// end to end. The zero Filter exports everything in full. Records added
// after the export started may or may not be included; call Checkpoint
// first for an export whose every record is covered by a signature.
func (l *Log) Export(ctx context.Context, w io.Writer, format Format, f Filter) (ExportSummary, error) {
	return export(ctx, l.store, w, format, f)
}

func export(ctx context.Context, store logstore.Backend, w io.Writer, format Format, f Filter) (ExportSummary, error) {
	h, err := readHead(ctx, store)
	if err != nil {
		return ExportSummary{}, err
	}
	return exportRange(ctx, store, h, w, format, f, "export", ^uint64(0), nil, nil)
}

// exportRange writes the records and checkpoints after h's anchor up to
// and including record last (and at most to h), then extra (if not nil)
// as a final checkpoint. With a verifier, every item is verified before
// it is written.
func exportRange(ctx context.Context, store logstore.Backend, h head, w io.Writer, format Format, f Filter, kind string, last uint64, extra *Checkpoint, v *verifier) (ExportSummary, error) {
	anchor := h.anchor
	ew, err := newExportWriter(w, format)
	if err != nil {
		return ExportSummary{}, err
	}
	var sum ExportSummary
	if err := ew.header(anchor, kind); err != nil {
		return sum, err
	}
	err = walk(ctx, store, h.raw, anchor.Seq+1, 0, func(r Record) error {
		if r.Seq > last {
			return errStop
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if v != nil {
			if err := v.record(&r); err != nil {
				return err
			}
		}
		sum.HeadSeq = r.Seq
		if f.Match(&r) {
			sum.Records++
			return ew.record(&r)
		}
		d, err := r.Digest()
		if err != nil {
			return err
		}
		sum.Omitted++
		return ew.omitted(r.Seq, d, r.Hash)
	}, func(c Checkpoint) error {
		if c.Seq > last {
			return errStop
		}
		if v != nil {
			if err := v.checkpoint(&c); err != nil {
				return err
			}
		}
		sum.Checkpoints++
		return ew.checkpoint(&c)
	})
	if err != nil && !errors.Is(err, errStop) {
		return sum, err
	}
	if extra != nil {
		sum.Checkpoints++
		if err := ew.checkpoint(extra); err != nil {
			return sum, err
		}
	}
	return sum, ew.flush()
}

type exportWriter interface {
	header(a Anchor, kind string) error
	record(r *Record) error
	omitted(seq uint64, digest, hash [32]byte) error
	checkpoint(c *Checkpoint) error
	flush() error
}

func newExportWriter(w io.Writer, format Format) (exportWriter, error) {
	switch format {
	case FormatJSONL:
		bw := bufio.NewWriter(w)
		return &jsonlWriter{w: bw, enc: json.NewEncoder(bw)}, nil
	case FormatCSV:
		return &csvWriter{w: csv.NewWriter(w)}, nil
	}
	return nil, fmt.Errorf("%w: export format %q", ErrInvalidArgument, format)
}

// JSON Lines items. Field names are part of the export format.
type (
	jsonHeader struct {
		Type       string `json:"type"` // "header"
		Format     int    `json:"format"`
		Kind       string `json:"kind"` // "export" or "archive"; informational
		AnchorSeq  uint64 `json:"anchor_seq"`
		AnchorHash string `json:"anchor_hash"`
	}
	jsonRecord struct {
		Type           string    `json:"type"` // "record"
		V              int       `json:"v"`
		Seq            uint64    `json:"seq"`
		ID             string    `json:"id"`
		Time           time.Time `json:"time"`
		Client         string    `json:"client"`
		Service        string    `json:"service"`
		MessageID      string    `json:"message_id"`
		UserID         string    `json:"user_id"`
		Issue          string    `json:"issue"`
		Outcome        string    `json:"outcome"`
		Reason         string    `json:"reason"`
		RequestSHA256  string    `json:"request_sha256"`
		ResponseSHA256 string    `json:"response_sha256"`
		SignerCert     string    `json:"signer_cert"`
		LatencyNS      int64     `json:"latency_ns"`
		Subjects       []string  `json:"subjects"`
		PrevHash       string    `json:"prev_hash"`
		Hash           string    `json:"hash"`
	}
	jsonOmitted struct {
		Type   string `json:"type"` // "omitted"
		Seq    uint64 `json:"seq"`
		Digest string `json:"digest"`
		Hash   string `json:"hash"`
	}
	jsonCheckpoint struct {
		Type      string    `json:"type"` // "checkpoint"
		Seq       uint64    `json:"seq"`
		Head      string    `json:"head"`
		Time      time.Time `json:"time"`
		Cert      string    `json:"cert"`
		Signature string    `json:"signature"` // standard base64
	}
)

func hexOf(h [32]byte) string { return hex.EncodeToString(h[:]) }

type jsonlWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func (j *jsonlWriter) header(a Anchor, kind string) error {
	return j.enc.Encode(jsonHeader{Type: "header", Format: FormatVersion, Kind: kind, AnchorSeq: a.Seq, AnchorHash: hexOf(a.Hash)})
}

func (j *jsonlWriter) record(r *Record) error {
	return j.enc.Encode(jsonRecord{
		Type: "record", V: r.Version, Seq: r.Seq, ID: r.ID, Time: r.Time,
		Client: r.Client, Service: r.Service, MessageID: r.MessageID, UserID: r.UserID, Issue: r.Issue,
		Outcome: r.Outcome, Reason: r.Reason,
		RequestSHA256: hexOf(r.RequestSHA256), ResponseSHA256: hexOf(r.ResponseSHA256),
		SignerCert: r.SignerCert, LatencyNS: int64(r.Latency), Subjects: r.Subjects,
		PrevHash: hexOf(r.PrevHash), Hash: hexOf(r.Hash),
	})
}

func (j *jsonlWriter) omitted(seq uint64, digest, hash [32]byte) error {
	return j.enc.Encode(jsonOmitted{Type: "omitted", Seq: seq, Digest: hexOf(digest), Hash: hexOf(hash)})
}

func (j *jsonlWriter) checkpoint(c *Checkpoint) error {
	return j.enc.Encode(jsonCheckpoint{Type: "checkpoint", Seq: c.Seq, Head: hexOf(c.Head), Time: c.Time,
		Cert: c.CertFingerprint, Signature: base64.StdEncoding.EncodeToString(c.Signature)})
}

func (j *jsonlWriter) flush() error { return j.w.Flush() }

// csvColumns are the CSV export's columns, in order. Part of the format.
var csvColumns = []string{
	"type", "v", "seq", "id", "time", "client", "service", "message_id", "user_id", "issue",
	"outcome", "reason", "request_sha256", "response_sha256", "signer_cert", "latency_ns",
	"subjects", "prev_hash", "hash", "digest", "signature",
}

// Column indexes into csvColumns.
const (
	colType = iota
	colV
	colSeq
	colID
	colTime
	colClient
	colService
	colMessageID
	colUserID
	colIssue
	colOutcome
	colReason
	colRequest
	colResponse
	colSignerCert
	colLatency
	colSubjects
	colPrev
	colHash
	colDigest
	colSignature
	numColumns
)

type csvWriter struct {
	w   *csv.Writer
	row [numColumns]string
}

func (c *csvWriter) write(set func(row *[numColumns]string)) error {
	c.row = [numColumns]string{}
	set(&c.row)
	return c.w.Write(c.row[:])
}

func (c *csvWriter) header(a Anchor, _ string) error {
	if err := c.w.Write(csvColumns); err != nil {
		return err
	}
	return c.write(func(row *[numColumns]string) {
		row[colType], row[colV] = "anchor", strconv.Itoa(FormatVersion)
		row[colSeq], row[colHash] = strconv.FormatUint(a.Seq, 10), hexOf(a.Hash)
	})
}

func (c *csvWriter) record(r *Record) error {
	return c.write(func(row *[numColumns]string) {
		row[colType], row[colV], row[colSeq] = "record", strconv.Itoa(r.Version), strconv.FormatUint(r.Seq, 10)
		row[colID], row[colTime] = r.ID, r.Time.Format(time.RFC3339Nano)
		row[colClient], row[colService], row[colMessageID] = r.Client, r.Service, r.MessageID
		row[colUserID], row[colIssue], row[colOutcome], row[colReason] = r.UserID, r.Issue, r.Outcome, r.Reason
		row[colRequest], row[colResponse] = hexOf(r.RequestSHA256), hexOf(r.ResponseSHA256)
		row[colSignerCert], row[colLatency] = r.SignerCert, strconv.FormatInt(int64(r.Latency), 10)
		row[colSubjects] = strings.Join(r.Subjects, " ")
		row[colPrev], row[colHash] = hexOf(r.PrevHash), hexOf(r.Hash)
	})
}

func (c *csvWriter) omitted(seq uint64, digest, hash [32]byte) error {
	return c.write(func(row *[numColumns]string) {
		row[colType], row[colSeq] = "omitted", strconv.FormatUint(seq, 10)
		row[colDigest], row[colHash] = hexOf(digest), hexOf(hash)
	})
}

func (c *csvWriter) checkpoint(cp *Checkpoint) error {
	return c.write(func(row *[numColumns]string) {
		row[colType], row[colSeq] = "checkpoint", strconv.FormatUint(cp.Seq, 10)
		row[colTime], row[colSignerCert] = cp.Time.Format(time.RFC3339Nano), cp.CertFingerprint
		row[colHash], row[colSignature] = hexOf(cp.Head), base64.StdEncoding.EncodeToString(cp.Signature)
	})
}

func (c *csvWriter) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// maxExportLine bounds one JSON line of an export being verified. A record
// is at most a few tens of KiB (MaxFieldBytes per field).
const maxExportLine = 1 << 20

// VerifyExport checks an export or archive file read from r (JSON Lines or
// CSV, recognised by the first byte) the way Verify checks a log: every
// record's hash, the chain from the file's anchor, every checkpoint's head
// and signature. Content that does not parse is reported as tampering.
// With opts.Sealed (archives) a checkpoint must cover the last record.
func VerifyExport(ctx context.Context, r io.Reader, opts VerifyOptions) (Report, error) {
	br := bufio.NewReader(r)
	first, err := br.Peek(1)
	if err != nil && !errors.Is(err, io.EOF) {
		return Report{}, fmt.Errorf("accesslog: read export: %w", err)
	}
	if len(first) == 1 && first[0] == '{' {
		return VerifyJSONL(ctx, br, opts)
	}
	return VerifyCSV(ctx, br, opts)
}

// VerifyJSONL checks a FormatJSONL export or archive; see VerifyExport.
func VerifyJSONL(ctx context.Context, r io.Reader, opts VerifyOptions) (Report, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxExportLine)
	var v *verifier
	certs := certSet(opts.Certificates)
	line := 0
	for sc.Scan() {
		line++
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		b := sc.Bytes()
		if v == nil {
			a, err := parseJSONHeader(b)
			if err != nil {
				return Report{}, &TamperError{What: "file", Line: line, Reason: err.Error()}
			}
			v = newVerifier(a, certs)
			v.witnessed = opts.Witnessed
			continue
		}
		v.line = line
		if err := verifyJSONItem(v, b); err != nil {
			return v.rep, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Report{}, &TamperError{What: "file", Line: line + 1, Reason: "line too long"}
		}
		return Report{}, fmt.Errorf("accesslog: read export: %w", err)
	}
	if v == nil {
		return Report{}, &TamperError{What: "file", Reason: "empty: no header line"}
	}
	return v.finish(opts.Sealed)
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON object")
	}
	return nil
}

func parseJSONHeader(b []byte) (Anchor, error) {
	var h jsonHeader
	if err := strictUnmarshal(b, &h); err != nil {
		return Anchor{}, fmt.Errorf("header: %w", err)
	}
	if h.Type != "header" {
		return Anchor{}, fmt.Errorf("first line is %q, want a header", h.Type)
	}
	if h.Format != FormatVersion {
		return Anchor{}, fmt.Errorf("%w: export format %d", ErrUnsupportedFormat, h.Format)
	}
	hash, err := decodeHash(h.AnchorHash)
	if err != nil {
		return Anchor{}, fmt.Errorf("anchor hash: %w", err)
	}
	return Anchor{Seq: h.AnchorSeq, Hash: hash}, nil
}

func verifyJSONItem(v *verifier, b []byte) error {
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return v.fail("file", v.seq+1, "", "not a JSON object: %v", err)
	}
	switch probe.Type {
	case "record":
		var j jsonRecord
		if err := strictUnmarshal(b, &j); err != nil {
			return v.fail("record", v.seq+1, "", "%v", err)
		}
		r, err := j.toRecord()
		if err != nil {
			return v.fail("record", j.Seq, j.ID, "%v", err)
		}
		return v.record(&r)
	case "omitted":
		var j jsonOmitted
		if err := strictUnmarshal(b, &j); err != nil {
			return v.fail("record", v.seq+1, "", "%v", err)
		}
		d, err1 := decodeHash(j.Digest)
		h, err2 := decodeHash(j.Hash)
		if err := errors.Join(err1, err2); err != nil {
			return v.fail("record", j.Seq, "", "%v", err)
		}
		return v.omitted(j.Seq, d, h)
	case "checkpoint":
		var j jsonCheckpoint
		if err := strictUnmarshal(b, &j); err != nil {
			return v.fail("checkpoint", v.seq, "", "%v", err)
		}
		head, err1 := decodeHash(j.Head)
		sig, err2 := base64.StdEncoding.Strict().DecodeString(j.Signature)
		if err := errors.Join(err1, err2); err != nil {
			return v.fail("checkpoint", j.Seq, "", "%v", err)
		}
		return v.checkpoint(&Checkpoint{Seq: j.Seq, Head: head, Time: j.Time.UTC(), CertFingerprint: j.Cert, Signature: sig})
	}
	return v.fail("file", v.seq+1, "", "unknown item type %q", probe.Type)
}

func (j *jsonRecord) toRecord() (Record, error) {
	r := Record{
		Version: j.V, Seq: j.Seq, ID: j.ID, Time: j.Time.UTC(), Client: j.Client, Service: j.Service,
		MessageID: j.MessageID, UserID: j.UserID, Issue: j.Issue, Outcome: j.Outcome, Reason: j.Reason,
		SignerCert: j.SignerCert, Latency: time.Duration(j.LatencyNS), Subjects: j.Subjects,
	}
	var errs [4]error
	r.RequestSHA256, errs[0] = decodeHash(j.RequestSHA256)
	r.ResponseSHA256, errs[1] = decodeHash(j.ResponseSHA256)
	r.PrevHash, errs[2] = decodeHash(j.PrevHash)
	r.Hash, errs[3] = decodeHash(j.Hash)
	return r, errors.Join(errs[:]...)
}

// VerifyCSV checks a FormatCSV export or archive; see VerifyExport.
func VerifyCSV(ctx context.Context, r io.Reader, opts VerifyOptions) (Report, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = numColumns
	cr.ReuseRecord = true
	row, err := cr.Read()
	if err != nil || strings.Join(row, ",") != strings.Join(csvColumns, ",") {
		return Report{}, &TamperError{What: "file", Line: 1, Reason: "first row is not the CSV export's column names"}
	}
	var v *verifier
	certs := certSet(opts.Certificates)
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Report{}, &TamperError{What: "file", Line: pe.Line, Reason: pe.Err.Error()}
			}
			return Report{}, fmt.Errorf("accesslog: read export: %w", err)
		}
		line, _ := cr.FieldPos(0) // only valid after a successful Read
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		if v == nil {
			a, err := parseCSVAnchor(row)
			if err != nil {
				return Report{}, &TamperError{What: "anchor", Line: line, Reason: err.Error()}
			}
			v = newVerifier(a, certs)
			v.witnessed = opts.Witnessed
			continue
		}
		v.line = line
		if err := verifyCSVRow(v, row); err != nil {
			return v.rep, err
		}
	}
	if v == nil {
		return Report{}, &TamperError{What: "file", Reason: "no anchor row"}
	}
	return v.finish(opts.Sealed)
}

func parseCSVAnchor(row []string) (Anchor, error) {
	if row[colType] != "anchor" {
		return Anchor{}, fmt.Errorf("second row is %q, want the anchor", row[colType])
	}
	if row[colV] != strconv.Itoa(FormatVersion) {
		return Anchor{}, fmt.Errorf("%w: export format %q", ErrUnsupportedFormat, row[colV])
	}
	seq, err := strconv.ParseUint(row[colSeq], 10, 64)
	if err != nil {
		return Anchor{}, err
	}
	h, err := decodeHash(row[colHash])
	if err != nil {
		return Anchor{}, err
	}
	return Anchor{Seq: seq, Hash: h}, nil
}

func verifyCSVRow(v *verifier, row []string) error {
	seq, err := strconv.ParseUint(row[colSeq], 10, 64)
	if err != nil {
		return v.fail(row[colType], v.seq+1, "", "sequence number: %v", err)
	}
	switch row[colType] {
	case "record":
		r, err := csvRecord(row, seq)
		if err != nil {
			return v.fail("record", seq, row[colID], "%v", err)
		}
		return v.record(&r)
	case "omitted":
		d, err1 := decodeHash(row[colDigest])
		h, err2 := decodeHash(row[colHash])
		if err := errors.Join(err1, err2); err != nil {
			return v.fail("record", seq, "", "%v", err)
		}
		return v.omitted(seq, d, h)
	case "checkpoint":
		t, err1 := time.Parse(time.RFC3339Nano, row[colTime])
		head, err2 := decodeHash(row[colHash])
		sig, err3 := base64.StdEncoding.Strict().DecodeString(row[colSignature])
		if err := errors.Join(err1, err2, err3); err != nil {
			return v.fail("checkpoint", seq, "", "%v", err)
		}
		return v.checkpoint(&Checkpoint{Seq: seq, Head: head, Time: t.UTC(), CertFingerprint: row[colSignerCert], Signature: sig})
	}
	return v.fail("file", v.seq+1, "", "unknown row type %q", row[colType])
}

func csvRecord(row []string, seq uint64) (Record, error) {
	version, err := strconv.Atoi(row[colV])
	if err != nil {
		return Record{}, fmt.Errorf("version: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, row[colTime])
	if err != nil {
		return Record{}, err
	}
	latency, err := strconv.ParseInt(row[colLatency], 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("latency: %w", err)
	}
	r := Record{
		Version: version, Seq: seq, ID: row[colID], Time: t.UTC(), Client: row[colClient],
		Service: row[colService], MessageID: row[colMessageID], UserID: row[colUserID],
		Issue: row[colIssue], Outcome: row[colOutcome], Reason: row[colReason],
		SignerCert: row[colSignerCert], Latency: time.Duration(latency),
	}
	if row[colSubjects] != "" {
		r.Subjects = strings.Split(row[colSubjects], " ")
	}
	var errs [4]error
	r.RequestSHA256, errs[0] = decodeHash(row[colRequest])
	r.ResponseSHA256, errs[1] = decodeHash(row[colResponse])
	r.PrevHash, errs[2] = decodeHash(row[colPrev])
	r.Hash, errs[3] = decodeHash(row[colHash])
	return r, errors.Join(errs[:]...)
}
