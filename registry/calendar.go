package registry

import (
	"fmt"
	"time"
)

// Bishkek is GMT+6, the official time of the Kyrgyz Republic (no daylight
// saving since 2005). Working days and the 15:00 cut-off of seed 001 §29
// are judged on its clock.
var Bishkek = time.FixedZone("GMT+6", 6*60*60)

// NoticeCutoffHour is the hour (GMT+6) after which an application that
// arrives on the last working day of the week gets its refusal notice on
// the first working day of the next week (seed 001 §29).
const NoticeCutoffHour = 15

// DefaultHolidays are Kyrgyzstan's fixed public holidays (days off under
// the Labour Code, art. 113), as MM-DD: New Year, Orthodox Christmas,
// Defender of the Fatherland Day, International Women's Day, Nooruz, Day of
// the People's April Revolution, Labour Day, Constitution Day, Victory Day,
// Independence Day, and the two Days of History and Commemoration of
// Ancestors. The moving feasts (Orozo Ait, Kurman Ait) are announced each
// year: add them to the config as YYYY-MM-DD.
var DefaultHolidays = []string{
	"01-01", "01-07", "02-23", "03-08", "03-21", "04-07",
	"05-01", "05-05", "05-09", "08-31", "11-07", "11-08",
}

// Calendar says which days are working days: Monday to Friday, except
// public holidays. Its zero value has no holidays.
type Calendar struct {
	yearly map[[2]int]bool // month, day
	dated  map[Date]bool
}

// NewCalendar returns the calendar with the given holidays, each either
// MM-DD (every year) or YYYY-MM-DD (that day only). Errors wrap
// [ErrInvalidDate] and name the bad entry.
func NewCalendar(holidays []string) (Calendar, error) {
	c := Calendar{yearly: map[[2]int]bool{}, dated: map[Date]bool{}}
	for i, h := range holidays {
		switch len(h) {
		case len("01-02"):
			t, err := time.Parse("01-02", h)
			if err != nil {
				return Calendar{}, fmt.Errorf("%w: holidays[%d] %q is not MM-DD", ErrInvalidDate, i, h)
			}
			c.yearly[[2]int{int(t.Month()), t.Day()}] = true
		default:
			d, err := ParseDate(h)
			if err != nil {
				return Calendar{}, fmt.Errorf("holidays[%d]: %w", i, err)
			}
			c.dated[d] = true
		}
	}
	return c, nil
}

// WorkingDay reports whether d is a working day: not Saturday or Sunday,
// and not a holiday.
func (c Calendar) WorkingDay(d Date) bool {
	t := d.Time()
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !c.yearly[[2]int{int(t.Month()), t.Day()}] && !c.dated[d]
}

// DefaultCalendar is the calendar of DefaultHolidays.
func DefaultCalendar() Calendar {
	c, err := NewCalendar(DefaultHolidays)
	if err != nil {
		panic(err) // DefaultHolidays are valid MM-DD dates
	}
	return c
}

// isZero reports whether c is the zero Calendar (no holidays at all).
func (c Calendar) isZero() bool { return c.yearly == nil && c.dated == nil }

// AddWorkingDays returns the n-th working day after d (n >= 1): the day a
// term of n working days that starts on d ends. n < 1 returns d.
func (c Calendar) AddWorkingDays(d Date, n int) Date {
	for ; n > 0; n-- {
		d = c.nextWorkingDay(d)
	}
	return d
}

// nextWorkingDay is the first working day after d. A calendar that would
// leave no working day in a year is misconfigured; the search stops there.
func (c Calendar) nextWorkingDay(d Date) Date {
	for i := 1; i <= 366; i++ {
		if n := d.AddDate(0, 0, i); c.WorkingDay(n) {
			return n
		}
	}
	return d.AddDate(0, 0, 1)
}

// NoticeDue is the time by which the refusal notice of an application
// received at received is due (seed 001 §29): within 24 hours of receipt;
// but an application received after 15:00 GMT+6 on the last working day of
// the working week (a working day followed by a day off) gets it on the
// first working day of the next week, by the end of that day (24:00 GMT+6).
//
// The source does not say what the 24 hours count from, nor what happens on
// a day off. Our design (docs/domain.md, "Registration through the
// portal"): they count from receipt, and an
// application received on a day off is treated as received after the
// week's last working day, so it too gets its notice by the end of the
// next working day.
func (c Calendar) NoticeDue(received time.Time) time.Time {
	local := received.In(Bishkek)
	day := NewDate(local.Year(), local.Month(), local.Day())
	endOf := func(d Date) time.Time {
		t := d.Time()
		return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, Bishkek)
	}
	switch {
	case !c.WorkingDay(day):
		return endOf(c.nextWorkingDay(day))
	case afterCutoff(local) && !c.WorkingDay(day.AddDate(0, 0, 1)):
		return endOf(c.nextWorkingDay(day))
	default:
		return received.Add(24 * time.Hour)
	}
}

// afterCutoff reports whether local is later than 15:00:00 on its day.
func afterCutoff(local time.Time) bool {
	cut := time.Date(local.Year(), local.Month(), local.Day(), NoticeCutoffHour, 0, 0, 0, local.Location())
	return local.After(cut)
}
