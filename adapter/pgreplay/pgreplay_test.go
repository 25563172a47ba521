package pgreplay_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/pgreplay"
	"github.com/darbaza/darbaza/internal/pgtest"
)

func TestAPairIsClaimedOnceAcrossNodes(t *testing.T) {
	opts := pgtest.Schema(t, true)
	// Two nodes: two pools on one database.
	a := pgreplay.New(pgtest.Open(t, opts), time.Minute)
	b := pgreplay.New(pgtest.Open(t, opts), time.Minute)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	const client = "central-server/GOV/70000002/portal"
	if err := a.Claim(client, "msg-1", now); err != nil {
		t.Fatal(err)
	}
	if err := b.Claim(client, "msg-1", now.Add(time.Second)); !errors.Is(err, adapter.ErrReplay) {
		t.Errorf("the same pair on another node = %v, want ErrReplay", err)
	}
	if err := b.Claim("central-server/GOV/70000003/other", "msg-1", now); err != nil {
		t.Errorf("the same id from another client = %v", err)
	}
	if err := b.Claim(client, "msg-1", now.Add(time.Minute)); err != nil {
		t.Errorf("the pair after the window = %v", err)
	}

	// Many nodes racing for one pair: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Go(func() {
			err := c.Claim(client, "msg-race", now)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case !errors.Is(err, adapter.ErrReplay):
				t.Errorf("Claim: %v", err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d claims of one pair succeeded, want 1", won)
	}
}

func TestAnUnreachableDatabaseFailsTheClaim(t *testing.T) {
	pool := pgtest.Open(t, pgtest.Schema(t, true))
	c := pgreplay.New(pool, time.Minute)
	pool.Close()
	err := c.Claim("central-server/GOV/70000002/portal", "msg-1", time.Now())
	if err == nil || errors.Is(err, adapter.ErrReplay) {
		t.Errorf("Claim on a closed pool = %v, want an error that is not ErrReplay", err)
	}
}
