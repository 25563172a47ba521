package pglog_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/pglog"
	"github.com/darbaza/darbaza/internal/pgtest"
	"github.com/darbaza/darbaza/internal/testkeys"
)

// BenchmarkAppend measures durable Appends to the log in PostgreSQL from
// one node and from two nodes (two Logs, two pools) sharing the chain, with
// 16 callers per node: what `make bench` reports for storage: postgres.
func BenchmarkAppend(b *testing.B) {
	k := testkeys.EC(b, "darbaza bench adapter")
	for _, nodes := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			opts := pgtest.Schema(b, true)
			logs := make([]*accesslog.Log, nodes)
			for i := range logs {
				l, err := accesslog.Open(accesslog.Options{
					Backend: pglog.New(pgtest.Open(b, opts)), Signer: k.Key, Certificate: k.Cert,
					SubjectKey: []byte("0123456789abcdef0123456789abcdef"), CheckpointInterval: time.Hour,
				})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { l.Close() })
				logs[i] = l
			}
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, l := range logs {
				for range 16 {
					wg.Go(func() {
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							e := accesslog.Entry{ID: fmt.Sprint(i), Time: time.Now(), Client: "central-server/GOV/70000002/portal",
								Service: "getPerson", Outcome: "OK", Subjects: []string{"21505198500123"}}
							if _, err := l.Append(context.Background(), e); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
			}
			wg.Wait()
		})
	}
}
