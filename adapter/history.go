package adapter

import (
	"context"
	"errors"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
)

// History is the citizen's view of the access log: who read a person's
// data. A cursor it did not hand out fails with
// accesslog.ErrInvalidArgument.
type History interface {
	History(ctx context.Context, pin, cursor string, limit int) ([]accesslog.Record, string, error)
}

// History pages: historyPageMax bounds one page, historyPageDefault is a
// page's size when the request names none.
const (
	historyPageMax     = 100
	historyPageDefault = 20
)

// accesses is one page of getAccessHistory.
type accesses struct {
	records []accesslog.Record
	next    string
}

// historyServices returns getAccessHistory.
func historyServices(src History, now func() time.Time) []*Service {
	type record = accesslog.Record
	return []*Service{
		serve(op[accesses]{
			code: "getAccessHistory", version: "v1", namespace: Namespace,
			title: "The citizen's data tracker: who read this person's data, when, with which service and issue",
			args: []field{arg("pin"),
				optionalArg("cursor", "xs:string", "nextCursor of the previous page"),
				optionalArg("limit", "xs:int", "page size, 1..100, default 20")},
			reply: answerOf(
				list("access", func(a accesses) []record { return a.records },
					dateTime("time", func(r record) time.Time { return r.Time }).Doc("GMT+6"),
					text("member", func(r record) string { m, _ := splitClient(r.Client); return m }),
					text("subsystem", func(r record) string { _, s := splitClient(r.Client); return s }).Optional(),
					text("service", func(r record) string { return r.Service }),
					text("issue", func(r record) string { return r.Issue }).Optional(),
					text("recordId", func(r record) string { return r.ID }),
				).Optional(),
				text("nextCursor", func(a accesses) string { return a.next }).Optional(),
			),
			handle: func(ctx context.Context, call *Call) (accesses, error) {
				pin, err := call.PIN("pin", now())
				if err != nil {
					return accesses{}, err
				}
				limit, err := call.OptionalInt("limit", 1, historyPageMax, historyPageDefault)
				if err != nil {
					return accesses{}, err
				}
				cursor, err := call.OptionalText("cursor")
				if err != nil {
					return accesses{}, err
				}
				recs, next, err := src.History(ctx, pin, cursor, limit)
				if errors.Is(err, accesslog.ErrInvalidArgument) {
					return accesses{}, refuse(OutcomeInvalidCursor)
				}
				return accesses{recs, next}, err
			},
		}),
	}
}

// splitClient splits INSTANCE/CLASS/CODE[/SUBSYSTEM] into member and subsystem.
func splitClient(c string) (member, subsystem string) {
	n := 0
	for i := 0; i < len(c); i++ {
		if c[i] == '/' {
			n++
			if n == 3 {
				return c[:i], c[i+1:]
			}
		}
	}
	return c, ""
}
