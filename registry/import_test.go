package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/registry"
)

func TestImportValidBatch(t *testing.T) {
	s := openTestStore(t)
	rep := mustImport(t, s, readTestdata(t, "valid.jsonl"))
	want := registry.ImportReport{Lines: 13, Persons: 3, Dwellings: 3, Registrations: 6}
	if fmt.Sprint(rep) != fmt.Sprint(want) {
		t.Errorf("report = %+v, want %+v", rep, want)
	}
	st, err := s.Stats(context.Background())
	if err != nil || st != (registry.Stats{Persons: 3, Dwellings: 3, Registrations: 6}) {
		t.Errorf("Stats = %+v, %v", st, err)
	}
}

// invalidLines maps each file in testdata/invalid to the error class its
// line must be reported with when appended to testdata/valid.jsonl.
var invalidLines = map[string]error{
	"not_json":                     registry.ErrMalformed,
	"registration_naming_a_record": registry.ErrInvalidValue,
	"no_kind":                      registry.ErrMalformed,
	"unknown_kind":                 registry.ErrUnknownKind,
	"unknown_field":                registry.ErrMalformed,
	"trailing_data":                registry.ErrMalformed,
	"wrong_json_type":              registry.ErrMalformed,
	"pin_short":                    registry.ErrPINLength,
	"pin_letters":                  registry.ErrPINNotDigits,
	"pin_sex_digit":                registry.ErrPINSexDigit,
	"pin_bad_date":                 registry.ErrPINBirthDate,
	"pin_future":                   registry.ErrPINBirthFuture,
	"birth_date_mismatch":          registry.ErrPINMismatch,
	"sex_mismatch":                 registry.ErrPINMismatch,
	"bad_date_format":              registry.ErrInvalidDate,
	"missing_surname":              registry.ErrMissingField,
	"name_with_digit":              registry.ErrInvalidValue,
	"bad_citizenship":              registry.ErrInvalidValue,
	"bad_card_model":               registry.ErrInvalidValue,
	"card_expires_before_issue":    registry.ErrDateOrder,
	"bad_dwelling_type":            registry.ErrInvalidValue,
	"bad_region":                   registry.ErrInvalidValue,
	"apartment_without_number":     registry.ErrMissingField,
	"bad_dwelling_id":              registry.ErrInvalidID,
	"bad_owner_title":              registry.ErrInvalidValue,
	"unknown_owner":                registry.ErrUnknownPerson,
	"duplicate_id":                 registry.ErrDuplicateID,
	"stay_too_long":                registry.ErrStayTooLong,
	"stay_without_until":           registry.ErrMissingField,
	"residence_with_until":         registry.ErrInvalidValue,
	"since_in_future":              registry.ErrFutureDate,
	"ended_before_since":           registry.ErrDateOrder,
	"ended_without_reason":         registry.ErrMissingField,
	"bad_end_reason":               registry.ErrInvalidValue,
	"bad_registration_type":        registry.ErrInvalidValue,
	"unknown_person":               registry.ErrUnknownPerson,
	"unknown_dwelling":             registry.ErrUnknownDwelling,
	"since_before_birth":           registry.ErrDateOrder,
	"second_open_residence":        registry.ErrConflict,
	"second_current_stay":          registry.ErrConflict,
}

func TestImportReportsEachKindOfBadLine(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(invalidLines) {
		t.Fatalf("%d files in testdata/invalid, %d in the table", len(files), len(invalidLines))
	}
	valid := readTestdata(t, "valid.jsonl")
	validLines := bytes.Count(valid, []byte("\n"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		want, ok := invalidLines[name]
		if !ok {
			t.Errorf("%s has no expected error in the table", f)
			continue
		}
		t.Run(name, func(t *testing.T) {
			s := openTestStore(t)
			bad := readTestdata(t, filepath.Join("invalid", name+".jsonl"))
			rep, err := s.Import(context.Background(), bytes.NewReader(append(bytes.Clone(valid), bad...)))
			if !errors.Is(err, registry.ErrInvalidBatch) {
				t.Fatalf("Import error = %v, want ErrInvalidBatch", err)
			}
			if len(rep.Errors) != 1 {
				t.Fatalf("line errors = %v, want exactly one", rep.Errors)
			}
			le := rep.Errors[0]
			if le.Line != validLines+1 || !errors.Is(le, want) {
				t.Errorf("line error = %v, want line %d with %v", le, validLines+1, want)
			}
			if empty, _ := s.Empty(context.Background()); !empty {
				t.Error("a rejected batch left records in the store")
			}
		})
	}
}

func TestImportCollectsEveryBadLineAndWritesNothing(t *testing.T) {
	s := openTestStore(t)
	valid := strings.Split(strings.TrimSpace(string(readTestdata(t, "valid.jsonl"))), "\n")
	// Bad lines at 2, 5 and the last line; the rest are good.
	lines := []string{valid[0], "{", valid[1], valid[2], `{"kind":"vehicle"}`}
	lines = append(lines, valid[3:]...)
	lines = append(lines, strings.Replace(valid[len(valid)-1], `"RG-6"`, `"RG-7"`, 1)) // second open residence
	rep, err := s.Import(context.Background(), strings.NewReader(strings.Join(lines, "\n")))
	if !errors.Is(err, registry.ErrInvalidBatch) {
		t.Fatalf("Import error = %v, want ErrInvalidBatch", err)
	}
	var got []int
	for _, le := range rep.Errors {
		got = append(got, le.Line)
	}
	if want := []int{2, 5, len(lines)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bad lines = %v, want %v (%v)", got, want, rep.Errors)
	}
	if rep.Persons+rep.Dwellings+rep.Registrations != 0 {
		t.Errorf("report counts writes of a rejected batch: %+v", rep)
	}
	if empty, err := s.Empty(context.Background()); err != nil || !empty {
		t.Errorf("Empty = %v, %v; want a store untouched by the rejected batch", empty, err)
	}
}

func TestImportLeavesEarlierDataUntouchedWhenABatchFails(t *testing.T) {
	s := openTestStore(t)
	mustImport(t, s, readTestdata(t, "valid.jsonl"))
	before := backupBytes(t, s)
	batch := `{"kind":"person","pin":"10707196500321","surname":"Мамытова","given_name":"Бурул","birth_date":"1965-07-07","sex":"female","citizenship":"citizen"}
{"kind":"registration","id":"RG-2","pin":"21505198500123","dwelling_id":"DW-404","type":"residence","since":"2015-03-10"}
`
	if _, err := s.Import(context.Background(), strings.NewReader(batch)); !errors.Is(err, registry.ErrInvalidBatch) {
		t.Fatalf("Import error = %v, want ErrInvalidBatch", err)
	}
	if _, err := s.Person(context.Background(), "10707196500321"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("person of the rejected batch: error = %v, want ErrNotFound", err)
	}
	if after := backupBytes(t, s); !bytes.Equal(before, after) {
		t.Error("the store file changed although the batch was rejected")
	}
}

func TestImportRejectsOverlongLinesAndGoesOn(t *testing.T) {
	s := openTestStore(t)
	long := `{"kind":"person","pin":"` + strings.Repeat("1", registry.MaxLineBytes) + `"}`
	exact := strings.Repeat(" ", registry.MaxLineBytes) // blank, exactly at the limit: skipped
	input := long + "\n" + exact + "\n{\n"
	rep, err := s.Import(context.Background(), strings.NewReader(input))
	if !errors.Is(err, registry.ErrInvalidBatch) {
		t.Fatalf("Import error = %v, want ErrInvalidBatch", err)
	}
	if len(rep.Errors) != 2 || rep.Errors[0].Line != 1 || !errors.Is(rep.Errors[0], registry.ErrLineTooLong) ||
		rep.Errors[1].Line != 3 || !errors.Is(rep.Errors[1], registry.ErrMalformed) {
		t.Errorf("line errors = %v, want line 1 too long and line 3 malformed", rep.Errors)
	}
	if rep.Lines != 3 {
		t.Errorf("Lines = %d, want 3", rep.Lines)
	}
}

func TestImportAcceptsCRLFAndAMissingFinalNewline(t *testing.T) {
	s := openTestStore(t)
	data := strings.TrimSuffix(strings.ReplaceAll(string(readTestdata(t, "valid.jsonl")), "\n", "\r\n"), "\r\n")
	rep := mustImport(t, s, []byte(data))
	if rep.Persons != 3 || rep.Registrations != 6 {
		t.Errorf("report = %+v", rep)
	}
}

func TestImportingTheSameFileTwiceIsIdempotent(t *testing.T) {
	s := openTestStore(t)
	data := readTestdata(t, "valid.jsonl")
	mustImport(t, s, data)
	first := storeDump(t, s)
	rep := mustImport(t, s, data)
	if rep.Replaced != 12 || rep.EndedResidences != 0 {
		t.Errorf("second import report = %+v, want 12 replaced, none ended", rep)
	}
	if second := storeDump(t, s); second != first {
		t.Errorf("store after second import differs:\n%s\nwant\n%s", second, first)
	}
}

func TestANewResidenceEndsTheStoredOne(t *testing.T) {
	s := openTestStore(t)
	mustImport(t, s, readTestdata(t, "valid.jsonl"))
	move := `{"kind":"registration","id":"RG-10","pin":"21505198500123","dwelling_id":"DW-1","type":"residence","since":"2026-11-01"}`
	rep := mustImport(t, s, []byte(move))
	if rep.EndedResidences != 1 {
		t.Errorf("EndedResidences = %d, want 1", rep.EndedResidences)
	}
	v, err := s.Registrations(context.Background(), "21505198500123")
	if err != nil {
		t.Fatal(err)
	}
	if v.Residence == nil || v.Residence.ID != "RG-10" {
		t.Fatalf("current residence = %+v, want RG-10", v.Residence)
	}
	var old *registry.RegistrationEntry
	for i := range v.History {
		if v.History[i].ID == "RG-2" {
			old = &v.History[i]
		}
	}
	if old == nil || old.Ended != registry.NewDate(2026, 11, 1) || old.EndReason != registry.EndNewResidence {
		t.Errorf("RG-2 in history = %+v, want ended 2026-11-01 for new_residence", old)
	}
	// Importing the move again finds nothing more to end.
	if rep := mustImport(t, s, []byte(move)); rep.EndedResidences != 0 {
		t.Errorf("re-import ended %d residences, want 0", rep.EndedResidences)
	}
}

func TestImportRejects(t *testing.T) {
	tests := []struct {
		name  string
		batch string
		want  error
	}{
		{
			"a new residence that starts before the stored one",
			`{"kind":"registration","id":"RG-10","pin":"21505198500123","dwelling_id":"DW-1","type":"residence","since":"2014-01-01"}`,
			registry.ErrConflict,
		},
		{
			"a second current stay while the stored one runs",
			`{"kind":"registration","id":"RG-10","pin":"21505198500123","dwelling_id":"DW-1","type":"stay","since":"2026-11-01","until":"2027-01-31"}`,
			registry.ErrConflict,
		},
		{
			"a registration whose person is neither in the batch nor stored",
			`{"kind":"registration","id":"RG-10","pin":"10707196500321","dwelling_id":"DW-1","type":"residence","since":"2026-11-01"}`,
			registry.ErrUnknownPerson,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t)
			mustImport(t, s, readTestdata(t, "valid.jsonl"))
			rep, err := s.Import(context.Background(), strings.NewReader(tt.batch))
			if !errors.Is(err, registry.ErrInvalidBatch) || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], tt.want) {
				t.Errorf("Import = %v, %v; want one line error %v", err, rep.Errors, tt.want)
			}
		})
	}
}

func TestImportAcceptsReferencesToRecordsLaterInTheBatchOrInTheStore(t *testing.T) {
	s := openTestStore(t)
	lines := strings.Split(strings.TrimSpace(string(readTestdata(t, "valid.jsonl"))), "\n")
	persons, rest := lines[:4], lines[4:]
	// Registrations and dwellings first, persons last, in one batch...
	reversed := append(append([]string{}, rest...), persons...)
	mustImport(t, s, []byte(strings.Join(reversed, "\n")))
	// ...and a batch referring only to stored records.
	s2 := openTestStore(t)
	mustImport(t, s2, []byte(strings.Join(persons, "\n")))
	mustImport(t, s2, []byte(strings.Join(rest, "\n")))
	if storeDump(t, s) != storeDump(t, s2) {
		t.Error("the two ways of importing gave different stores")
	}
}

func TestImportStopsOnACancelledContext(t *testing.T) {
	s := openTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Import(ctx, bytes.NewReader(readTestdata(t, "valid.jsonl"))); !errors.Is(err, context.Canceled) {
		t.Errorf("Import error = %v, want context.Canceled", err)
	}
	if empty, _ := s.Empty(context.Background()); !empty {
		t.Error("a cancelled import wrote records")
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestImportFailsOnAReadError(t *testing.T) {
	s := openTestStore(t)
	boom := errors.New("disk on fire")
	if _, err := s.Import(context.Background(), failingReader{boom}); !errors.Is(err, boom) {
		t.Errorf("Import error = %v, want the read error", err)
	}
}

func TestImportLargeBatch(t *testing.T) {
	const n = 5000
	var b strings.Builder
	fmt.Fprintln(&b, `{"kind":"person","pin":"21505198500123","surname":"Асанов","given_name":"Азамат","birth_date":"1985-05-15","sex":"male","citizenship":"citizen"}`)
	fmt.Fprintln(&b, `{"kind":"dwelling","id":"DW-1","type":"house","address":{"region":"talas","settlement":"Талас шаары","street":"Ленин көчөсү","house":"1"},"owners":[{"pin":"21505198500123","title":"owner"}]}`)
	for i := range n {
		pin, err := registry.FormatPIN(registry.SexFemale, registry.NewDate(1990, 1, 1).AddDate(0, 0, i%3000), i)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, `{"kind":"person","pin":%q,"surname":"Асанова","given_name":"Айжан","birth_date":%q,"sex":"female","citizenship":"citizen"}`+"\n",
			pin, registry.NewDate(1990, 1, 1).AddDate(0, 0, i%3000))
		fmt.Fprintf(&b, `{"kind":"registration","id":"RG-%d","pin":%q,"dwelling_id":"DW-1","type":"residence","since":"2020-01-01"}`+"\n", i, pin)
	}
	s := openTestStore(t)
	rep := mustImport(t, s, []byte(b.String()))
	if rep.Persons != n+1 || rep.Registrations != n {
		t.Fatalf("report = %+v", rep)
	}
	res, err := s.DwellingResidents(context.Background(), "DW-1")
	if err != nil || res.Persons != n {
		t.Errorf("DwellingResidents: %d persons, %v; want %d", res.Persons, err, n)
	}
}
