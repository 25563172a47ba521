package accesslog

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the log's Prometheus collectors. They exist even when no
// Registerer is given, so the code that updates them has no nil checks.
type metrics struct {
	written     prometheus.Counter
	failures    prometheus.Counter
	commitTime  prometheus.Histogram
	batchSize   prometheus.Histogram
	chainHeight prometheus.Gauge
	checkpoints prometheus.Counter
}

// newMetrics creates the collectors and registers them with reg (if not
// nil). lastCheckpoint reports the time of the newest checkpoint (zero if
// none) for the checkpoint-age gauge.
func newMetrics(reg prometheus.Registerer, now func() time.Time, lastCheckpoint func() time.Time) (*metrics, error) {
	m := &metrics{
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "darbaza_accesslog_records_written_total",
			Help: "Access-log records made durable.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "darbaza_accesslog_commit_failures_total",
			Help: "Access-log commits that failed; each fails every request in its batch.",
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "darbaza_accesslog_commit_duration_seconds",
			Help:    "Time of one group commit (transaction and fsync).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16), // 100us .. ~3.3s
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "darbaza_accesslog_commit_batch_records",
			Help:    "Records per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11), // 1 .. 1024
		}),
		chainHeight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "darbaza_accesslog_chain_height_records",
			Help: "Sequence number of the newest durable record.",
		}),
		checkpoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "darbaza_accesslog_checkpoints_written_total",
			Help: "Signed checkpoints written.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "darbaza_accesslog_last_checkpoint_age_seconds",
		Help: "Seconds since the newest signed checkpoint; -1 if the log has none.",
	}, func() float64 {
		t := lastCheckpoint()
		if t.IsZero() {
			return -1
		}
		return now().Sub(t).Seconds()
	})
	for _, c := range []prometheus.Collector{m.written, m.failures, m.commitTime, m.batchSize, m.chainHeight, m.checkpoints, age} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
