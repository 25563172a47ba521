package adapter

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/soap"
)

func TestFaultTableMapsEveryErrorToItsRow(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range faults {
		if seen[f.code] {
			t.Errorf("%s has two rows", f.code)
		}
		seen[f.code] = true
		if f.status < 400 || f.status > 599 {
			t.Errorf("%s: HTTP status %d is not an error status", f.code, f.status)
		}
		if f.internal != (f.reason != "") {
			t.Errorf("%s: internal %v with reason %q: an internal fault, and only one, says what the caller reads", f.code, f.internal, f.reason)
		}
		for _, e := range f.errs {
			err := fmt.Errorf("while serving: %w", e)
			if got := match(err); got.code != f.code {
				t.Errorf("%v gets %s, want %s", e, got.code, f.code)
			}
		}
		if got := match(&soap.Error{Code: f.code, Err: errors.New("as soap.Decode says")}); got.code != f.code {
			t.Errorf("a soap.Error with code %s gets %s", f.code, got.code)
		}
	}
}

func TestFaultsTellTheCallerOnlyWhatIsMeantForThem(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		code, reason string
		internal     bool
	}{
		{"a soap.Decode refusal reads as soap says", &soap.Error{Code: soap.CodeMissingHeaderField, Err: errors.New("missing X-Road header field: id")},
			soap.CodeMissingHeaderField, "missing X-Road header field: id", false},
		{"a missing argument", badRequest("missing element pin"),
			soap.CodeInvalidRequest, "request does not match the service's schema: missing element pin", false},
		{"a body in another namespace", errNamespace("urn:x", Namespace),
			soap.CodeInvalidBody, `request does not match the service's schema: body element in namespace "urn:x", want "` + Namespace + `"`, false},
		{"a content type", errContentType("application/json"),
			soap.CodeInvalidContentType, `content type "application/json": want text/xml; charset=utf-8`, false},
		{"a store failure is internal and hidden", fmt.Errorf("getPerson: %w", errors.New("page 7 of registry.db is corrupt")),
			soap.CodeInternalError, "internal error; quote the faultDetail to the operator", true},
		{"a refusal that escaped its service is internal", refuse(OutcomePersonNotFound),
			soap.CodeInternalError, "internal error; quote the faultDetail to the operator", true},
		{"the access log", fmt.Errorf("append: %w", ErrLogUnavailable),
			soap.CodeLogUnavailable, "the access log cannot be written; the request was not served", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, reason := classify(tt.err)
			if f.code != tt.code || reason != tt.reason || f.internal != tt.internal {
				t.Errorf("got %s %q internal=%v, want %s %q internal=%v", f.code, reason, f.internal, tt.code, tt.reason, tt.internal)
			}
		})
	}
}

// TestEveryFaultCodeIsInTheTableAndUsed reads the declarations of the codes
// (package soap's and this package's): each must have its row, each row
// must name a declared code, and a row no error of this package reaches
// must be one package soap hands out, so no code is declared for nothing.
func TestEveryFaultCodeIsInTheTableAndUsed(t *testing.T) {
	declared := map[string]string{} // value -> constant name
	for _, file := range []string{"../soap/errors.go", "fault.go"} {
		for name, value := range codeConstants(t, file) {
			declared[value] = name
		}
	}
	soapSource := soapSources(t)
	inTable := map[string]bool{}
	for _, f := range faults {
		inTable[f.code] = true
		name, ok := declared[f.code]
		if !ok {
			t.Errorf("row %s names no declared code", f.code)
			continue
		}
		if len(f.errs) == 0 && f.code != soap.CodeInternalError && !strings.Contains(soapSource, "fault("+name+",") {
			t.Errorf("nothing hands out %s (%s): no error of this package maps to it and package soap never uses it", name, f.code)
		}
	}
	for value, name := range declared {
		if !inTable[value] {
			t.Errorf("%s (%s) is declared but has no row in the fault table", name, value)
		}
	}
}

// codeConstants returns the string constants named Code* in file.
func codeConstants(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !strings.HasPrefix(n.Name, "Code") || !ok || lit.Kind != token.STRING {
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				out[n.Name] = v
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no Code constants in %s", file)
	}
	return out
}

// soapSources is the text of package soap's non-test files.
func soapSources(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob("../soap/*.go")
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
	}
	return b.String()
}
