package adapter

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/logstore"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// AccessLog is the part of the access log the pipeline uses.
type AccessLog interface {
	Append(ctx context.Context, e accesslog.Entry) (accesslog.Record, error)
	// AppendIn is Append inside another store's transaction, which c
	// commits into (Options.JoinLog); the record is durable once that
	// transaction commits.
	AppendIn(ctx context.Context, c logstore.Committer, e accesslog.Entry) (accesslog.Record, error)
	Healthy() error
	// SubjectID is the keyed pseudonym the log stores for a PIN.
	SubjectID(pin string) string
}

// Verifier checks a request's WS-Security signature for the client it claims.
type Verifier interface {
	Check(doc *etree.Document, client string, required []*etree.Element) (*signing.Verified, error)
}

// Signer signs a response over the given elements and a fresh Timestamp.
type Signer interface {
	Sign(doc *etree.Document, refs []*etree.Element) error
}

// Options wire a Handler. Every field is required unless it says otherwise.
type Options struct {
	Provider soap.ClientID // this adapter's identifier
	Limits   soap.Limits
	Catalog  *Catalog
	Members  *Members
	Log      AccessLog
	Verifier Verifier
	Signer   Signer
	// TrustedProxies holds the signing.Fingerprint of each TLS client
	// certificate allowed to send unsigned requests; nil means none.
	TrustedProxies map[string]bool
	Replay         Replayer
	// JoinLog, if set, returns the access log's committer inside a
	// registry write transaction tx, or nil when the log cannot join tx.
	// A write's sealed record (Seal) then commits in tx, with the change,
	// instead of in a transaction of its own before it: serve sets it when
	// the registry and the log share one PostgreSQL database.
	JoinLog func(tx registry.Tx) logstore.Committer
	Metrics *Metrics // nil means no metrics
	// MaxInFlight is how many requests are processed at once (decoded,
	// verified, served, signed, logged); 0 means unlimited. A request
	// takes a slot only once its body is read, so slow senders hold none.
	MaxInFlight int
	// MaxQueued is how many read requests may wait for a slot when all
	// MaxInFlight are taken; one more is refused at once with Server.ServerProxy.Busy
	// (HTTP 503, Retry-After). 0 means none waits.
	MaxQueued int
	// QueueWait is how long a queued request waits for a slot before it is
	// refused with Server.ServerProxy.Busy; 0 means until a slot frees or the caller
	// leaves.
	QueueWait time.Duration
	// BodyTimeout bounds the reading of a request's body, from the end of
	// its headers; 0 means no bound of the Handler's own (the server's
	// read timeout still applies).
	BodyTimeout time.Duration
	// MinBodyRate is the least average rate, in bytes per second, at which
	// a body must arrive after its first second; 0 means no minimum. A
	// slower body is cut off and refused (Client.InvalidRequest).
	MinBodyRate int64
	Now         func() time.Time // nil means time.Now
	NewID       func() string    // nil means random UUIDv4
	Logger      *slog.Logger     // nil means discard
}

// Handler serves POST / (SOAP) and GET /?wsdl. Create it with New.
type Handler struct {
	opt    Options
	slots  chan struct{}
	queued atomic.Int64 // requests waiting for a slot
}

// New returns a Handler for opt.
func New(opt Options) *Handler {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewID == nil {
		opt.NewID = accesslog.NewRecordID
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	opt.Limits = opt.Limits.WithDefaults()
	h := &Handler{opt: opt}
	if opt.MaxInFlight > 0 {
		h.slots = make(chan struct{}, opt.MaxInFlight)
	}
	return h
}

// ServeHTTP runs the pipeline. Every POST, accepted or refused, yields one
// access-log record that is durable before the response is written; if it
// cannot be made durable the caller gets AccessLogUnavailable instead.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodGet && strings.EqualFold(r.URL.RawQuery, "wsdl") {
		h.serveWSDL(w, r)
		return
	}
	// e collects what the access log will record about this request.
	e := &accesslog.Entry{ID: h.opt.NewID(), Time: h.opt.Now()}
	x := &exchange{entry: e}
	var msg *soap.Message
	raw, err := h.receive(w, r, e)
	if err == nil {
		// Only a request whose body is read takes a slot: a slow sender
		// holds a goroutine and its buffer, never a slot.
		var release func()
		release, err = h.admit(r.Context())
		if err == nil {
			defer release()
			h.announce(x)
			defer h.withdraw(x) // after write's; a panic must not leave it announced
			msg, err = h.handle(r, x, raw)
		}
	}
	switch {
	case x.sealed != nil && err == nil:
		// A write: its response and record are durable, its change committed.
		h.write(w, x, x.sealed, http.StatusOK)
		return
	case x.sealed != nil:
		// A write sealed but not committed: its record stands for an
		// answer never sent. The fault gets a record of its own.
		e.ID = x.call.recordID
	}
	status, sign := http.StatusOK, true
	if err != nil {
		msg, status = h.fault(e, x.env, err)
		// A busy refusal goes unsigned: refusing must cost far less than
		// serving, and it carries nothing but "try again".
		sign = !errors.Is(err, ErrBusy)
	}
	out, status := h.render(e, msg, status, sign)
	if err := h.record(r.Context(), e); err != nil {
		f, reason := classify(err)
		out, _ = soap.NewFault(nil, f.code, reason, e.ID).Bytes()
		e.Outcome, status = f.code, f.status
	}
	h.write(w, x, out, status)
}

// exchange is one request on its way through the pipeline.
type exchange struct {
	entry  *accesslog.Entry // what the access log will record
	env    *soap.Envelope   // the decoded request, nil until decoded
	call   *Call            // the service's call, nil until routed
	sealed []byte           // a write's sealed response (Seal), durable in the log

	announced expecter // the log told of this exchange's record (announce), until write
}

// receive checks the method and content type and reads the body, within
// BodyTimeout and no slower than MinBodyRate, and at most Limits.MaxBytes
// of it. The record gets the body's SHA-256 whatever happens.
func (h *Handler) receive(w http.ResponseWriter, r *http.Request, e *accesslog.Entry) ([]byte, error) {
	if r.Method != http.MethodPost {
		return nil, errMethod(r.Method)
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	body := io.Reader(http.MaxBytesReader(nil, r.Body, h.opt.Limits.MaxBytes))
	if h.opt.BodyTimeout > 0 || h.opt.MinBodyRate > 0 {
		p := &pacedReader{r: body, rc: http.NewResponseController(w), start: time.Now(),
			timeout: h.opt.BodyTimeout, rate: h.opt.MinBodyRate}
		defer p.done()
		body = p
	}
	// Room for the body its Content-Length announces (+1: reading stops
	// at io.EOF without growing), but no more than a large signed request
	// takes: a slow sender must not reserve memory with a header alone.
	const maxUpFront = 32 << 10
	size := 512
	if n := r.ContentLength; n > 0 && n <= h.opt.Limits.MaxBytes {
		size = int(min(n+1, maxUpFront))
	}
	raw, err := readAll(body, size)
	e.RequestSHA256 = sha256.Sum256(raw)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errTooLarge(h.opt.Limits.MaxBytes)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, errSlowBody(h.opt.BodyTimeout, h.opt.MinBodyRate)
		}
		return nil, errReadBody(err)
	}
	return raw, nil
}

// readAll is io.ReadAll starting from a buffer of size bytes.
func readAll(r io.Reader, size int) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				return b, nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// pacedReader reads a body under a read deadline that it moves with
// the bytes that arrived: n bytes buy until start + 1s + n/rate, never
// past start + timeout (a zero timeout or rate drops that bound).
type pacedReader struct {
	r       io.Reader
	rc      *http.ResponseController
	start   time.Time
	timeout time.Duration
	rate    int64
	n       int64
	err     error // the first read error but io.EOF
}

// done lifts the deadline once the body is read: the server's background
// read that follows would otherwise cancel the request's context when it
// passes. After a failed read it sets the deadline in the past, so the
// server does not wait for the rest of the body before it answers.
func (p *pacedReader) done() {
	if p.err != nil {
		_ = p.rc.SetReadDeadline(time.Unix(1, 0))
		return
	}
	_ = p.rc.SetReadDeadline(time.Time{})
}

func (p *pacedReader) Read(b []byte) (int, error) {
	var d time.Duration
	if p.rate > 0 {
		d = time.Second + time.Duration(p.n)*time.Second/time.Duration(p.rate)
	}
	if p.timeout > 0 && (d == 0 || d > p.timeout) {
		d = p.timeout
	}
	// A ResponseWriter without deadlines (a test recorder) reads unbounded.
	_ = p.rc.SetReadDeadline(p.start.Add(d))
	n, err := p.r.Read(b)
	p.n += int64(n)
	if err != nil && err != io.EOF {
		p.err = err
	}
	return n, err
}

// errGone is admit's error when the caller left while queued: a busy
// refusal nobody reads, recorded all the same (every request has its
// record).
var errGone = errBusy("the caller left while the request was queued")

// admit takes a processing slot for a read request, waiting in the
// bounded queue if all are taken. It fails with ErrBusy when the queue is
// full or the wait exceeds QueueWait, and with errGone when the caller
// leaves first. release gives the slot back.
func (h *Handler) admit(ctx context.Context) (release func(), err error) {
	if h.slots == nil {
		return h.started(), nil
	}
	select {
	case h.slots <- struct{}{}:
		return h.started(), nil
	default:
	}
	if h.queued.Add(1) > int64(h.opt.MaxQueued) {
		h.queued.Add(-1)
		return nil, errBusy("the queue is full")
	}
	defer h.queued.Add(-1)
	if m := h.opt.Metrics; m != nil {
		m.queued.Inc()
		defer m.queued.Dec()
	}
	var timeout <-chan time.Time
	if h.opt.QueueWait > 0 {
		t := time.NewTimer(h.opt.QueueWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case h.slots <- struct{}{}:
		return h.started(), nil
	case <-timeout:
		return nil, errBusy("no slot freed within " + h.opt.QueueWait.String())
	case <-ctx.Done():
		return nil, errGone
	}
}

// expecter is the optional part of an AccessLog that commits fuller
// batches when told how many records are on their way
// (accesslog.Log.Expect).
type expecter interface{ Expect(delta int) }

// announce tells the access log that x, which holds a slot now, will
// append a record; write withdraws it once the record is durable.
func (h *Handler) announce(x *exchange) {
	if ex, ok := h.opt.Log.(expecter); ok {
		ex.Expect(1)
		x.announced = ex
	}
}

// started counts a request in flight; the func it returns ends it and
// frees its slot.
func (h *Handler) started() func() {
	if m := h.opt.Metrics; m != nil {
		m.inFlight.Inc()
	}
	return func() {
		if m := h.opt.Metrics; m != nil {
			m.inFlight.Dec()
		}
		if h.slots != nil {
			<-h.slots
		}
	}
}

// handle runs the steps from a read body up to a response message; any
// error becomes a fault, which echoes the request's headers if env is not nil.
func (h *Handler) handle(r *http.Request, x *exchange, raw []byte) (*soap.Message, error) {
	e := x.entry
	env, err := soap.Decode(raw, h.opt.Limits)
	if err != nil {
		return nil, err
	}
	x.env = env
	e.Client = env.Headers.Client.String()
	e.Service = env.Headers.Service.ServiceCode
	e.MessageID = env.Headers.ID
	e.UserID = env.Headers.UserID
	e.Issue = env.Headers.Issue

	if err := h.authenticate(env, r.TLS, e); err != nil {
		return nil, err
	}
	svc, err := h.route(env)
	if err != nil {
		return nil, err
	}
	if !h.opt.Members.Allowed(e.Client, svc.Code) {
		return nil, errAccessDenied(e.Client, svc.Code)
	}
	call := &Call{Env: env, Client: e.Client, recordID: e.ID, args: svc.request,
		allowed: func(service string) bool { return h.opt.Members.Allowed(e.Client, service) }}
	call.seal = func(ctx context.Context, tx registry.Tx, res Result) error {
		e.ID, e.Outcome, e.Subjects = call.recordID, res.Outcome, call.subjects
		call.recordID = h.opt.NewID() // for a run that follows: this one's record is taken
		out, status := h.render(e, soap.NewResponse(env, res.Payload), http.StatusOK, true)
		if status != http.StatusOK {
			return fmt.Errorf("%w: the response could not be signed", errNotSealed)
		}
		if err := h.recordIn(ctx, tx, e); err != nil {
			return err
		}
		// The record is durable, or joined tx: either way the committer
		// need not wait for it.
		h.withdraw(x)
		x.sealed = out
		return nil
	}
	x.call = call
	res, err := svc.handle(r.Context(), call)
	e.Subjects = call.subjects
	if err != nil {
		return nil, err
	}
	e.Outcome = res.Outcome
	return soap.NewResponse(env, res.Payload), nil
}

// authenticate accepts a request whose signature verifies for its client and
// covers the Body and every X-Road header, or an unsigned request that came
// over a TLS connection authenticated with a trusted proxy's certificate.
// A verified (client, id) pair is remembered to refuse replays.
func (h *Handler) authenticate(env *soap.Envelope, conn *tls.ConnectionState, e *accesslog.Entry) error {
	if !env.Secured {
		if h.fromTrustedProxy(conn) {
			return nil
		}
		return ErrUnsigned
	}
	required := append([]*etree.Element{env.Body}, env.XRoadHeaders...)
	v, err := h.opt.Verifier.Check(env.Doc, e.Client, required)
	if err != nil {
		return err
	}
	e.SignerCert = v.Fingerprint
	// The pair is claimed in the form the access log stores, PINs
	// pseudonymised, so a cache refilled from the log after a restart
	// holds the same keys. (A UUID has no 14-digit run and is unchanged.)
	return h.opt.Replay.Claim(redactPINs(e.Client, h.opt.Log.SubjectID), redactPINs(env.Headers.ID, h.opt.Log.SubjectID), h.opt.Now())
}

func (h *Handler) fromTrustedProxy(conn *tls.ConnectionState) bool {
	if conn == nil || len(conn.PeerCertificates) == 0 || len(conn.VerifiedChains) == 0 {
		return false
	}
	return h.opt.TrustedProxies[signing.Fingerprint(conn.PeerCertificates[0])]
}

// route finds the service a request names, refusing services of another provider.
func (h *Handler) route(env *soap.Envelope) (*Service, error) {
	sid := env.Headers.Service
	if sid.Provider != h.opt.Provider {
		return nil, errOtherProvider(sid.Provider.String())
	}
	svc := h.opt.Catalog.Lookup(sid.ServiceCode, sid.ServiceVersion)
	if svc == nil {
		return nil, errUnknownService(sid.String())
	}
	if env.Payload.NamespaceURI() != svc.Namespace {
		return nil, errNamespace(env.Payload.NamespaceURI(), svc.Namespace)
	}
	return svc, nil
}

// render signs msg (if sign is set) and serializes it, for the access
// record (the response digest and latency) and the caller. A message that
// cannot be signed or serialized becomes a fault, with its status.
func (h *Handler) render(e *accesslog.Entry, msg *soap.Message, status int, sign bool) ([]byte, int) {
	if h.opt.Signer != nil && sign {
		if err := h.opt.Signer.Sign(msg.Doc, msg.Covered); err != nil {
			h.opt.Logger.Error("signing the response failed", "record", e.ID, "err", err)
			msg, status = h.fault(e, nil, err)
		}
	}
	out, err := msg.Bytes()
	if err != nil {
		h.opt.Logger.Error("serializing the response failed", "record", e.ID, "err", err)
		msg, status = h.fault(e, nil, err)
		out, _ = msg.Bytes()
	}
	e.ResponseSHA256 = sha256.Sum256(out)
	e.Latency = h.opt.Now().Sub(e.Time)
	return out, status
}

// record makes e durable in the access log, with every PIN in its
// free-text fields pseudonymised (on a copy: e keeps what the caller
// sent). It fails with an error wrapping ErrLogUnavailable.
func (h *Handler) record(ctx context.Context, e *accesslog.Entry) error {
	return h.recordIn(ctx, nil, e)
}

// recordIn is record for a write's sealed answer inside its registry
// transaction tx: where the log can join tx (Options.JoinLog), the record
// is written in tx and commits with it; otherwise it is committed in the
// log's own transaction before recordIn returns.
func (h *Handler) recordIn(ctx context.Context, tx registry.Tx, e *accesslog.Entry) error {
	rec := *e
	for _, f := range []*string{&rec.Client, &rec.Service, &rec.MessageID, &rec.UserID, &rec.Issue, &rec.Reason} {
		*f = redactPINs(*f, h.opt.Log.SubjectID)
	}
	// The record must be durable even if the caller has gone away.
	ctx = context.WithoutCancel(ctx)
	var err error
	if c := h.joined(tx); c != nil {
		_, err = h.opt.Log.AppendIn(ctx, c, rec)
	} else {
		_, err = h.opt.Log.Append(ctx, rec)
	}
	if err != nil {
		h.opt.Logger.Error("access log append failed; refusing to answer", "record", e.ID, "err", h.redact(err))
		return fmt.Errorf("%w: %w", ErrLogUnavailable, err)
	}
	return nil
}

// joined returns the log's committer inside tx, or nil if there is no
// transaction to join or the log cannot join it.
func (h *Handler) joined(tx registry.Tx) logstore.Committer {
	if tx == nil || h.opt.JoinLog == nil {
		return nil
	}
	return h.opt.JoinLog(tx)
}

// withdraw tells the access log that x's announced record is no longer on
// its way (it is durable, or will never come); once.
func (h *Handler) withdraw(x *exchange) {
	if x.announced != nil {
		x.announced.Expect(-1)
		x.announced = nil
	}
}

// write sends a response whose access record is durable, first telling
// the access log that the record announced for it is no longer on its way.
func (h *Handler) write(w http.ResponseWriter, x *exchange, out []byte, status int) {
	h.withdraw(x)
	e := x.entry
	h.opt.Metrics.observe(e.Service, e.Outcome, e.Latency)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	// Known length: net/http then sends the body as is instead of in
	// chunks (it chunks a body it has to flush before the handler ends).
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	if _, err := w.Write(out); err != nil {
		h.opt.Logger.Debug("client went away before the response was written", "record", e.ID, "err", err)
	}
}

// fault turns err into a fault message and its HTTP status, and records
// its code as the outcome.
func (h *Handler) fault(e *accesslog.Entry, env *soap.Envelope, err error) (*soap.Message, int) {
	f, reason := classify(err)
	e.Outcome = f.code
	e.Reason = reason
	lvl := slog.LevelInfo
	switch {
	case f.internal:
		lvl = slog.LevelError
	case errors.Is(err, ErrBusy):
		// Counted in the metrics and recorded in the access log; a line
		// each would flood the log just when the server is busiest.
		lvl = slog.LevelDebug
	}
	if ctx := context.Background(); h.opt.Logger.Enabled(ctx, lvl) {
		h.opt.Logger.Log(ctx, lvl, "request refused", "record", e.ID, "code", f.code,
			"client", redactPINs(e.Client, h.opt.Log.SubjectID), "service", redactPINs(e.Service, h.opt.Log.SubjectID), "err", h.redact(err))
	}
	return soap.NewFault(env, f.code, reason, e.ID), f.status
}

// redact is err's text for the application log, with every PIN-shaped
// number pseudonymized as in the access log: a store error may quote a key.
func (h *Handler) redact(err error) string {
	return redactPINs(err.Error(), h.opt.Log.SubjectID)
}

func checkContentType(v string) error {
	mt, params, err := mime.ParseMediaType(v)
	if err == nil && mt == "text/xml" {
		if cs, ok := params["charset"]; !ok || strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	return errContentType(v)
}
