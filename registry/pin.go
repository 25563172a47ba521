package registry

import (
	"fmt"
	"time"
)

// PINLength is the number of digits in a personal identification number.
const PINLength = 14

// PINInfo is what a valid PIN says about its holder.
type PINInfo struct {
	PIN       string
	Sex       Sex
	BirthDate Date
	Sequence  string // the last 5 digits, as written
}

// ParsePIN checks a personal identification number (ИЖН/ПИН) as described in
// docs/domain.md ("Personal identification number"): 14 ASCII digits; the first is 1 (female) or 2 (male); the
// next eight are the birth date DDMMYYYY, which must be a real date from
// [MinYear] on and no later than the UTC date of now; the last five are a sequence number (any value).
//
// Every error wraps [ErrInvalidPIN] and one of [ErrPINLength],
// [ErrPINNotDigits], [ErrPINSexDigit], [ErrPINBirthDate] or
// [ErrPINBirthFuture], checked in that order.
func ParsePIN(s string, now time.Time) (PINInfo, error) {
	if len(s) != PINLength {
		return PINInfo{}, fmt.Errorf("%w: %w (got %d)", ErrInvalidPIN, ErrPINLength, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return PINInfo{}, fmt.Errorf("%w: %w (position %d)", ErrInvalidPIN, ErrPINNotDigits, i+1)
		}
	}
	var sex Sex
	switch s[0] {
	case '1':
		sex = SexFemale
	case '2':
		sex = SexMale
	default:
		return PINInfo{}, fmt.Errorf("%w: %w (got %c)", ErrInvalidPIN, ErrPINSexDigit, s[0])
	}
	day, month, year := atoi(s[1:3]), atoi(s[3:5]), atoi(s[5:9])
	birth := NewDate(year, time.Month(month), day)
	if year < MinYear || birth.t.Day() != day || int(birth.t.Month()) != month || birth.t.Year() != year {
		return PINInfo{}, fmt.Errorf("%w: %w (got %s)", ErrInvalidPIN, ErrPINBirthDate, s[1:9])
	}
	if birth.After(DateOf(now)) {
		return PINInfo{}, fmt.Errorf("%w: %w (%s)", ErrInvalidPIN, ErrPINBirthFuture, birth)
	}
	return PINInfo{PIN: s, Sex: sex, BirthDate: birth, Sequence: s[9:]}, nil
}

// FormatPIN builds the PIN for sex, birth date and sequence number
// (0..99999). It does not check the date against the clock; use [ParsePIN]
// for that.
func FormatPIN(sex Sex, birth Date, seq int) (string, error) {
	var first byte
	switch sex {
	case SexFemale:
		first = '1'
	case SexMale:
		first = '2'
	default:
		return "", fmt.Errorf("%w: sex %q", ErrInvalidValue, sex)
	}
	if birth.IsZero() || birth.t.Year() > 9999 {
		return "", fmt.Errorf("%w: birth date %q", ErrInvalidDate, birth)
	}
	if seq < 0 || seq > 99999 {
		return "", fmt.Errorf("%w: sequence %d outside 0..99999", ErrInvalidValue, seq)
	}
	y, m, d := birth.t.Date()
	return fmt.Sprintf("%c%02d%02d%04d%05d", first, d, int(m), y, seq), nil
}

// atoi converts a string of ASCII digits, already checked, to an int.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// maxTime is a clock reading after every date a PIN can hold, for checks of
// PIN shape that do not depend on today.
var maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
