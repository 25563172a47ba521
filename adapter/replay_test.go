package adapter

import (
	"errors"
	"testing"
	"time"
)

func TestReplayCacheRefusesAPairOnlyWithinItsWindow(t *testing.T) {
	c := NewReplayCache(10 * time.Minute)
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	if err := c.Claim("KG/GOV/1/a", "id-1", t0); err != nil {
		t.Fatalf("first use refused: %v", err)
	}
	if err := c.Claim("KG/GOV/1/a", "id-1", t0.Add(9*time.Minute)); !errors.Is(err, ErrReplay) {
		t.Errorf("reuse within the window: %v, want ErrReplay", err)
	}
	if err := c.Claim("KG/GOV/1/b", "id-1", t0.Add(time.Minute)); err != nil {
		t.Errorf("the same id from another client is refused: %v", err)
	}
	if err := c.Claim("KG/GOV/1/a", "id-1", t0.Add(11*time.Minute)); err != nil {
		t.Errorf("reuse after the window (timestamps refuse it then) is refused: %v", err)
	}
	c.Claim("KG/GOV/1/c", "old", t0)
	c.Claim("KG/GOV/1/c", "new", t0.Add(time.Hour)) // sweeps what expired
	if _, kept := c.seen["KG/GOV/1/c\x00old"]; kept {
		t.Error("an expired pair was not swept")
	}
}
