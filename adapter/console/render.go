package console

import (
	"bytes"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
)

// web holds every page template, style sheet and script the console
// serves: nothing is loaded from anywhere else.
//
//go:embed web
var web embed.FS

// view is what a page template gets.
type view struct {
	// Set by render.
	T       map[string]string
	Lang    string
	Langs   []langLink
	Page    string
	Auditor string
	CSRF    string

	Session *session
	Error   string // a texts key
	Detail  string
	HasCert bool

	State   *stateView
	Query   *query
	QueryID string
	Subject string
	Result  *result
	Record  *accesslog.Record
	Job     *jobStatus

	PlotFrom, PlotTo time.Time
	PlotRecords      int
	Charts           []template.HTML
}

// pages are the parsed templates, one set per page.
type pages map[string]*template.Template

var funcs = template.FuncMap{
	"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") },
	"dtlocal": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02T15:04")
	},
	"hex": func(h [32]byte) string { return hex.EncodeToString(h[:]) },
}

func parsePages() (pages, error) {
	base, err := template.New("layout").Funcs(funcs).ParseFS(web, "web/templates/layout.html")
	if err != nil {
		return nil, err
	}
	p := pages{}
	for _, name := range []string{"login", "state", "search", "record", "verify", "plots", "error"} {
		t, err := template.Must(base.Clone()).ParseFS(web, "web/templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		p[name] = t
	}
	return p, nil
}

// render writes page with v in the request's language.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	v.Lang = lang(r)
	v.T = texts[v.Lang]
	v.Langs = langLinks(r, v.Lang)
	v.Page = page
	if v.Session != nil {
		c.mu.Lock()
		v.Auditor, v.CSRF = v.Session.auditor, v.Session.csrf
		c.mu.Unlock()
	}
	var buf bytes.Buffer
	if err := c.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.opts.Logger.Error("console: rendering failed", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an error page with the texts key msg.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := &view{Error: msg, Session: c.sessionOf(r)}
	c.render(w, r, status, "error", v)
}

// internal logs err and shows a page that says only that the console failed.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, err error) {
	c.opts.Logger.Error("console: request failed", "path", r.URL.Path, "err", err)
	c.fail(w, r, http.StatusInternalServerError, "err_internal")
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(web, "web/static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.FileServerFS(sub)
}

// stateView is the chain's state page.
type stateView struct {
	Records, First, HeadSeq, AnchorSeq, Unsigned uint64
	Checkpoint                                   *accesslog.Checkpoint
	CheckpointAge                                string
	WitnessConfigured                            bool
	Witnessed                                    *Witnessed
	WitnessAge                                   string
}

// statePage shows the chain's records, last checkpoint and its age, and
// the last witnessed checkpoint.
func (c *Console) statePage(w http.ResponseWriter, r *http.Request, s *session) {
	st, err := c.opts.Log.State(r.Context())
	if err != nil {
		c.internal(w, r, err)
		return
	}
	now := c.opts.Now()
	v := &stateView{Records: st.HeadSeq - st.Anchor.Seq, First: st.Anchor.Seq + 1, HeadSeq: st.HeadSeq,
		AnchorSeq: st.Anchor.Seq, Unsigned: st.HeadSeq - st.Anchor.Seq, Checkpoint: st.LastCheckpoint}
	if cp := st.LastCheckpoint; cp != nil {
		v.CheckpointAge = age(now, cp.Time)
		v.Unsigned = st.HeadSeq - cp.Seq
	}
	if c.opts.Witness != nil {
		v.WitnessConfigured = true
		wit, ok, err := c.opts.Witness.LastWitnessed(r.Context())
		if err != nil {
			c.internal(w, r, err)
			return
		}
		if ok {
			v.Witnessed, v.WitnessAge = &wit, age(now, wit.Time)
		}
	}
	c.render(w, r, http.StatusOK, "state", &view{Session: s, State: v})
}

// age renders how long ago t was, to the second.
func age(now, t time.Time) string {
	return max(now.Sub(t), 0).Truncate(time.Second).String()
}
