package adapter

import "context"

// NewTextService exposes serve to the tests of package adapter_test: a
// service named code whose request has the given required string
// arguments and whose answer, after the result, is one text element.
func NewTextService(code string, args []string, handle func(ctx context.Context, call *Call) (string, error)) *Service {
	fs := make([]field, len(args))
	for i, a := range args {
		fs[i] = arg(a)
	}
	return serve(op[string]{
		code: code, version: "v1", namespace: Namespace, title: code, args: fs,
		reply:  answerOf(text("answer", func(s string) string { return s })),
		handle: handle,
	})
}

// Arg reads the required string argument name.
func (c *Call) Arg(name string) (string, error) { return c.required(name) }
