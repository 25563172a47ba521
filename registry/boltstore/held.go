package boltstore

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/darbaza/darbaza/registry"
)

// heldRecord is a record a write transaction holds back until [tx.flush]:
// the value a read would decode from its encoding, so that a read of the
// transaction's own write need not decode (an import reads every person and
// dwelling it writes once per registration), or the encoding itself when
// the value could not be held so.
type heldRecord struct {
	val any    // a [registry.Person], [registry.Dwelling] or [registry.Registration] as [decoded] returns it; nil: raw
	raw []byte // the encoding when val is nil
}

// encodeHeld encodes the records under keys in parallel: at a large
// import's end the rest of the process waits on this.
func encodeHeld(held map[string]heldRecord, keys []string) ([][]byte, error) {
	raws := make([][]byte, len(keys))
	encodeRange := func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			h := held[keys[i]]
			if raws[i] = h.raw; raws[i] != nil {
				continue
			}
			var err error
			if raws[i], err = encode(h.val); err != nil {
				return fmt.Errorf("%q: %w", keys[i], err)
			}
		}
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), 1+len(keys)/bulkEntries)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { errs[w] = encodeRange(w*len(keys)/workers, (w+1)*len(keys)/workers) })
	}
	wg.Wait()
	return raws, errors.Join(errs...)
}

// decoded returns v as decoding its encoding would give it back, or nil
// when it might differ or the encoding fail: the JSON encoding replaces
// invalid UTF-8 and drops empty lists (omitempty), a date that must be
// written cannot be zero, and ParseDate refuses a year before
// [registry.MinYear] or after 9999. A differential test holds it to
// encode-then-decode.
func decoded(v any) any {
	switch x := v.(type) {
	case registry.Person:
		if !validStrings(x.PIN, x.Surname, x.GivenName, x.Patronymic, string(x.Sex), string(x.Citizenship),
			string(x.IDCard.Model), x.IDCard.Number) || !validStrings(x.Parents...) ||
			!validDates(x.BirthDate, x.IDCard.Issued, x.IDCard.Expires) || x.BirthDate.IsZero() ||
			x.IDCard != (registry.IDCard{}) && (x.IDCard.Issued.IsZero() || x.IDCard.Expires.IsZero()) {
			return nil
		}
		x.Parents = cloneList(x.Parents)
		return x
	case registry.Dwelling:
		a := x.Address
		if !validStrings(x.ID, string(x.Type), string(a.Region), a.District, a.Settlement, a.Street, a.House, a.Apartment) {
			return nil
		}
		for _, o := range x.Owners {
			if !validStrings(o.PIN, string(o.Title)) {
				return nil
			}
		}
		x.Owners = cloneList(x.Owners)
		return x
	case registry.Registration:
		if !validStrings(x.ID, x.PIN, x.DwellingID, string(x.Type), string(x.EndReason), x.Record, x.EndRecord) ||
			!validDates(x.Since, x.Until, x.Ended) || x.Since.IsZero() {
			return nil
		}
		return x
	}
	return nil
}

// copyTo sets *v to a copy of the held value that the caller owns, and
// reports whether it could (v of the held value's type).
func (h heldRecord) copyTo(v any) bool {
	switch dst := v.(type) {
	case *registry.Person:
		p, ok := h.val.(registry.Person)
		if ok {
			p.Parents = cloneList(p.Parents)
			*dst = p
		}
		return ok
	case *registry.Dwelling:
		d, ok := h.val.(registry.Dwelling)
		if ok {
			d.Owners = cloneList(d.Owners)
			*dst = d
		}
		return ok
	case *registry.Registration:
		r, ok := h.val.(registry.Registration)
		if ok {
			*dst = r
		}
		return ok
	}
	return false
}

// cloneList copies s, giving nil for an empty list as decoding does.
func cloneList[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func validStrings(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// validDates reports whether each date is absent or one ParseDate reads
// back from its text.
func validDates(ds ...registry.Date) bool {
	for _, d := range ds {
		if y := d.Time().Year(); !d.IsZero() && (y < registry.MinYear || y > 9999) {
			return false
		}
	}
	return true
}
