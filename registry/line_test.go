package registry_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/darbaza/darbaza/registry"
)

// lineErrors are the sentinels a rejected line may carry.
var lineErrors = []error{
	registry.ErrMalformed, registry.ErrUnknownKind, registry.ErrInvalidPIN, registry.ErrInvalidDate, registry.ErrInvalidID, registry.ErrMissingField,
	registry.ErrInvalidValue, registry.ErrPINMismatch, registry.ErrDateOrder, registry.ErrFutureDate, registry.ErrStayTooLong,
}

func FuzzParseLine(f *testing.F) {
	for _, line := range bytes.Split(readTestdata(f, "valid.jsonl"), []byte("\n")) {
		f.Add(line)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		f.Add(bytes.TrimSpace(readTestdata(f, filepath.Join("invalid", filepath.Base(name)))))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		rec, err := registry.ParseLine(line, testNow)
		if err != nil {
			for _, want := range lineErrors {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("ParseLine(%q) error %v wraps no line sentinel", line, err)
		}
		if rec.Key() == "" {
			t.Fatalf("ParseLine(%q) accepted a record without a key: %+v", line, rec)
		}
		// An accepted record survives encoding and parsing unchanged.
		enc, err := registry.EncodeLine(rec)
		if err != nil {
			t.Fatalf("EncodeLine(%+v): %v", rec, err)
		}
		again, err := registry.ParseLine(enc, testNow)
		if err != nil {
			t.Fatalf("ParseLine(EncodeLine(%q)) = %v", line, err)
		}
		if !reflect.DeepEqual(normalize(rec), normalize(again)) {
			t.Fatalf("round trip changed the record:\n%+v\n%+v", rec, again)
		}
	})
}

// normalize maps an empty owner list to nil: both mean "no owners".
func normalize(r registry.Record) registry.Record {
	if len(r.Dwelling.Owners) == 0 {
		r.Dwelling.Owners = nil
	}
	return r
}

func TestParseLineRejectsEachKindOfMistake(t *testing.T) {
	for name, want := range invalidLines {
		if want == registry.ErrUnknownPerson || want == registry.ErrUnknownDwelling || want == registry.ErrDuplicateID ||
			want == registry.ErrConflict || name == "since_before_birth" {
			continue // need the batch or the store: see TestImportReportsEachKindOfBadLine
		}
		line := bytes.TrimSpace(readTestdata(t, filepath.Join("invalid", name+".jsonl")))
		if _, err := registry.ParseLine(line, testNow); !errors.Is(err, want) {
			t.Errorf("%s: ParseLine error = %v, want %v", name, err, want)
		}
	}
}
