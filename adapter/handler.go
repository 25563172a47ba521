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
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// AccessLog is the part of the access log the pipeline uses.
type AccessLog interface {
	Append(ctx context.Context, e accesslog.Entry) (accesslog.Record, error)
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
	Metrics        *Metrics         // nil means no metrics
	MaxInFlight    int              // 0 means unlimited
	Now            func() time.Time // nil means time.Now
	NewID          func() string    // nil means random UUIDv4
	Logger         *slog.Logger     // nil means discard
}

// Handler serves POST / (SOAP) and GET /?wsdl. Create it with New.
type Handler struct {
	opt   Options
	slots chan struct{}
}

// New returns a Handler for opt.
func New(opt Options) *Handler {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewID == nil {
		opt.NewID = newUUID
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
	if h.slots != nil {
		select {
		case h.slots <- struct{}{}:
			defer func() { <-h.slots }()
		case <-r.Context().Done():
			return
		}
	}
	if m := h.opt.Metrics; m != nil {
		m.inFlight.Inc()
		defer m.inFlight.Dec()
	}
	// e collects what the access log will record about this request.
	e := &accesslog.Entry{ID: h.opt.NewID(), Time: h.opt.Now()}
	x := &exchange{entry: e}
	msg, err := h.handle(r, x)
	switch {
	case x.sealed != nil && err == nil:
		// A write: its response and record are durable, its change committed.
		h.write(w, e, x.sealed, http.StatusOK)
		return
	case x.sealed != nil:
		// A write sealed but not committed: its record stands for an
		// answer never sent. The fault gets a record of its own.
		e.ID = x.call.recordID
	}
	status := http.StatusOK
	if err != nil {
		msg, status = h.fault(e, x.env, err)
	}
	out, status := h.render(e, msg, status)
	if err := h.record(r.Context(), e); err != nil {
		f, reason := classify(err)
		out, _ = soap.NewFault(nil, f.code, reason, e.ID).Bytes()
		e.Outcome, status = f.code, f.status
	}
	h.write(w, e, out, status)
}

// exchange is one request on its way through the pipeline.
type exchange struct {
	entry  *accesslog.Entry // what the access log will record
	env    *soap.Envelope   // the decoded request, nil until decoded
	call   *Call            // the service's call, nil until routed
	sealed []byte           // a write's sealed response (Seal), durable in the log
}

// handle runs the steps up to a response message; any error becomes a
// fault, which echoes the request's headers if env is not nil.
func (h *Handler) handle(r *http.Request, x *exchange) (*soap.Message, error) {
	e := x.entry
	if r.Method != http.MethodPost {
		return nil, errMethod(r.Method)
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.opt.Limits.MaxBytes))
	e.RequestSHA256 = sha256.Sum256(raw)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errTooLarge(h.opt.Limits.MaxBytes)
		}
		return nil, errReadBody(err)
	}
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
	call.seal = func(ctx context.Context, res Result) error {
		e.ID, e.Outcome, e.Subjects = call.recordID, res.Outcome, call.subjects
		call.recordID = h.opt.NewID() // for a run that follows: this one's record is taken
		out, status := h.render(e, soap.NewResponse(env, res.Payload), http.StatusOK)
		if status != http.StatusOK {
			return fmt.Errorf("%w: the response could not be signed", errNotSealed)
		}
		if err := h.record(ctx, e); err != nil {
			return err
		}
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

// render signs msg and serializes it, for the access record (the response
// digest and latency) and the caller. A message that cannot be signed or
// serialized becomes a fault, with its status.
func (h *Handler) render(e *accesslog.Entry, msg *soap.Message, status int) ([]byte, int) {
	if h.opt.Signer != nil {
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
	rec := *e
	for _, f := range []*string{&rec.Client, &rec.Service, &rec.MessageID, &rec.UserID, &rec.Issue, &rec.Reason} {
		*f = redactPINs(*f, h.opt.Log.SubjectID)
	}
	// The record must be durable even if the caller has gone away.
	if _, err := h.opt.Log.Append(context.WithoutCancel(ctx), rec); err != nil {
		h.opt.Logger.Error("access log append failed; refusing to answer", "record", e.ID, "err", h.redact(err))
		return fmt.Errorf("%w: %w", ErrLogUnavailable, err)
	}
	return nil
}

// write sends a response whose access record is durable.
func (h *Handler) write(w http.ResponseWriter, e *accesslog.Entry, out []byte, status int) {
	h.opt.Metrics.observe(e.Service, e.Outcome, e.Latency)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
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
	if f.internal {
		lvl = slog.LevelError
	}
	h.opt.Logger.Log(context.Background(), lvl, "request refused", "record", e.ID, "code", f.code,
		"client", redactPINs(e.Client, h.opt.Log.SubjectID), "service", redactPINs(e.Service, h.opt.Log.SubjectID), "err", h.redact(err))
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
