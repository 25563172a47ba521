package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestImportValidBatch(t *testing.T) {
	s := openTestStore(t)
	rep := mustImport(t, s, readTestdata(t, "valid.jsonl"))
	want := ImportReport{Lines: 13, Persons: 3, Dwellings: 3, Registrations: 6}
	if fmt.Sprint(rep) != fmt.Sprint(want) {
		t.Errorf("report = %+v, want %+v", rep, want)
	}
	st, err := s.Stats(context.Background())
	if err != nil || st != (Stats{Persons: 3, Dwellings: 3, Registrations: 6}) {
		t.Errorf("Stats = %+v, %v", st, err)
	}
}

// invalidLines maps each file in testdata/invalid to the error class its
// line must be reported with when appended to testdata/valid.jsonl.
var invalidLines = map[string]error{
	"not_json":                  ErrMalformed,
	"no_kind":                   ErrMalformed,
	"unknown_kind":              ErrUnknownKind,
	"unknown_field":             ErrMalformed,
	"trailing_data":             ErrMalformed,
	"wrong_json_type":           ErrMalformed,
	"pin_short":                 ErrPINLength,
	"pin_letters":               ErrPINNotDigits,
	"pin_sex_digit":             ErrPINSexDigit,
	"pin_bad_date":              ErrPINBirthDate,
	"pin_future":                ErrPINBirthFuture,
	"birth_date_mismatch":       ErrPINMismatch,
	"sex_mismatch":              ErrPINMismatch,
	"bad_date_format":           ErrInvalidDate,
	"missing_surname":           ErrMissingField,
	"name_with_digit":           ErrInvalidValue,
	"bad_citizenship":           ErrInvalidValue,
	"bad_card_model":            ErrInvalidValue,
	"card_expires_before_issue": ErrDateOrder,
	"bad_dwelling_type":         ErrInvalidValue,
	"bad_region":                ErrInvalidValue,
	"apartment_without_number":  ErrMissingField,
	"bad_dwelling_id":           ErrInvalidID,
	"bad_owner_title":           ErrInvalidValue,
	"unknown_owner":             ErrUnknownPerson,
	"duplicate_id":              ErrDuplicateID,
	"stay_too_long":             ErrStayTooLong,
	"stay_without_until":        ErrMissingField,
	"residence_with_until":      ErrInvalidValue,
	"since_in_future":           ErrFutureDate,
	"ended_before_since":        ErrDateOrder,
	"ended_without_reason":      ErrMissingField,
	"bad_end_reason":            ErrInvalidValue,
	"bad_registration_type":     ErrInvalidValue,
	"unknown_person":            ErrUnknownPerson,
	"unknown_dwelling":          ErrUnknownDwelling,
	"since_before_birth":        ErrDateOrder,
	"second_open_residence":     ErrConflict,
	"second_current_stay":       ErrConflict,
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
			if !errors.Is(err, ErrInvalidBatch) {
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
	if !errors.Is(err, ErrInvalidBatch) {
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
	if _, err := s.Import(context.Background(), strings.NewReader(batch)); !errors.Is(err, ErrInvalidBatch) {
		t.Fatalf("Import error = %v, want ErrInvalidBatch", err)
	}
	if _, err := s.Person(context.Background(), "10707196500321"); !errors.Is(err, ErrNotFound) {
		t.Errorf("person of the rejected batch: error = %v, want ErrNotFound", err)
	}
	if after := backupBytes(t, s); !bytes.Equal(before, after) {
		t.Error("the store file changed although the batch was rejected")
	}
}

func TestImportRejectsOverlongLinesAndGoesOn(t *testing.T) {
	s := openTestStore(t)
	long := `{"kind":"person","pin":"` + strings.Repeat("1", MaxLineBytes) + `"}`
	exact := strings.Repeat(" ", MaxLineBytes) // blank, exactly at the limit: skipped
	input := long + "\n" + exact + "\n{\n"
	rep, err := s.Import(context.Background(), strings.NewReader(input))
	if !errors.Is(err, ErrInvalidBatch) {
		t.Fatalf("Import error = %v, want ErrInvalidBatch", err)
	}
	if len(rep.Errors) != 2 || rep.Errors[0].Line != 1 || !errors.Is(rep.Errors[0], ErrLineTooLong) ||
		rep.Errors[1].Line != 3 || !errors.Is(rep.Errors[1], ErrMalformed) {
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
	var old *RegistrationEntry
	for i := range v.History {
		if v.History[i].ID == "RG-2" {
			old = &v.History[i]
		}
	}
	if old == nil || old.Ended != NewDate(2026, 11, 1) || old.EndReason != EndNewResidence {
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
			ErrConflict,
		},
		{
			"a second current stay while the stored one runs",
			`{"kind":"registration","id":"RG-10","pin":"21505198500123","dwelling_id":"DW-1","type":"stay","since":"2026-11-01","until":"2027-01-31"}`,
			ErrConflict,
		},
		{
			"a registration whose person is neither in the batch nor stored",
			`{"kind":"registration","id":"RG-10","pin":"10707196500321","dwelling_id":"DW-1","type":"residence","since":"2026-11-01"}`,
			ErrUnknownPerson,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t)
			mustImport(t, s, readTestdata(t, "valid.jsonl"))
			rep, err := s.Import(context.Background(), strings.NewReader(tt.batch))
			if !errors.Is(err, ErrInvalidBatch) || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], tt.want) {
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
		pin, err := FormatPIN(SexFemale, NewDate(1990, 1, 1).AddDate(0, 0, i%3000), i)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, `{"kind":"person","pin":%q,"surname":"Асанова","given_name":"Айжан","birth_date":%q,"sex":"female","citizenship":"citizen"}`+"\n",
			pin, NewDate(1990, 1, 1).AddDate(0, 0, i%3000))
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

// storeDump renders every record of s in key order, for comparisons.
func storeDump(tb testing.TB, s *Store) string {
	tb.Helper()
	var out []string
	err := s.db.View(func(tx *boltTx) error {
		return tx.ForEach(func(name []byte, b *boltBucket) error {
			return b.ForEach(func(k, v []byte) error {
				out = append(out, fmt.Sprintf("%s %q %q", name, k, v))
				return nil
			})
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func backupBytes(tb testing.TB, s *Store) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if _, err := s.Backup(context.Background(), &buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
