package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadWitnessAndCheckpointKeySettingsNameTheKey(t *testing.T) {
	tests := []struct {
		name, yaml, wantKey string
	}{
		{"checkpoint key without its certificate", "access_log:\n  checkpoint_key: cp.key\n", "checkpoint_key and checkpoint_cert"},
		{"origin with a space", "access_log:\n  origin: my log\n", "access_log.origin"},
		{"witness URL that is not http", "access_log:\n  witnesses:\n    - url: ftp://w\n      key: w+1+AQ==\n", "access_log.witnesses[0].url"},
		{"witness key that is not a verifier key", "access_log:\n  witnesses:\n    - url: https://w/\n      key: abc\n", "access_log.witnesses[0].key"},
		{"zero witness max age", "access_log:\n  witness_max_age: 0s\n", "access_log.witness_max_age"},
		{"refusing without witnesses", "access_log:\n  refuse_unwitnessed: true\n", "access_log.refuse_unwitnessed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "darbaza.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("Load: %v, want ErrInvalid naming %q", err, tt.wantKey)
			}
		})
	}
}

func TestAPKCS11KeyIsNotTakenForARelativePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "darbaza.yaml")
	uri := "pkcs11:token=darbaza;object=checkpoint?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=pin.txt"
	yaml := "signing:\n  key: \"" + uri + "\"\naccess_log:\n  checkpoint_key: \"" + uri + "\"\n  checkpoint_cert: cp.crt\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Signing.Key != uri || c.AccessLog.CheckpointKey != uri || c.AccessLog.CheckpointCert != filepath.Join(dir, "cp.crt") {
		t.Errorf("keys %q, %q, cert %q", c.Signing.Key, c.AccessLog.CheckpointKey, c.AccessLog.CheckpointCert)
	}
}
