// Package softhsm sets up a throwaway SoftHSM2 token for tests of keys held
// through PKCS #11 (Debian package softhsm2, which `make interop-deps`
// installs). Without SoftHSM2 a test skips on a developer's machine and
// fails under CI (package testenv).
package softhsm

import (
	"crypto"
	"crypto/elliptic"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ThalesGroup/crypto11"
	"github.com/darbaza/darbaza/internal/testenv"
)

// modulePaths are where Debian and others put SoftHSM2's PKCS #11 library.
var modulePaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// Token is an initialised SoftHSM2 token in a temporary folder.
type Token struct {
	Module, Label, PIN string
	// Conf is the SOFTHSM2_CONF file; set it in the environment of any
	// process that must see the token.
	Conf string
}

// New makes a token labelled label, and points this process's SOFTHSM2_CONF
// at it (tb.Setenv).
func New(tb testing.TB, label string) Token {
	tb.Helper()
	module := ""
	for _, p := range modulePaths {
		if _, err := os.Stat(p); err == nil {
			module = p
			break
		}
	}
	var missing error
	if module == "" {
		missing = errors.New("no libsofthsm2.so found; install the Debian package softhsm2 (make interop-deps)")
	} else if _, err := exec.LookPath("softhsm2-util"); err != nil {
		missing = err
	}
	testenv.Require(tb, "SoftHSM2", missing)
	dir := tb.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		tb.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("SOFTHSM2_CONF", conf)
	t := Token{Module: module, Label: label, PIN: "4711", Conf: conf}
	cmd := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", t.PIN, "--so-pin", "8642")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return t
}

// GenerateECDSA makes an ECDSA P-256 key pair labelled label in the token
// and returns its public key.
func (t Token) GenerateECDSA(tb testing.TB, label string) crypto.PublicKey {
	tb.Helper()
	ctx, err := crypto11.Configure(&crypto11.Config{Path: t.Module, TokenLabel: t.Label, Pin: t.PIN})
	if err != nil {
		tb.Fatal(err)
	}
	defer ctx.Close()
	s, err := ctx.GenerateECDSAKeyPairWithLabel([]byte(label), []byte(label), elliptic.P256())
	if err != nil {
		tb.Fatal(err)
	}
	return s.Public()
}

// URI is the PKCS #11 URI of the key labelled object in the token.
func (t Token) URI(object string) string {
	return fmt.Sprintf("pkcs11:token=%s;object=%s?module-path=%s&pin-value=%s", t.Label, object, t.Module, t.PIN)
}
