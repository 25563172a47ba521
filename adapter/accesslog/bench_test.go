package accesslog

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkAppend measures the cost of one durable Append (real fsync on
// the test's temporary directory) with 1, 16 and 64 concurrent callers,
// and reports the mean records per commit that group commit achieved.
func BenchmarkAppend(b *testing.B) {
	k := newECKey(b)
	for _, callers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			l := openTestLog(b, testOptions(b, k, filepath.Join(b.TempDir(), "log.db")))
			var commits atomic.Int64
			l.beforeCommit = func(int) error { commits.Add(1); return nil }
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if _, err := l.Append(context.Background(), testEntry(int(i))); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/float64(max(commits.Load(), 1)), "records/commit")
		})
	}
}

// BenchmarkVerify measures offline verification per record.
func BenchmarkVerify(b *testing.B) {
	k := newECKey(b)
	l := openTestLog(b, testOptions(b, k, filepath.Join(b.TempDir(), "log.db")))
	var wg sync.WaitGroup
	for c := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				l.Append(context.Background(), testEntry(c*100+i))
			}
		}()
	}
	wg.Wait()
	l.Checkpoint(context.Background())
	b.ResetTimer()
	for b.Loop() {
		if _, err := l.Verify(context.Background(), verifyOpts(k)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/record")
}
