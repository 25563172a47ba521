package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// dataDir is the server's data folder. Its layout is spelled here and
// nowhere else:
//
//	registry.db            the population registry
//	accesslog.db           the hash-chained access log
//	keys/adapter.key       the adapter's signing key (unless signing.key names another)
//	keys/adapter.crt       its certificate (unless signing.cert names another)
//	keys/subject-hmac.key  the access log's HMAC key for data subjects, hex text
//	admin.sock             the admin socket while a server runs
//
// A backup made by 'darbaza backup' has the same layout, so every command
// that takes --data works on a backup too.
type dataDir string

// File names of the stores, also their names on the admin socket.
const (
	registryFile  = "registry.db"
	accessLogFile = "accesslog.db"
)

// RegistryPath is the registry store's file.
func (d dataDir) RegistryPath() string { return filepath.Join(string(d), registryFile) }

// AccessLogPath is the access log's file.
func (d dataDir) AccessLogPath() string { return filepath.Join(string(d), accessLogFile) }

// KeysDir is the folder of the adapter's keys; it is private to the server's OS user.
func (d dataDir) KeysDir() string { return filepath.Join(string(d), "keys") }

// AdapterKeyPath is the adapter's private key when the config names none.
func (d dataDir) AdapterKeyPath() string { return filepath.Join(d.KeysDir(), "adapter.key") }

// AdapterCertPath is the adapter's certificate when the config names none.
func (d dataDir) AdapterCertPath() string { return filepath.Join(d.KeysDir(), "adapter.crt") }

// SubjectKeyPath is the access log's HMAC key for data subjects.
func (d dataDir) SubjectKeyPath() string { return filepath.Join(d.KeysDir(), "subject-hmac.key") }

// AdminSocketPath is the Unix socket a running server serves backups on.
func (d dataDir) AdminSocketPath() string { return filepath.Join(string(d), "admin.sock") }

// subjectKeyBytes is the least length of the subject HMAC key, as the
// access log requires (HMAC-SHA256 with a full-strength key).
const subjectKeyBytes = 32

// loadSubjectKey reads the subject HMAC key, hex text, from path. It is the
// one reader of that file: the server and the audit tool accept the same keys.
func loadSubjectKey(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("subject HMAC key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) < subjectKeyBytes {
		return nil, fmt.Errorf("subject HMAC key %s: want at least %d bytes as hex", path, subjectKeyBytes)
	}
	return key, nil
}

// createSubjectKey writes a random subject HMAC key to path unless the file
// exists, and reports whether it made one. Losing the key makes the
// citizens' access histories unreadable, so an existing one is never replaced.
func createSubjectKey(path string) (bool, error) {
	key := make([]byte, subjectKeyBytes)
	_, _ = rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("subject HMAC key: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return false, fmt.Errorf("subject HMAC key: %w", err)
	}
	return true, nil
}
