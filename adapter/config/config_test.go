package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEmptyFileYieldsValidDefaults(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if time.Duration(c.Signing.MaxAge) != 15*time.Minute || c.Limits.MaxDepth == 0 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if time.Duration(c.Registration.ConfirmWithin) != 72*time.Hour || len(c.Registration.Holidays) != 12 || c.Registration.Holidays[0] != "01-01" {
		t.Errorf("registration defaults not applied: %+v", c.Registration)
	}
}

func TestHolidaysGivenReplaceTheDefaultOnes(t *testing.T) {
	c, err := Parse([]byte("registration:\n  holidays: [\"2026-05-27\", \"01-01\"]\n"))
	if err != nil || c.Validate() != nil {
		t.Fatalf("%v, %v", err, c.Validate())
	}
	if got := strings.Join(c.Registration.Holidays, " "); got != "2026-05-27 01-01" {
		t.Errorf("holidays %s, want only those given", got)
	}
}

func TestBadFilesNameTheKey(t *testing.T) {
	tests := []struct {
		name, yaml, wantKey string
	}{
		{"unknown top-level key", "listne: x\n", "listne"},
		{"unknown nested key", "limits:\n  max_dept: 3\n", "max_dept"},
		{"bad duration", "signing:\n  max_age: soon\n", "soon"},
		{"provider without subsystem", "provider: KG/GOV/70000001\n", "provider"},
		{"member with bad id", "members:\n  - id: portal\n    services: [getPerson]\n", "members[0].id"},
		{"member listed twice", "members:\n  - id: KG/GOV/1/a\n    services: [getPerson]\n  - id: KG/GOV/1/a\n    services: [getPerson]\n", "members[1].id"},
		{"member without services", "members:\n  - id: KG/GOV/1/a\n", "members[0].services"},
		{"depth out of range", "limits:\n  max_depth: 100000\n", "limits.max_depth"},
		{"negative timeout", "http:\n  read_timeout: -1s\n", "http.read_timeout"},
		{"negative queue", "limits:\n  max_queued: -1\n", "limits.max_queued"},
		{"zero body timeout", "limits:\n  body_timeout: 0s\n", "limits.body_timeout"},
		{"negative body rate", "limits:\n  min_body_rate: -5\n", "limits.min_body_rate"},
		{"proxies need TLS", "trusted_proxies: [proxy.crt]\n", "trusted_proxies"},
		{"tls cert without key", "tls:\n  cert: a.crt\n", "tls"},
		{"console on the SOAP port", "listen: 127.0.0.1:9000\nconsole:\n  listen: 127.0.0.1:9000\n", "console.listen"},
		{"console auditors need HTTPS", "console:\n  auditors:\n    - name: aida\n      password_hash: x\n", "console.cert"},
		{"auditor with a bad name", "console:\n  cert: c.crt\n  key: c.key\n  auditors:\n    - name: Aida Bek\n      password_hash: x\n", "console.auditors[0].name"},
		{"auditor listed twice", "console:\n  cert: c.crt\n  key: c.key\n  auditors:\n    - name: aida\n      password_hash: x\n    - name: aida\n      certificate: a.crt\n", "console.auditors[1].name"},
		{"auditor without a way in", "console:\n  cert: c.crt\n  key: c.key\n  auditors:\n    - name: aida\n", "console.auditors[0]"},
		{"console lockout not positive", "console:\n  lockout: 0s\n", "console.lockout"},
		{"console failures out of range", "console:\n  max_failures: 0\n", "console.max_failures"},
		{"unknown storage", "storage: sqlite\n", "storage"},
		{"postgres without a dsn", "storage: postgres\n", "postgres.dsn"},
		{"postgres recover not positive", "storage: postgres\npostgres:\n  dsn: postgres://darbaza@db/darbaza\n  recover: 0s\n", "postgres.recover"},
		{"document key without cert", "documents:\n  key: doc.key\n", "documents"},
		{"verify URL not http", "documents:\n  verify_url: population.tunduk.kg\n", "documents.verify_url"},
		{"no failed look-ups allowed", "documents:\n  max_failed_lookups: 0\n", "documents.max_failed_lookups"},
		{"zero look-up window", "documents:\n  failed_lookup_window: 0s\n", "documents.failed_lookup_window"},
		{"holiday that is no date", "registration:\n  holidays: [\"02-30\"]\n", "registration.holidays"},
		{"confirmation period not positive", "registration:\n  confirm_within: 0s\n", "registration.confirm_within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "darbaza.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("error %q does not name %q", err, tt.wantKey)
			}
		})
	}
}

func TestRelativePathsResolveAgainstTheConfigFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "darbaza.yaml")
	yaml := "data_dir: data\nsigning:\n  key: keys/own.key\nmembers:\n  - id: KG/GOV/70000002/portal\n    certificates: [members/portal.crt]\n    services: [getPerson]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != filepath.Join(dir, "data") || c.Members[0].Certificates[0] != filepath.Join(dir, "members/portal.crt") {
		t.Errorf("paths not resolved: %s %v", c.DataDir, c.Members[0].Certificates)
	}
	if c.Signing.Key != filepath.Join(dir, "keys", "own.key") || c.Signing.Cert != "" {
		t.Errorf("signing key paths not resolved: %q %q", c.Signing.Key, c.Signing.Cert)
	}
}
