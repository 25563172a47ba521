package accesslog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
)

// Filter selects records. Zero fields match everything; set fields must
// all match.
type Filter struct {
	From    time.Time // records with Time >= From
	To      time.Time // records with Time < To
	Client  string    // exact X-Road client id
	Service string    // exact service code
	Outcome string    // exact outcome code
	Subject string    // a SubjectID: records that touched this person
}

// Match reports whether r passes f.
func (f Filter) Match(r *Record) bool {
	switch {
	case !f.From.IsZero() && r.Time.Before(f.From),
		!f.To.IsZero() && !r.Time.Before(f.To),
		f.Client != "" && r.Client != f.Client,
		f.Service != "" && r.Service != f.Service,
		f.Outcome != "" && r.Outcome != f.Outcome,
		f.Subject != "" && !slices.Contains(r.Subjects, f.Subject):
		return false
	}
	return true
}

// errStop ends a walk early without an error.
var errStop = errors.New("stop")

// list calls fn for every record matching f, oldest first. fn returning
// an error stops the walk with that error.
func list(ctx context.Context, store logstore.Backend, f Filter, fn func(Record) error) error {
	h, err := readHead(ctx, store)
	if err != nil {
		return err
	}
	return walk(ctx, store, h.raw, h.anchor.Seq+1, 0, func(r Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !f.Match(&r) {
			return nil
		}
		return fn(r)
	}, nil)
}

// List calls fn for each record matching f, oldest first, until fn
// returns an error (which List returns). Records are read in short
// transactions, so a long listing does not hold up Append; records
// appended after List began are not listed.
func (l *Log) List(ctx context.Context, f Filter, fn func(Record) error) error {
	return list(ctx, l.store, f, fn)
}

// History page sizes.
const (
	DefaultHistoryLimit = 20
	MaxHistoryLimit     = 100
)

// History returns the records that touched the person with this PIN,
// newest first: the citizen's access history (service getAccessHistory).
// cursor is "" for the first page or the next value of the previous page;
// next is "" after the last page. limit 0 means DefaultHistoryLimit; more
// than MaxHistoryLimit is cut to it. Archived records are not included.
func (l *Log) History(ctx context.Context, pin string, cursor string, limit int) (recs []Record, next string, err error) {
	if pin == "" {
		return nil, "", fmt.Errorf("%w: empty PIN", ErrInvalidArgument)
	}
	switch {
	case limit < 0:
		return nil, "", fmt.Errorf("%w: negative limit %d", ErrInvalidArgument, limit)
	case limit == 0:
		limit = DefaultHistoryLimit
	case limit > MaxHistoryLimit:
		limit = MaxHistoryLimit
	}
	start := ^uint64(0)
	if cursor != "" {
		start, err = strconv.ParseUint(cursor, 10, 64)
		if err != nil || start == 0 {
			return nil, "", fmt.Errorf("%w: malformed history cursor %q", ErrInvalidArgument, cursor)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	subject, _ := decodeHash(l.SubjectID(pin))
	items, err := l.store.Lookup(ctx, subject, start, limit+1)
	if err != nil {
		return nil, "", storageError(err)
	}
	if len(items) > limit {
		next = strconv.FormatUint(items[limit].Seq, 10)
		items = items[:limit]
	}
	for _, it := range items {
		if it.Value == nil {
			return nil, "", &TamperError{Seq: it.Seq, What: "record", Reason: "indexed for a subject but missing"}
		}
		r, err := decodeStored(it.Seq, it.Value)
		if err != nil {
			return nil, "", err
		}
		recs = append(recs, r)
	}
	return recs, next, nil
}
