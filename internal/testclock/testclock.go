// Package testclock is a settable clock for tests: its Now method fits the
// `Now func() time.Time` fields of Darbaza's options, and a test moves it
// with Set and Advance. It is safe for concurrent use, since the code under
// test often reads the time on other goroutines.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable clock. Create it with New.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock that stands at t until it is moved.
func New(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t, also backwards.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock by d, backwards for a negative d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
