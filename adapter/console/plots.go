package console

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Plot limits.
const (
	maxPlotPeriod = 31 * 24 * time.Hour
	maxSeries     = 8 // lines per chart; the rest are summed as "other"
)

// hourly counts records per hour over [from, to) for each key.
type hourly struct {
	from   time.Time
	hours  int
	counts map[string][]int
}

func newHourly(from time.Time, hours int) *hourly {
	return &hourly{from: from, hours: hours, counts: map[string][]int{}}
}

func (h *hourly) add(key string, t time.Time) {
	i := int(t.Sub(h.from) / time.Hour)
	if i < 0 || i >= h.hours {
		return
	}
	c := h.counts[key]
	if c == nil {
		c = make([]int, h.hours)
		h.counts[key] = c
	}
	c[i]++
}

// plotData is what the plots page draws.
type plotData struct {
	From, To          time.Time
	Records           int
	Clients, Services *hourly
	Faults            *hourly
}

// isFault reports whether an outcome is a SOAP fault code (Client.* or
// Server.*, docs/protocol.md) rather than OK or a business outcome.
func isFault(outcome string) bool {
	return strings.HasPrefix(outcome, "Client.") || strings.HasPrefix(outcome, "Server.")
}

// collect walks the log backwards from its head, counting the records of
// [from, to) per hour by client, by service and, for faults, by code.
func (c *Console) collect(ctx context.Context, from, to time.Time) (*plotData, error) {
	hours := int(to.Sub(from) / time.Hour)
	d := &plotData{From: from, To: to, Clients: newHourly(from, hours), Services: newHourly(from, hours), Faults: newHourly(from, hours)}
	floor := from.Add(-timeSlack)
	for before := uint64(0); ; {
		recs, err := c.opts.Log.Before(ctx, before, readChunk)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.Time.Before(floor) {
				return d, nil
			}
			before = r.Seq
			if r.Time.Before(from) || !r.Time.Before(to) {
				continue
			}
			d.Records++
			d.Clients.add(cmp.Or(r.Client, "?"), r.Time)
			d.Services.add(cmp.Or(r.Service, "?"), r.Time)
			if isFault(r.Outcome) {
				d.Faults.add(r.Outcome, r.Time)
			}
		}
		if len(recs) < readChunk || before <= 1 {
			return d, nil
		}
	}
}

// plotsPage records the request and draws the period's charts.
func (c *Console) plotsPage(w http.ResponseWriter, r *http.Request, s *session) {
	start := c.opts.Now()
	to := start.UTC().Truncate(time.Hour).Add(time.Hour)
	from := to.Add(-24 * time.Hour)
	var err error
	if v := r.URL.Query().Get("from"); v != "" {
		if from, err = parseTime(v); err != nil {
			c.fail(w, r, http.StatusBadRequest, "err_input")
			return
		}
	}
	if v := r.URL.Query().Get("to"); v != "" {
		if to, err = parseTime(v); err != nil {
			c.fail(w, r, http.StatusBadRequest, "err_input")
			return
		}
	}
	from, to = from.Truncate(time.Hour), to.Truncate(time.Hour)
	if !from.Before(to) || to.Sub(from) > maxPlotPeriod {
		c.render(w, r, http.StatusBadRequest, "plots", &view{Session: s, Error: "err_period", PlotFrom: from, PlotTo: to})
		return
	}
	reason := fmt.Sprintf("from=%s to=%s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	if err := c.record(r.Context(), s.actor(), servicePlots, outcomeOK, reason, start); err != nil {
		c.unavailable(w, r, err)
		return
	}
	d, err := c.collect(r.Context(), from, to)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	t := c.texts(r)
	v := &view{Session: s, PlotFrom: from, PlotTo: to, PlotRecords: d.Records, Charts: []template.HTML{
		lineChart("plot-clients", t["plot_clients"], t["plot_other"], d.Clients),
		lineChart("plot-services", t["plot_services"], t["plot_other"], d.Services),
		lineChart("plot-faults", t["plot_faults"], t["plot_other"], d.Faults),
	}}
	c.render(w, r, http.StatusOK, "plots", v)
}

// palette colours the lines; colour-blind safe (Okabe and Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999"}

// lineChart draws h as an SVG line chart, one line per key (the biggest
// maxSeries, the rest summed as other), with hour ticks and a legend.
// Every text it writes is escaped.
func lineChart(id, title, other string, h *hourly) template.HTML {
	type series struct {
		name   string
		counts []int
		total  int
	}
	var all []series
	for _, k := range slices.Sorted(maps.Keys(h.counts)) {
		s := series{name: k, counts: h.counts[k]}
		for _, n := range s.counts {
			s.total += n
		}
		all = append(all, s)
	}
	slices.SortStableFunc(all, func(a, b series) int { return cmp.Compare(b.total, a.total) })
	if len(all) > maxSeries {
		rest := series{name: other, counts: make([]int, h.hours)}
		for _, s := range all[maxSeries-1:] {
			for i, n := range s.counts {
				rest.counts[i] += n
			}
			rest.total += s.total
		}
		all = append(all[:maxSeries-1], rest)
	}
	const (
		width, height          = 900, 260
		left, right, top, base = 56, 44, 28, 40
	)
	peak := 1
	for _, s := range all {
		peak = max(peak, slices.Max(s.counts))
	}
	yMax := niceCeil(peak)
	plotW, plotH := float64(width-left-right), float64(height-top-base)
	x := func(i int) float64 {
		if h.hours <= 1 {
			return float64(left) + plotW/2
		}
		return float64(left) + plotW*float64(i)/float64(h.hours-1)
	}
	y := func(n int) float64 { return float64(top) + plotH*(1-float64(n)/float64(yMax)) }
	esc := template.HTMLEscapeString

	var b strings.Builder
	legendH := 20 * ((len(all) + 2) / 3)
	fmt.Fprintf(&b, `<svg id="%s" class="chart" role="img" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%">`, esc(id), width, height+legendH)
	fmt.Fprintf(&b, `<title>%s</title><text x="%d" y="18" class="chart-title">%s</text>`, esc(title), left, esc(title))
	for i := 0; i <= 4; i++ { // horizontal grid with counts
		n := yMax * i / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="tick" text-anchor="end">%d</text>`,
			left, width-right, y(n), y(n), left-6, y(n)+4, n)
	}
	step := max(1, h.hours/12)
	for i := 0; i < h.hours; i += step { // hour ticks, UTC
		t := h.from.Add(time.Duration(i) * time.Hour)
		label := t.Format("15:04")
		if t.Hour() == 0 || i == 0 {
			label = t.Format("01-02 15:04")
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="tick" text-anchor="middle">%s</text>`, x(i), height-base+16, esc(label))
	}
	if len(all) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty" text-anchor="middle">0</text>`, width/2, height/2)
	}
	for si, s := range all {
		colour := palette[si%len(palette)]
		var pts strings.Builder
		for i, n := range s.counts {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(i), y(n))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s: %d</title></polyline>`,
			colour, strings.TrimSpace(pts.String()), esc(s.name), s.total)
		lx, ly := left+(si%3)*280, height+(si/3)*20+4
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" class="legend" data-series="%s">%s (%d)</text>`,
			lx, ly, colour, lx+18, ly+11, esc(s.name), esc(s.name), s.total)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every interpolated text above is escaped
}

// niceCeil returns the smallest 4*step >= n with step 1, 2 or 5 times a
// power of ten, so that the y axis's four grid lines have round counts.
func niceCeil(n int) int {
	need := max((n+3)/4, 1)
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= need {
				return 4 * m * p
			}
		}
	}
}
