package signing

import (
	"testing"
	"time"

	"github.com/beevik/etree"
)

// at sets the policy's clock.
func at(now time.Time) func(testing.TB, *Policy, *Signer) {
	return func(_ testing.TB, p *Policy, _ *Signer) { p.Now = func() time.Time { return now } }
}

func TestTimestampFreshnessIsEnforced(t *testing.T) {
	runAttacks(t, []attack{
		{name: "expired beyond the skew", policy: at(signNow.Add(DefaultTTL + DefaultMaxSkew + time.Second)), want: ErrTimestampExpired},
		{name: "expired but within the skew", policy: at(signNow.Add(DefaultTTL + DefaultMaxSkew - time.Second)), want: nil},
		{name: "from the future beyond the skew", policy: at(signNow.Add(-DefaultMaxSkew - time.Second)), want: ErrTimestampFuture},
		{name: "from the future within the skew", policy: at(signNow.Add(-DefaultMaxSkew + time.Second)), want: nil},
		{
			name: "a smaller configured skew",
			policy: func(tb testing.TB, p *Policy, s *Signer) {
				p.MaxSkew = time.Second
				at(signNow.Add(-2*time.Second))(tb, p, s)
			},
			want: ErrTimestampFuture,
		},
		{
			name: "created longer ago than MaxAge, though not expired",
			policy: func(tb testing.TB, p *Policy, s *Signer) {
				p.MaxAge = time.Minute
				p.MaxSkew = time.Second
				at(signNow.Add(2*time.Minute))(tb, p, s)
			},
			want: ErrTimestampTooOld,
		},
		{
			name:   "no Expires",
			mutate: func(tb testing.TB, doc *etree.Document) { removeFirst(tb, doc, nsWSU, "Expires") },
			want:   ErrTimestampInvalid,
		},
		{
			name: "a Created without a time zone",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsWSU, "Created").SetText("2027-03-01T12:00:00")
			},
			want: ErrTimestampInvalid,
		},
		{
			name: "Expires before Created",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsWSU, "Expires").SetText("2027-03-01T11:00:00Z")
			},
			want: ErrTimestampInvalid,
		},
		{
			name: "a Timestamp moved forward after signing",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsWSU, "Expires").SetText("2027-03-01T13:00:00Z")
			},
			want: ErrDigestMismatch,
		},
	})
}
