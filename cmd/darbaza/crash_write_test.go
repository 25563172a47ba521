package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
	"github.com/darbaza/darbaza/registry/demo"
)

// TestAWriteKilledAtEachStepLeavesNoChangeOrTheChangeWithItsRecord runs a
// real `darbaza serve` and kills it with SIGKILL at each step of one
// submitRegistration (the crash hooks crashAtEnv and crashAfterEnv): before
// the write's function runs, after it sealed (its record durable) but
// before the commit, after the commit before the answer, and after the
// answer left. Restarted on the same files, the access log verifies, and
// the registry holds either no trace of the application, or the
// application and its registration naming a durable OK record of
// submitRegistration. The caller then retries with a new xrd:id: it gets
// the registration, made exactly once.
func TestAWriteKilledAtEachStepLeavesNoChangeOrTheChangeWithItsRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server twice per step")
	}
	for _, tc := range []struct {
		step      string
		env       string
		answered  bool // the caller got the answer before the kill
		committed bool // the change is there after the kill
		sealed    bool // an OK record of submitRegistration is in the log after the kill
	}{
		{"before the rules run", crashAtEnv + "=begin", false, false, false},
		{"after the seal, before the commit", crashAtEnv + "=seal", false, false, true},
		{"after the commit, before the answer", crashAtEnv + "=commit", false, true, true},
		{"after the answer left", crashAfterEnv + "=1", true, true, true},
	} {
		t.Run(tc.step, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "demo")
			s := startServerEnv(t, dir, tc.env)
			request := signedSample(t, s, "submitRegistration-self.xml")
			code, body, err := postWith(http.DefaultClient, s.URL, request)
			switch {
			case tc.answered && (err != nil || code != http.StatusOK || !strings.Contains(body, "<decision>registered</decision>")):
				t.Fatalf("no answer before the kill: %d %v\n%.400s", code, err, body)
			case !tc.answered && err == nil:
				t.Fatalf("an answer (%d) from a server that should have died first:\n%.400s", code, body)
			}
			select {
			case <-s.done:
			case <-time.After(time.Minute):
				t.Fatal("the server did not kill itself")
			}
			if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("the server ended with %v, want SIGKILL from the hook\n%s", s.cmd.ProcessState, s.stderr)
			}

			data := demoDataDir(dir)
			if code, out, errOut := darbaza(t, "audit", "verify", "--data", string(data)); code != 0 {
				t.Fatalf("audit verify after the kill: exit %d\n%s%s", code, out, errOut)
			}
			sealed := okRecords(t, boltData(data), "submitRegistration")
			if got := len(sealed) > 0; got != tc.sealed {
				t.Errorf("OK records of submitRegistration after the kill: %v, want any: %v", sealed, tc.sealed)
			}
			a, ok := application(t, boltData(data), "AP-2026-000101")
			if ok != tc.committed {
				t.Fatalf("application kept %v, want %v", ok, tc.committed)
			}
			if ok {
				checkChange(t, boltData(data), a, sealed)
			} else if _, reg := registration(t, boltData(data), "R-AP-2026-000101"); reg {
				t.Fatal("a registration without its application")
			}

			// The caller retries with a new xrd:id.
			s2 := startServerAt(t, dir)
			code, body, err = postWith(http.DefaultClient, s2.URL, signedSample(t, s2, "submitRegistration-self.xml"))
			if err != nil || code != http.StatusOK || !strings.Contains(body, "<code>OK</code>") || !strings.Contains(body, "<decision>registered</decision>") {
				t.Fatalf("the retry: %d %v\n%.600s", code, err, body)
			}
			s2.stop(t)
			after, ok := application(t, boltData(data), "AP-2026-000101")
			if !ok || len(after.Records) != 1 {
				t.Fatalf("after the retry: kept %v, records %v; want one record", ok, after.Records)
			}
			if tc.committed && after.Records[0] != a.Records[0] {
				t.Errorf("the retry changed the committed application: records %v, were %v", after.Records, a.Records)
			}
			checkChange(t, boltData(data), after, okRecords(t, boltData(data), "submitRegistration"))
		})
	}
}

// signedSample signs testdata/requests/name as the demo portal with a
// fresh xrd:id.
func signedSample(t *testing.T, s *testServer, name string) []byte {
	t.Helper()
	signer, err := loadSigner(s.member("portal"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "requests", name))
	if err != nil {
		t.Fatal(err)
	}
	out, err := signRequest(signer, raw, true)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// stored is the data of a stopped server, or of a database that running
// servers share: the flags that name it to the audit tools, and a
// read-only view of its registry.
type stored struct {
	flags []string
	view  func(t *testing.T, fn func(registry.Tx) error)
}

// boltData is the bbolt files in data.
func boltData(data dataDir) stored {
	return stored{flags: []string{"--data", string(data)}, view: func(t *testing.T, fn func(registry.Tx) error) {
		t.Helper()
		st, err := boltstore.Open(data.RegistryPath(), boltstore.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.View(context.Background(), fn); err != nil && !errors.Is(err, registry.ErrNotFound) {
			t.Fatal(err)
		}
	}}
}

// okRecords returns the ids of the log's OK records of service.
func okRecords(t *testing.T, s stored, service string) map[string]bool {
	t.Helper()
	code, list, errOut := darbaza(t, append(append([]string{"audit", "list"}, s.flags...), "--outcome", adapter.OutcomeOK)...)
	if code != 0 {
		t.Fatalf("audit list: exit %d\n%s", code, errOut)
	}
	ids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		if !strings.Contains(line, "\tservice="+service+"\t") {
			continue
		}
		for _, f := range strings.Split(line, "\t") {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				ids[id] = true
			}
		}
	}
	return ids
}

func application(t *testing.T, s stored, number string) (registry.Application, bool) {
	t.Helper()
	var a registry.Application
	found := false
	s.view(t, func(tx registry.Tx) error {
		var err error
		a, err = tx.Application(number)
		found = err == nil
		return err
	})
	return a, found
}

func registration(t *testing.T, s stored, id string) (registry.Registration, bool) {
	t.Helper()
	var r registry.Registration
	found := false
	s.view(t, func(tx registry.Tx) error {
		var err error
		r, err = tx.Registration(id)
		found = err == nil
		return err
	})
	return r, found
}

// checkChange asserts the write contract on a committed application: its
// record and its registration's are one durable OK record of the service,
// and the owner has exactly one open residence, at his house.
func checkChange(t *testing.T, s stored, a registry.Application, sealed map[string]bool) {
	t.Helper()
	r, ok := registration(t, s, a.RegistrationID)
	if !ok || len(a.Records) != 1 || r.Record != a.Records[0] || !sealed[r.Record] {
		t.Errorf("application records %v, registration %s (kept %v) names %q; sealed records %v", a.Records, a.RegistrationID, ok, r.Record, sealed)
	}
	open := 0
	s.view(t, func(tx registry.Tx) error {
		regs, err := tx.RegistrationsOf(demo.PINFamilyOwner)
		for _, x := range regs {
			if x.Type == registry.Residence && x.Open() {
				open++
				if x.DwellingID != demo.DwellingFamilyHouse {
					t.Errorf("open residence at %s", x.DwellingID)
				}
			}
		}
		return err
	})
	if open != 1 {
		t.Errorf("%d open residences, want 1", open)
	}
}
