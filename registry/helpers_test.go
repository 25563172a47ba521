package registry

import "time"

// testNow is the clock of the package's internal tests: 2026-11-22 10:00 UTC.
var testNow = time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)
