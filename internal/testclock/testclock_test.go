package testclock

import (
	"sync"
	"testing"
	"time"
)

func TestClockStandsUntilMoved(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c := New(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %s, want %s", got, start)
	}
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(start.Add(90 * time.Second)) {
		t.Fatalf("after Advance: %s", got)
	}
	c.Advance(-time.Hour)
	if got := c.Now(); !got.Equal(start.Add(90*time.Second - time.Hour)) {
		t.Fatalf("after a negative Advance: %s", got)
	}
	c.Set(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("after Set: %s", got)
	}
}

func TestClockIsSafeForConcurrentUse(t *testing.T) {
	c := New(time.Unix(0, 0))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(time.Unix(800, 0)) {
		t.Fatalf("Now = %s, want 800 s after the epoch", got)
	}
}
