package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
)

// Search limits: a page shows pageSize records and reads at most
// scanBudget records to find them, then offers to continue where it
// stopped, so every page costs the same on a log of any length.
const (
	pageSize   = 50
	scanBudget = 20000
	readChunk  = 500
)

// timeSlack is how far out of time order records may be stored. A record
// carries the time its request arrived but is chained when its response
// is ready, so a later record may be a little older (a request's latency,
// bounded by the server's write timeout). A backwards walk for records
// since From stops at the first record older than From-timeSlack.
const timeSlack = time.Hour

// query is one search. PIN is the raw PIN typed in: it lives only here,
// in the session's memory, to page through and export the search.
type query struct {
	From, To                 time.Time
	Client, Service, Outcome string
	PIN                      string
}

// filter is q as an access-log filter, the PIN as its pseudonym.
func (q *query) filter(subjectID func(string) string) accesslog.Filter {
	f := accesslog.Filter{From: q.From, To: q.To, Client: q.Client, Service: q.Service, Outcome: q.Outcome}
	if q.PIN != "" {
		f.Subject = subjectID(q.PIN)
	}
	return f
}

// describe renders q for the access log, the PIN never: a search by
// person is recorded with the person as the record's subject.
func (q *query) describe() string {
	var b strings.Builder
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s=%q ", k, v)
		}
	}
	if !q.From.IsZero() {
		add("from", q.From.Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		add("to", q.To.Format(time.RFC3339))
	}
	add("client", q.Client)
	add("service", q.Service)
	add("outcome", q.Outcome)
	if q.PIN != "" {
		b.WriteString("person=subject ")
	}
	return strings.TrimSpace(b.String())
}

// ErrBadInput reports a form value the console cannot use.
var ErrBadInput = errors.New("console: bad input")

// parseQuery reads the search form. Times are UTC, "2006-01-02T15:04" (an
// HTML datetime-local input) or a date.
func parseQuery(r *http.Request) (query, error) {
	q := query{
		Client:  strings.TrimSpace(r.PostFormValue("client")),
		Service: strings.TrimSpace(r.PostFormValue("service")),
		Outcome: strings.TrimSpace(r.PostFormValue("outcome")),
		PIN:     strings.TrimSpace(r.PostFormValue("pin")),
	}
	var err error
	if q.From, err = parseTime(r.PostFormValue("from")); err != nil {
		return query{}, err
	}
	if q.To, err = parseTime(r.PostFormValue("to")); err != nil {
		return query{}, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return query{}, fmt.Errorf("%w: from is not before to", ErrBadInput)
	}
	if q.PIN != "" && !validPIN(q.PIN) {
		return query{}, fmt.Errorf("%w: a PIN is 14 digits", ErrBadInput)
	}
	return q, nil
}

// validPIN reports whether s is 14 ASCII digits, the shape of a personal
// identification number (docs/domain.md).
func validPIN(s string) bool {
	if len(s) != 14 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: time %q is not like 2025-03-01T09:30", ErrBadInput, s)
}

// newSearch keeps the posted search in the session and sends the browser
// to its first page, named by a random id: the PIN never enters a URL.
func (c *Console) newSearch(w http.ResponseWriter, r *http.Request, s *session) {
	q, err := parseQuery(r)
	if err != nil {
		c.render(w, r, http.StatusBadRequest, "search", &view{Session: s, Error: "err_input", Detail: err.Error()})
		return
	}
	id := c.token(12)
	c.mu.Lock()
	s.searches[id] = &q
	s.order = append(s.order, id)
	if len(s.order) > maxSearches {
		delete(s.searches, s.order[0])
		s.order = s.order[1:]
	}
	c.mu.Unlock()
	http.Redirect(w, r, "/search?q="+id, http.StatusSeeOther)
}

// savedQuery returns the session's search named by the "q" parameter; no
// parameter means the empty search (everything).
func (c *Console) savedQuery(r *http.Request, s *session) (id string, q *query, ok bool) {
	id = r.URL.Query().Get("q")
	if id == "" {
		return "", &query{}, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	q, ok = s.searches[id]
	return id, q, ok
}

// result is one page of a search.
type result struct {
	Records []accesslog.Record
	// Next is the "before" of the next page, 0 if the walk reached the
	// start of the log (or the search's From).
	Next uint64
	// Partial means the page stopped at scanBudget records read, before
	// pageSize matches: Next continues the walk.
	Partial bool
	Scanned int
}

// searchPage records the search, then shows one page of it: the records
// below sequence number "before", newest first.
func (c *Console) searchPage(w http.ResponseWriter, r *http.Request, s *session) {
	start := c.opts.Now()
	id, q, ok := c.savedQuery(r, s)
	if !ok {
		c.fail(w, r, http.StatusNotFound, "err_nosearch")
		return
	}
	if id == "" {
		c.render(w, r, http.StatusOK, "search", &view{Session: s, Query: q})
		return
	}
	before, err := parseSeq(r.URL.Query().Get("before"))
	if err != nil {
		c.fail(w, r, http.StatusBadRequest, "err_input")
		return
	}
	reason := q.describe()
	if before > 0 {
		reason += fmt.Sprintf(" before=%d", before)
	}
	if err := c.record(r.Context(), s.actor(), serviceSearch, outcomeOK, strings.TrimSpace(reason), start, q.PIN); err != nil {
		c.unavailable(w, r, err)
		return
	}
	res, err := c.search(r.Context(), q, before)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "search", &view{Session: s, Query: q, QueryID: id, Result: &res,
		Subject: subjectOf(c.opts.Log, q)})
}

func subjectOf(l Log, q *query) string {
	if q.PIN == "" {
		return ""
	}
	return l.SubjectID(q.PIN)
}

func parseSeq(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// search walks the log backwards from before (0: the newest record) for
// the records q matches: through the subject index for a person, else
// record by record. It stops after pageSize matches, at the start of the
// log, at the first record older than q.From by timeSlack, or after
// scanBudget records read (Partial).
func (c *Console) search(ctx context.Context, q *query, before uint64) (result, error) {
	if before == 1 {
		return result{}, nil
	}
	f := q.filter(c.opts.Log.SubjectID)
	var floor time.Time
	if !q.From.IsZero() {
		floor = q.From.Add(-timeSlack)
	}
	var res result
	// next reads the chunk of records below before, newest first.
	next := func(before uint64) ([]accesslog.Record, error) {
		if q.PIN == "" {
			return c.opts.Log.Before(ctx, before, readChunk)
		}
		cursor := ""
		if before > 0 {
			cursor = strconv.FormatUint(before-1, 10)
		}
		recs, _, err := c.opts.Log.History(ctx, q.PIN, cursor, accesslog.MaxHistoryLimit)
		return recs, err
	}
	for {
		recs, err := next(before)
		if err != nil {
			return result{}, err
		}
		if len(recs) == 0 {
			return res, nil
		}
		for _, rec := range recs {
			if !floor.IsZero() && rec.Time.Before(floor) {
				return res, nil
			}
			res.Scanned++
			before = rec.Seq
			if !f.Match(&rec) {
				continue
			}
			if len(res.Records) == pageSize {
				res.Next = res.Records[pageSize-1].Seq
				return res, nil
			}
			res.Records = append(res.Records, rec)
		}
		if before <= 1 {
			return res, nil
		}
		if res.Scanned >= scanBudget {
			res.Next, res.Partial = before, true
			return res, nil
		}
	}
}

// recordPage records the view, then shows one record in full.
func (c *Console) recordPage(w http.ResponseWriter, r *http.Request, s *session) {
	start := c.opts.Now()
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		c.fail(w, r, http.StatusNotFound, "err_norecord")
		return
	}
	recs, err := c.opts.Log.Before(r.Context(), seq+1, 1)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if len(recs) != 1 || recs[0].Seq != seq {
		c.fail(w, r, http.StatusNotFound, "err_norecord")
		return
	}
	if err := c.record(r.Context(), s.actor(), serviceView, outcomeOK, fmt.Sprintf("record %d", seq), start); err != nil {
		c.unavailable(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "record", &view{Session: s, Record: &recs[0], QueryID: r.URL.Query().Get("q")})
}

// export records the export, then streams the whole chain with the
// search's records in full and the others as digests (the export format
// of docs/access-log.md, which `darbaza audit verify --export` checks).
func (c *Console) export(w http.ResponseWriter, r *http.Request, s *session) {
	start := c.opts.Now()
	_, q, ok := c.savedQuery(r, s)
	if !ok {
		c.fail(w, r, http.StatusNotFound, "err_nosearch")
		return
	}
	format, err := accesslog.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		c.fail(w, r, http.StatusBadRequest, "err_input")
		return
	}
	select {
	case c.exports <- struct{}{}:
		defer func() { <-c.exports }()
	default:
		c.fail(w, r, http.StatusTooManyRequests, "err_busy")
		return
	}
	reason := strings.TrimSpace("format=" + string(format) + " " + q.describe())
	if err := c.record(r.Context(), s.actor(), serviceExport, outcomeOK, reason, start, q.PIN); err != nil {
		c.unavailable(w, r, err)
		return
	}
	name := fmt.Sprintf("darbaza-access-log-%s.%s", start.UTC().Format("20060102T150405Z"), format)
	ctype := "application/jsonl"
	if format == accesslog.FormatCSV {
		ctype = "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	sum, err := c.opts.Log.Export(r.Context(), w, format, q.filter(c.opts.Log.SubjectID))
	if err != nil {
		// The status is sent; the file is cut short and does not verify.
		c.opts.Logger.Error("console: export failed", "auditor", s.auditor, "err", err)
		return
	}
	c.opts.Logger.Info("console: export", "auditor", s.auditor, "records", sum.Records, "omitted", sum.Omitted)
}
