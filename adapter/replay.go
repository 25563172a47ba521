package adapter

import (
	"fmt"
	"sync"
	"time"
)

// Replayer refuses a (client, message id) pair claimed before within its
// window: [ReplayCache] in one node's memory, adapter/pgreplay in a
// database every node shares. An error that does not wrap [ErrReplay]
// (the database is unreachable) fails the request as an internal error.
type Replayer interface {
	Claim(client, id string, now time.Time) error
}

// ReplayCache remembers (client, message id) pairs whose signature verified,
// for Window, and refuses them a second time: X-Road message protocol 4.0
// makes the client's message id unique, and a signed Timestamp alone
// (WS-Security 1.1 §10) would let a captured request be sent again until
// it expires.
//
// It lives in memory and is rebuilt at start from the access log, which
// already holds every verified pair durably (a record with a signer
// certificate): that is how it survives a restart without a second fsync
// per request. A pair is claimed before the request is served; a request
// that never got its record written never got an answer either, so its
// retry is legitimate.
type ReplayCache struct {
	Window time.Duration

	mu     sync.Mutex
	seen   map[string]time.Time // key -> when it may be used again
	nextGC time.Time
}

// NewReplayCache returns an empty cache for window.
func NewReplayCache(window time.Duration) *ReplayCache {
	return &ReplayCache{Window: window, seen: make(map[string]time.Time)}
}

// Claim records (client, id) as used at now, or fails with ErrReplay if it
// was used within the window.
func (c *ReplayCache) Claim(client, id string, now time.Time) error {
	key := client + "\x00" + id
	c.mu.Lock()
	defer c.mu.Unlock()
	if until, ok := c.seen[key]; ok && now.Before(until) {
		return fmt.Errorf("%w: %s, id %q", ErrReplay, client, id)
	}
	c.seen[key] = now.Add(c.Window)
	if now.After(c.nextGC) {
		for k, until := range c.seen {
			if !now.Before(until) {
				delete(c.seen, k)
			}
		}
		c.nextGC = now.Add(c.Window / 4)
	}
	return nil
}
