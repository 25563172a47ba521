package accesslog

import "time"

// defaultLinger is the longest the committer holds a batch open for
// records it has been told are on their way (Expect). A commit costs one
// transaction and one fsync whatever it holds (about 190 µs of CPU and
// 270 µs of wall time on the benchmark machine), so under load a batch a
// few records larger is worth a millisecond or two of waiting; an idle
// log never waits (see Expect).
const defaultLinger = 2 * time.Millisecond

// Expect adds delta (+1 or -1) to the number of requests in the caller's
// pipeline that will Append a record: +1 when a request starts being
// processed, -1 as soon as its Append has returned (or it will not
// append). A count left high after the Append returned (say, until the
// response is written) holds later batches for records that never come.
// While more are expected than the committer holds, it keeps a batch open
// for them, at most defaultLinger, so that they share one commit; when the
// batch holds every expected record, or nothing is expected (a lone caller,
// or a caller that never calls Expect), it commits at once. Expect never
// blocks and is safe for concurrent use.
func (l *Log) Expect(delta int) { l.expected.Add(int64(delta)) }

// linger adds to batch the requests that arrive while the pipeline has
// more records on their way than batch holds, until the batch holds them
// all, lingerTarget is reached, the linger expires or the log is closed
// (closed reports that). timer is the committer's own, stopped and drained.
func (l *Log) linger(batch []*request, timer *time.Timer) (_ []*request, closed bool) {
	if len(batch) == 0 || !l.waitFor(len(batch)) {
		return batch, false
	}
	d := l.lingerFor
	if d == 0 {
		d = defaultLinger
	}
	timer.Reset(d)
	defer timer.Stop()
	for l.waitFor(len(batch)) {
		select {
		case req, ok := <-l.reqs:
			if !ok {
				return batch, true
			}
			batch = append(batch, req)
		case <-timer.C:
			return batch, false
		}
	}
	return batch, false
}

// lingerTarget is the batch size at which lingering stops: a commit's
// fixed cost is then shared widely enough, and a batch that large means
// the log is busy (under overload, with refusals, the drain alone fills
// it), where holding it would only add latency.
const lingerTarget = 16

// waitFor reports whether more records are expected than the n held, and
// n is below lingerTarget.
func (l *Log) waitFor(n int) bool { return n < lingerTarget && l.expected.Load() > int64(n) }
