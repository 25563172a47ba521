package registry

import (
	"errors"
	"testing"
	"time"
)

func TestParsePIN(t *testing.T) {
	tests := []struct {
		name    string
		pin     string
		wantErr error
		sex     Sex
		birth   Date
	}{
		{"a female PIN gives sex and birth date", "10203199000456", nil, SexFemale, NewDate(1990, 3, 2)},
		{"a male PIN gives sex and birth date", "21505198500123", nil, SexMale, NewDate(1985, 5, 15)},
		{"29 February of a leap year is a real date", "22902200000001", nil, SexMale, NewDate(2000, 2, 29)},
		{"sequence 00000 is accepted", "10101195000000", nil, SexFemale, NewDate(1950, 1, 1)},
		{"a PIN born today is accepted", "22211202600001", nil, SexMale, NewDate(2026, 11, 22)},
		{"an empty PIN has the wrong length", "", ErrPINLength, "", Date{}},
		{"13 digits have the wrong length", "2150519850012", ErrPINLength, "", Date{}},
		{"15 digits have the wrong length", "215051985001234", ErrPINLength, "", Date{}},
		{"a letter is not a digit", "2150519850012a", ErrPINNotDigits, "", Date{}},
		{"a space is not a digit", "21505 98500123", ErrPINNotDigits, "", Date{}},
		{"a non-ASCII digit is not a digit", "2150519850012٣", ErrPINLength, "", Date{}},
		{"a leading 0 is not a sex digit", "01505198500123", ErrPINSexDigit, "", Date{}},
		{"a leading 3 is not a sex digit", "31505198500123", ErrPINSexDigit, "", Date{}},
		{"31 February is not a date", "23102199000123", ErrPINBirthDate, "", Date{}},
		{"29 February of a common year is not a date", "22902199900123", ErrPINBirthDate, "", Date{}},
		{"month 13 is not a date", "20113199000123", ErrPINBirthDate, "", Date{}},
		{"day 00 is not a date", "20001199000123", ErrPINBirthDate, "", Date{}},
		{"year 0000 is not a date", "20101000000123", ErrPINBirthDate, "", Date{}},
		{"a year before 1800 is rejected", "20101179900123", ErrPINBirthDate, "", Date{}},
		{"tomorrow is in the future", "22311202600001", ErrPINBirthFuture, "", Date{}},
		{"year 2099 is in the future", "20101209900001", ErrPINBirthFuture, "", Date{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ParsePIN(tt.pin, testNow)
			if tt.wantErr != nil {
				if !errors.Is(err, ErrInvalidPIN) || !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParsePIN(%q) error = %v, want %v wrapped in ErrInvalidPIN", tt.pin, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePIN(%q): %v", tt.pin, err)
			}
			if info.PIN != tt.pin || info.Sex != tt.sex || info.BirthDate != tt.birth || info.Sequence != tt.pin[9:] {
				t.Errorf("ParsePIN(%q) = %+v, want sex %s birth %s", tt.pin, info, tt.sex, tt.birth)
			}
		})
	}
}

func TestParsePINUsesTheInjectedClock(t *testing.T) {
	pin := "22211202600001" // born 2026-11-22
	if _, err := ParsePIN(pin, testNow.Add(-24*time.Hour)); !errors.Is(err, ErrPINBirthFuture) {
		t.Errorf("a day before the birth date: error = %v, want ErrPINBirthFuture", err)
	}
	if _, err := ParsePIN(pin, testNow); err != nil {
		t.Errorf("on the birth date: %v", err)
	}
}

func TestFormatPINIsTheInverseOfParsePIN(t *testing.T) {
	for _, tt := range []struct {
		sex   Sex
		birth Date
		seq   int
		want  string
	}{
		{SexMale, NewDate(1985, 5, 15), 123, "21505198500123"},
		{SexFemale, NewDate(2000, 2, 29), 99999, "12902200099999"},
	} {
		got, err := FormatPIN(tt.sex, tt.birth, tt.seq)
		if err != nil || got != tt.want {
			t.Fatalf("FormatPIN(%s, %s, %d) = %q, %v; want %q", tt.sex, tt.birth, tt.seq, got, err, tt.want)
		}
		info, err := ParsePIN(got, testNow)
		if err != nil || info.Sex != tt.sex || info.BirthDate != tt.birth {
			t.Errorf("ParsePIN(%q) = %+v, %v", got, info, err)
		}
	}
	for _, bad := range []struct {
		sex   Sex
		birth Date
		seq   int
	}{
		{"other", NewDate(1985, 5, 15), 1},
		{SexMale, Date{}, 1},
		{SexMale, NewDate(1985, 5, 15), 100000},
		{SexMale, NewDate(1985, 5, 15), -1},
	} {
		if got, err := FormatPIN(bad.sex, bad.birth, bad.seq); err == nil {
			t.Errorf("FormatPIN(%q, %s, %d) = %q, want an error", bad.sex, bad.birth, bad.seq, got)
		}
	}
}

// pinCauses are the specific sentinels of ParsePIN.
var pinCauses = []error{ErrPINLength, ErrPINNotDigits, ErrPINSexDigit, ErrPINBirthDate, ErrPINBirthFuture}

func FuzzParsePIN(f *testing.F) {
	for _, s := range []string{"10203199000456", "21505198500123", "22902199900123", "31505198500123", "2150519850012a", "", "22311202600001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		info, err := ParsePIN(s, testNow)
		if err != nil {
			causes := 0
			for _, c := range pinCauses {
				if errors.Is(err, c) {
					causes++
				}
			}
			if !errors.Is(err, ErrInvalidPIN) || causes != 1 {
				t.Fatalf("ParsePIN(%q) error %v: want ErrInvalidPIN and exactly one cause, got %d", s, err, causes)
			}
			return
		}
		if info.BirthDate.After(DateOf(testNow)) {
			t.Fatalf("ParsePIN(%q) accepted a future birth date %s", s, info.BirthDate)
		}
		seq := atoi(info.Sequence)
		again, err := FormatPIN(info.Sex, info.BirthDate, seq)
		if err != nil || again != s {
			t.Fatalf("ParsePIN(%q) = %+v, but FormatPIN gives %q, %v", s, info, again, err)
		}
	})
}

func TestParseDate(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"2024-02-29", true},
		{"1800-01-01", true},
		{"1799-12-31", false},
		{"2023-02-29", false},
		{"2024-2-29", false},
		{"2024-02-29T00:00:00Z", false},
		{"29.02.2024", false},
		{"0000-01-01", false},
		{"", false},
	} {
		d, err := ParseDate(tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("ParseDate(%q) = %v, %v; want ok=%v", tt.in, d, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidDate) {
			t.Errorf("ParseDate(%q) error %v does not wrap ErrInvalidDate", tt.in, err)
		}
		if err == nil && d.String() != tt.in {
			t.Errorf("ParseDate(%q).String() = %q", tt.in, d)
		}
	}
}
