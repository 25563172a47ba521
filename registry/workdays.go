package registry

import (
	"slices"
	"time"
)

// Calendar tells working days from days off: Saturdays, Sundays, the
// fixed public holidays of the Kyrgyz Republic (Labour Code, Article 113)
// and the dates in Extra (the movable feasts Orozo Ait and Kurman Ait, and
// days the Government moves). The zero Calendar has the fixed holidays and
// no extra days.
type Calendar struct {
	Extra []Date
}

// fixedHolidays are the public holidays that fall on the same day every
// year: New Year, Orthodox Christmas, Defender of the Fatherland Day,
// International Women's Day, Nooruz, the Day of the People's April
// Revolution, Labour Day, Constitution Day, Victory Day, Independence Day,
// and the Days of History and Commemoration of Ancestors.
var fixedHolidays = []struct {
	m time.Month
	d int
}{
	{time.January, 1}, {time.January, 7}, {time.February, 23}, {time.March, 8}, {time.March, 21},
	{time.April, 7}, {time.May, 1}, {time.May, 5}, {time.May, 9}, {time.August, 31},
	{time.November, 7}, {time.November, 8},
}

// WorkingDay reports whether d is a working day.
func (c Calendar) WorkingDay(d Date) bool {
	t := d.Time()
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, m, day := t.Date()
	for _, h := range fixedHolidays {
		if h.m == m && h.d == day {
			return false
		}
	}
	return !slices.Contains(c.Extra, d)
}

// AddWorkingDays returns the n-th working day after d (n >= 1): the day a
// term of n working days that starts on d ends. n < 1 returns d.
func (c Calendar) AddWorkingDays(d Date, n int) Date {
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.WorkingDay(d) {
			n--
		}
	}
	return d
}
