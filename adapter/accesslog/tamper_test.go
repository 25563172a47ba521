package accesslog

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tamperFixture builds a closed log of 5 records with checkpoints at 3 and
// 5 (the second written by Close) in an in-memory store, and returns the
// store and the options that opened it (without its Backend).
func tamperFixture(tb testing.TB, k testKey) (*memData, Options) {
	tb.Helper()
	d := newMemData()
	opts := testOptions(tb, k, "")
	opts.Backend = d.open()
	l, err := Open(opts)
	if err != nil {
		tb.Fatal(err)
	}
	appendN(tb, l, 3)
	if _, err := l.Checkpoint(context.Background()); err != nil {
		tb.Fatal(err)
	}
	for i := 4; i <= 5; i++ {
		if _, err := l.Append(context.Background(), testEntry(i)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	opts.Backend = nil
	return d, opts
}

// The edits below change the stored log as an attacker with write access
// to the storage would, bypassing the backend contract.

func (d *memData) record(tb testing.TB, seq uint64) Record {
	tb.Helper()
	r, err := decodeStored(seq, d.records[seq])
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func (d *memData) putRecord(tb testing.TB, key uint64, r Record) {
	tb.Helper()
	v, err := encodeStored(&r)
	if err != nil {
		tb.Fatal(err)
	}
	d.records[key] = v
}

func (d *memData) checkpoint(tb testing.TB, seq uint64) Checkpoint {
	tb.Helper()
	c, err := decodeStoredCheckpoint(seq, d.checkpoints[seq])
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func (d *memData) putCheckpoint(key uint64, c Checkpoint) { d.checkpoints[key] = encodeCheckpoint(&c) }

// verifyStored verifies the log in d as `darbaza audit verify` would and
// opens it as `darbaza serve` would; it returns the first bad item Verify
// found, or nil, and whether Open refused the log as tampered.
func verifyStored(tb testing.TB, d *memData, opts Options, k testKey) (te *TamperError, openRefused bool) {
	tb.Helper()
	rd, err := NewReader(d.open()) // checks the format and the anchor
	if err == nil {
		_, err = rd.Verify(context.Background(), verifyOpts(k))
		rd.Close()
	}
	if err != nil && (!errors.As(err, &te) || !errors.Is(err, ErrTampered)) {
		tb.Fatalf("Verify: %v, want a TamperError", err)
	}
	opts.Backend = d.open()
	l, err := Open(opts)
	if err == nil {
		l.Close()
	}
	return te, errors.Is(err, ErrTampered)
}

func TestVerifyFindsTheFirstTamperedItemInALogFile(t *testing.T) {
	k, mallory := newECKey(t), newECKey(t)
	tests := []struct {
		name      string
		edit      func(d *memData)
		wantWhat  string
		wantSeq   uint64
		openFails bool // the tail check at Open sees it too
	}{
		{"a changed field with the chain recomputed after it", func(d *memData) {
			prev := d.record(t, 1).Hash
			for seq := uint64(2); seq <= 5; seq++ {
				r := d.record(t, seq)
				if seq == 2 {
					r.Subjects = nil
				}
				r.PrevHash = prev
				r.Hash, _ = r.ComputeHash()
				prev = r.Hash
				d.putRecord(t, seq, r)
			}
		}, "checkpoint", 3, true},
		{"a deleted record", func(d *memData) { delete(d.records, 2) }, "record", 2, false},
		{"a swapped pair", func(d *memData) {
			d.records[2], d.records[3] = d.records[3], d.records[2]
		}, "record", 2, false},
		{"a swapped pair renumbered", func(d *memData) {
			r2, r3 := d.record(t, 2), d.record(t, 3)
			r2.Seq, r3.Seq = 3, 2
			d.putRecord(t, 2, r3)
			d.putRecord(t, 3, r2)
		}, "record", 2, false},
		{"a truncated tail after a checkpoint", func(d *memData) {
			delete(d.records, 5)
			delete(d.records, 4)
		}, "checkpoint", 5, true},
		{"a forged checkpoint signature", func(d *memData) {
			c := d.checkpoint(t, 3)
			c.Signature[len(c.Signature)/2] ^= 1
			d.putCheckpoint(3, c)
		}, "checkpoint", 3, false},
		{"a checkpoint signed by another key", func(d *memData) {
			r := d.record(t, 4)
			c := Checkpoint{Seq: 4, Head: r.Hash, Time: r.Time}
			if err := signCheckpoint(&c, mallory.Key, mallory.Cert, nil); err != nil {
				t.Fatal(err)
			}
			d.putCheckpoint(4, c)
		}, "checkpoint", 4, false},
		{"a checkpoint moved to another record", func(d *memData) {
			c := d.checkpoint(t, 3)
			c.Seq = 2
			delete(d.checkpoints, 3)
			d.putCheckpoint(2, c)
		}, "checkpoint", 2, false},
		{"an undecodable record", func(d *memData) { d.records[5] = []byte("garbage") }, "record", 5, true},
		{"a malformed anchor", func(d *memData) { d.anchor = []byte("short") }, "anchor", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, opts := tamperFixture(t, k)
			tt.edit(d)
			te, openRefused := verifyStored(t, d, opts, k)
			if te == nil {
				t.Fatal("Verify passed a tampered log")
			}
			if te.What != tt.wantWhat || te.Seq != tt.wantSeq {
				t.Errorf("first bad item: %s %d (%v), want %s %d", te.What, te.Seq, te, tt.wantWhat, tt.wantSeq)
			}
			if openRefused != tt.openFails {
				t.Errorf("Open refused the log: %v, want %v", openRefused, tt.openFails)
			}
		})
	}
}
func TestVerifyAcceptsAnUntamperedLog(t *testing.T) {
	k := newECKey(t)
	d, _ := tamperFixture(t, k)
	rd, err := NewReader(d.open())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rep, err := rd.Verify(context.Background(), verifyOpts(k))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 5 || rep.Checkpoints != 2 || rep.HeadSeq != 5 || rep.Unsigned != 0 {
		t.Errorf("report = %+v", rep)
	}
	if _, err := rd.Verify(context.Background(), verifyOpts(newECKey(t))); !errors.Is(err, ErrTampered) {
		t.Errorf("Verify with a stranger's certificate: %v, want ErrTampered", err)
	}
}

// exportDoc is an export file as editable items, whatever its format.
type exportDoc struct {
	format Format
	head   [][]string       // CSV rows before the items (column names, anchor)
	json   []map[string]any // JSONL items after the header
	header []byte
	rows   [][]string // CSV items
}

func parseDoc(tb testing.TB, format Format, b []byte) *exportDoc {
	tb.Helper()
	d := &exportDoc{format: format}
	if format == FormatJSONL {
		lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
		d.header = lines[0]
		for _, ln := range lines[1:] {
			m := map[string]any{}
			dec := json.NewDecoder(bytes.NewReader(ln))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				tb.Fatal(err)
			}
			d.json = append(d.json, m)
		}
		return d
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	d.head, d.rows = rows[:2], rows[2:]
	return d
}

func (d *exportDoc) len() int {
	if d.format == FormatJSONL {
		return len(d.json)
	}
	return len(d.rows)
}

func (d *exportDoc) get(i int, field string) string {
	if d.format == FormatJSONL {
		v := d.json[i][field]
		if field == "head" {
			v = d.json[i]["head"]
		}
		switch v := v.(type) {
		case json.Number:
			return v.String()
		case string:
			return v
		}
		return ""
	}
	return d.rows[i][slices.Index(csvColumns, field)]
}

func (d *exportDoc) set(i int, field, value string) {
	if d.format == FormatJSONL {
		if _, isNum := d.json[i][field].(json.Number); isNum {
			d.json[i][field] = json.Number(value)
		} else {
			d.json[i][field] = value
		}
		return
	}
	d.rows[i][slices.Index(csvColumns, field)] = value
}

// find returns the index of the item of type typ with sequence number seq.
func (d *exportDoc) find(typ string, seq uint64) int {
	for i := range d.len() {
		if d.get(i, "type") == typ && d.get(i, "seq") == strconv.FormatUint(seq, 10) {
			return i
		}
	}
	panic("no " + typ)
}

func (d *exportDoc) delete(i int) {
	if d.format == FormatJSONL {
		d.json = slices.Delete(d.json, i, i+1)
	} else {
		d.rows = slices.Delete(d.rows, i, i+1)
	}
}

func (d *exportDoc) swap(i, j int) {
	if d.format == FormatJSONL {
		d.json[i], d.json[j] = d.json[j], d.json[i]
	} else {
		d.rows[i], d.rows[j] = d.rows[j], d.rows[i]
	}
}

// headField is where a checkpoint's head lives in each format.
func (d *exportDoc) headField() string {
	if d.format == FormatJSONL {
		return "head"
	}
	return "hash"
}

func (d *exportDoc) bytes(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if d.format == FormatJSONL {
		buf.Write(d.header)
		buf.WriteByte('\n')
		for _, m := range d.json {
			b, err := json.Marshal(m)
			if err != nil {
				tb.Fatal(err)
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
		return buf.Bytes()
	}
	w := csv.NewWriter(&buf)
	w.WriteAll(append(slices.Clone(d.head), d.rows...))
	return buf.Bytes()
}

func exportFixture(tb testing.TB, k testKey, format Format, f Filter) []byte {
	tb.Helper()
	d, _ := tamperFixture(tb, k)
	rd, err := NewReader(d.open())
	if err != nil {
		tb.Fatal(err)
	}
	defer rd.Close()
	var buf bytes.Buffer
	if _, err := rd.Export(context.Background(), &buf, format, f); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerifyExportFindsTheFirstTamperedItem(t *testing.T) {
	k := newECKey(t)
	tests := []struct {
		name     string
		edit     func(d *exportDoc)
		wantWhat string
		wantSeq  uint64
	}{
		{"a changed field", func(d *exportDoc) { d.set(d.find("record", 2), "outcome", "ok") }, "record", 2},
		{"a changed hash", func(d *exportDoc) {
			i := d.find("record", 4)
			d.set(i, "hash", d.get(d.find("record", 3), "hash"))
		}, "record", 4},
		{"a deleted record", func(d *exportDoc) { d.delete(d.find("record", 2)) }, "record", 2},
		{"a swapped pair", func(d *exportDoc) { d.swap(d.find("record", 1), d.find("record", 2)) }, "record", 1},
		{"a truncated tail after a checkpoint", func(d *exportDoc) {
			d.delete(d.find("record", 5))
			d.delete(d.find("record", 4))
		}, "checkpoint", 5},
		{"a forged checkpoint signature", func(d *exportDoc) {
			i := d.find("checkpoint", 3)
			sig, _ := base64.StdEncoding.DecodeString(d.get(i, "signature"))
			sig[len(sig)/2] ^= 1
			d.set(i, "signature", base64.StdEncoding.EncodeToString(sig))
		}, "checkpoint", 3},
		{"a checkpoint with another head", func(d *exportDoc) {
			d.set(d.find("checkpoint", 5), d.headField(), d.get(d.find("record", 4), "hash"))
		}, "checkpoint", 5},
		{"a malformed hash", func(d *exportDoc) { d.set(d.find("record", 3), "prev_hash", "zz") }, "record", 3},
	}
	for _, format := range []Format{FormatJSONL, FormatCSV} {
		clean := exportFixture(t, k, format, Filter{})
		if _, err := VerifyExport(context.Background(), bytes.NewReader(clean), verifyOpts(k)); err != nil {
			t.Fatalf("%s: untampered export does not verify: %v", format, err)
		}
		for _, tt := range tests {
			t.Run(string(format)+"/"+tt.name, func(t *testing.T) {
				d := parseDoc(t, format, clean)
				tt.edit(d)
				_, err := VerifyExport(context.Background(), bytes.NewReader(d.bytes(t)), verifyOpts(k))
				var te *TamperError
				if !errors.As(err, &te) {
					t.Fatalf("VerifyExport: %v, want a TamperError", err)
				}
				if te.What != tt.wantWhat || te.Seq != tt.wantSeq || te.Line == 0 {
					t.Errorf("first bad item: %s %d line %d (%v), want %s %d", te.What, te.Seq, te.Line, te, tt.wantWhat, tt.wantSeq)
				}
			})
		}
	}
}

// recordFieldEdits changes one field of a stored record value each, keyed
// by the field's name in Record. TestVerifyFindsAChangeToAnyOneField fails
// if a field of Record has no edit here, so a field added to the record
// must be given one, and the hash must then cover it.
func recordFieldEdits(tb testing.TB) map[string]func(v []byte) []byte {
	via := func(edit func(r *Record)) func(v []byte) []byte {
		return func(v []byte) []byte {
			r, err := decodeStored(binarySeq(tb, v), v)
			if err != nil {
				tb.Fatal(err)
			}
			edit(&r)
			out, err := encodeStored(&r)
			if err != nil {
				tb.Fatal(err)
			}
			return out
		}
	}
	flip := func(h *[32]byte) { h[31] ^= 1 }
	return map[string]func(v []byte) []byte{
		"Version": func(v []byte) []byte { // the encoder refuses other versions: edit the byte
			v = bytes.Clone(v)
			v[len(bodyTag)]++
			return v
		},
		"Seq":            via(func(r *Record) { r.Seq++ }),
		"ID":             via(func(r *Record) { r.ID += "0" }),
		"Time":           via(func(r *Record) { r.Time = r.Time.Add(time.Nanosecond) }),
		"Client":         via(func(r *Record) { r.Client = "central-server/GOV/70000009/intruder" }),
		"Service":        via(func(r *Record) { r.Service = "getTaxpayer" }),
		"MessageID":      via(func(r *Record) { r.MessageID += "0" }),
		"UserID":         via(func(r *Record) { r.UserID = "EE00000000000" }),
		"Issue":          via(func(r *Record) { r.Issue += "0" }),
		"Outcome":        via(func(r *Record) { r.Outcome = "Server.ServerProxy.AccessDenied" }),
		"Reason":         via(func(r *Record) { r.Reason += "." }),
		"RequestSHA256":  via(func(r *Record) { flip(&r.RequestSHA256) }),
		"ResponseSHA256": via(func(r *Record) { flip(&r.ResponseSHA256) }),
		"SignerCert":     via(func(r *Record) { r.SignerCert = CertFingerprint(newECKey(tb).Cert) }),
		"Latency":        via(func(r *Record) { r.Latency++ }),
		"Subjects":       via(func(r *Record) { r.Subjects = []string{SubjectID(testSubjectKey, "20101199000099")} }),
		"PrevHash":       via(func(r *Record) { flip(&r.PrevHash) }),
		"Hash":           via(func(r *Record) { flip(&r.Hash) }),
	}
}

// binarySeq reads the sequence number from a stored record value.
func binarySeq(tb testing.TB, v []byte) uint64 {
	tb.Helper()
	r, err := decodeBody(v[:len(v)-64])
	if err != nil {
		tb.Fatal(err)
	}
	return r.Seq
}

// TestVerifyFindsAChangeToAnyOneField changes one field of one record at
// a time, for every field of Record: in a record a checkpoint covers
// (Verify must name it; the start-up check only reads the tail) and in the
// newest record (Open must refuse the log too).
func TestVerifyFindsAChangeToAnyOneField(t *testing.T) {
	k := newECKey(t)
	edits := recordFieldEdits(t)
	fields := map[string]bool{}
	for f := range reflect.TypeFor[Record]().Fields() {
		fields[f.Name] = true
		if edits[f.Name] == nil {
			t.Errorf("Record.%s has no edit in recordFieldEdits: is it covered by the hash?", f.Name)
		}
	}
	for name := range edits {
		if !fields[name] {
			t.Errorf("recordFieldEdits edits %s, which Record does not have", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(edits)) {
		for _, at := range []struct {
			seq       uint64
			openFails bool
		}{{2, false}, {5, true}} {
			t.Run(fmt.Sprintf("%s of record %d", name, at.seq), func(t *testing.T) {
				d, opts := tamperFixture(t, k)
				before := d.records[at.seq]
				d.records[at.seq] = edits[name](before)
				if bytes.Equal(before, d.records[at.seq]) {
					t.Fatal("the edit changed nothing")
				}
				te, openRefused := verifyStored(t, d, opts, k)
				if te == nil {
					t.Fatalf("Verify passed a log whose record %d has another %s", at.seq, name)
				}
				if te.What != "record" || te.Seq != at.seq {
					t.Errorf("first bad item: %s %d (%v), want record %d", te.What, te.Seq, te, at.seq)
				}
				if openRefused != at.openFails {
					t.Errorf("Open refused the log: %v, want %v", openRefused, at.openFails)
				}
			})
		}
	}
}

// exportRecordFields are the names an export gives a record's fields: the
// JSON keys of jsonRecord and the CSV columns, without the item type and
// the two CSV columns only other rows use. They are derived from the
// export types, so a field added to the export is tested too.
func exportRecordFields(format Format) []string {
	if format == FormatCSV {
		return slices.DeleteFunc(slices.Clone(csvColumns), func(c string) bool {
			return c == "type" || c == "digest" || c == "signature"
		})
	}
	var out []string
	for f := range reflect.TypeFor[jsonRecord]().Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "type" {
			out = append(out, name)
		}
	}
	return out
}

// changeExportField changes one field of item i, keeping it well formed:
// a number goes up by one, a hash or fingerprint gets another last digit,
// a time moves by a nanosecond, subjects become another person's, and any
// other text gets one more character.
func changeExportField(tb testing.TB, d *exportDoc, i int, field string) {
	tb.Helper()
	other := SubjectID(testSubjectKey, "20101199000099")
	if field == "subjects" {
		if d.format == FormatJSONL {
			d.json[i][field] = []any{other}
		} else {
			d.set(i, field, other)
		}
		return
	}
	v := d.get(i, field)
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		d.set(i, field, strconv.FormatUint(n+1, 10))
	} else if _, err := decodeHash(v); err == nil {
		last := "0"
		if v[63] == '0' {
			last = "1"
		}
		d.set(i, field, v[:63]+last)
	} else if tm, err := time.Parse(time.RFC3339Nano, v); err == nil {
		d.set(i, field, tm.Add(time.Nanosecond).Format(time.RFC3339Nano))
	} else {
		d.set(i, field, v+"x")
	}
	if d.get(i, field) == v {
		tb.Fatalf("%s %q unchanged", field, v)
	}
}

// TestVerifyExportFindsAChangeToAnyOneField is the export's counterpart of
// TestVerifyFindsAChangeToAnyOneField: one field of one record at a time,
// for every field the export writes for a record.
func TestVerifyExportFindsAChangeToAnyOneField(t *testing.T) {
	k := newECKey(t)
	for _, format := range []Format{FormatJSONL, FormatCSV} {
		clean := exportFixture(t, k, format, Filter{})
		for _, field := range exportRecordFields(format) {
			t.Run(string(format)+"/"+field, func(t *testing.T) {
				d := parseDoc(t, format, clean)
				changeExportField(t, d, d.find("record", 2), field)
				_, err := VerifyExport(context.Background(), bytes.NewReader(d.bytes(t)), verifyOpts(k))
				var te *TamperError
				if !errors.As(err, &te) {
					t.Fatalf("VerifyExport: %v, want a TamperError", err)
				}
				if te.What != "record" || te.Seq != 2 || te.Line == 0 {
					t.Errorf("first bad item: %s %d line %d (%v), want record 2", te.What, te.Seq, te.Line, te)
				}
			})
		}
	}
}
