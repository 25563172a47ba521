package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrBadHash reports a password hash that is not an argon2id PHC string
// with parameters in the accepted range.
var ErrBadHash = errors.New("console: not an argon2id password hash")

// MinPasswordLen is the shortest password HashPassword accepts, in bytes.
const MinPasswordLen = 12

// Argon2Params are the argon2id cost parameters (RFC 9106, section 3.1).
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultArgon2 are the parameters new hashes get: 19 MiB, 2 passes, one
// thread, the OWASP Password Storage Cheat Sheet's argon2id minimum,
// cheap enough that a few sign-ins at once do not starve the SOAP server.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Bounds a stored hash's parameters must keep, so that a config file
// cannot make every sign-in cost a gigabyte or a minute.
const (
	maxArgon2Memory  = 256 * 1024 // KiB
	maxArgon2Time    = 10
	maxArgon2Threads = 8
	saltLen          = 16
	keyLen           = 32
)

// HashPassword returns password's argon2id hash in the PHC string format
// ("$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH", unpadded standard base64),
// with a fresh 16-byte salt read from random (nil: crypto/rand.Reader).
func HashPassword(password string, p Argon2Params, random io.Reader) (string, error) {
	if len(password) < MinPasswordLen {
		return "", fmt.Errorf("console: a password needs at least %d characters", MinPasswordLen)
	}
	if err := p.check(); err != nil {
		return "", err
	}
	if random == nil {
		random = rand.Reader
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("console: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

func (p Argon2Params) check() error {
	if p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgon2Memory || p.Time < 1 || p.Time > maxArgon2Time ||
		p.Threads < 1 || p.Threads > maxArgon2Threads {
		return fmt.Errorf("%w: parameters m=%d,t=%d,p=%d outside m<=%d t=1..%d p=1..%d",
			ErrBadHash, p.Memory, p.Time, p.Threads, maxArgon2Memory, maxArgon2Time, maxArgon2Threads)
	}
	return nil
}

// passwordHash is a parsed PHC string.
type passwordHash struct {
	params Argon2Params
	salt   []byte
	key    []byte
}

// parseHash reads an argon2id PHC string, refusing other algorithms,
// versions and out-of-range parameters.
func parseHash(s string) (passwordHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return passwordHash{}, fmt.Errorf("%w: want $argon2id$v=%d$m=...,t=...,p=...$salt$hash", ErrBadHash, argon2.Version)
	}
	var h passwordHash
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.params.Memory, &h.params.Time, &threads); n != 3 || err != nil ||
		fmt.Sprintf("m=%d,t=%d,p=%d", h.params.Memory, h.params.Time, threads) != parts[3] || threads > 255 {
		return passwordHash{}, fmt.Errorf("%w: parameters %q", ErrBadHash, parts[3])
	}
	h.params.Threads = uint8(threads)
	if err := h.params.check(); err != nil {
		return passwordHash{}, err
	}
	var err error
	enc := base64.RawStdEncoding.Strict()
	if h.salt, err = enc.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return passwordHash{}, fmt.Errorf("%w: salt", ErrBadHash)
	}
	if h.key, err = enc.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return passwordHash{}, fmt.Errorf("%w: hash", ErrBadHash)
	}
	return h, nil
}

// matches reports, in time independent of where they differ, whether
// password hashes to h.
func (h passwordHash) matches(password string) bool {
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// CheckHash reports whether s is a password hash the console accepts.
func CheckHash(s string) error {
	_, err := parseHash(s)
	return err
}
