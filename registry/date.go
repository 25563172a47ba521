package registry

import (
	"fmt"
	"time"
)

// dateLayout is the only textual form of a [Date]: ISO 8601 calendar date.
const dateLayout = "2006-01-02"

// MinYear is the earliest year a [Date] parsed from text, or a PIN's birth
// date, may have: no record of a living person or dwelling predates it, and
// it keeps the zero Date (year 1) unambiguous.
const MinYear = 1800

// Date is a calendar date with no time of day and no zone: the registry keeps
// dates in UTC and writes them as YYYY-MM-DD. The zero Date means "absent".
type Date struct {
	t time.Time // midnight UTC; zero when absent
}

// NewDate returns the date y-m-d. Out-of-range values are normalised as by
// [time.Date]; use [ParseDate] to reject them instead.
func NewDate(y int, m time.Month, d int) Date {
	return Date{t: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the UTC calendar date of t.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return NewDate(y, m, d)
}

// ParseDate parses exactly YYYY-MM-DD and rejects dates that do not exist
// (2023-02-29) or lie before [MinYear]. Errors wrap [ErrInvalidDate].
func ParseDate(s string) (Date, error) {
	if len(s) != len(dateLayout) {
		return Date{}, fmt.Errorf("%w: %q is not YYYY-MM-DD", ErrInvalidDate, s)
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Year() < MinYear {
		return Date{}, fmt.Errorf("%w: %q is not a real YYYY-MM-DD date", ErrInvalidDate, s)
	}
	return Date{t: t}, nil
}

// IsZero reports whether d is the absent date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return d.t }

// String returns YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(dateLayout)
}

// Before reports whether d is strictly earlier than o.
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }

// After reports whether d is strictly later than o.
func (d Date) After(o Date) bool { return d.t.After(o.t) }

// AddDate adds years, months and days as [time.Time.AddDate] does
// (so 2024-02-29 plus one year is 2025-03-01).
func (d Date) AddDate(years, months, days int) Date {
	return Date{t: d.t.AddDate(years, months, days)}
}

// MarshalText renders d as YYYY-MM-DD. The zero Date cannot be marshalled:
// fields that may be absent carry the omitzero option.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return nil, fmt.Errorf("%w: zero date cannot be written", ErrInvalidDate)
	}
	return []byte(d.String()), nil
}

// UnmarshalText parses YYYY-MM-DD as [ParseDate] does.
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
