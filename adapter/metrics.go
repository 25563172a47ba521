package adapter

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's Prometheus metrics. The service label holds a
// known service code or "unknown", so callers cannot grow the label set.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inFlight prometheus.Gauge
	queued   prometheus.Gauge
	known    func(string) bool
}

// NewMetrics registers the pipeline metrics with reg. known says which
// service codes may appear as label values.
func NewMetrics(reg prometheus.Registerer, known func(code string) bool) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "darbaza_requests_total",
			Help: "SOAP requests by service code and outcome (OK, a business code or a fault code).",
		}, []string{"service", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "darbaza_request_duration_seconds",
			Help:    "Time from request arrival to a durable access-log record, by service.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"service"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "darbaza_requests_in_flight",
			Help: "SOAP requests being served now.",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "darbaza_requests_queued",
			Help: "SOAP requests read and waiting for a processing slot now (limits.max_queued bounds them).",
		}),
		known: known,
	}
	reg.MustRegister(m.requests, m.latency, m.inFlight, m.queued)
	return m
}

// observe counts one finished request; a nil *Metrics does nothing.
func (m *Metrics) observe(service, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	if !m.known(service) {
		service = "unknown"
	}
	m.requests.WithLabelValues(service, outcome).Inc()
	m.latency.WithLabelValues(service).Observe(d.Seconds())
}
