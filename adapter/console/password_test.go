package console

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashRoundTrips(t *testing.T) {
	h, err := HashPassword("correct horse battery staple", DefaultArgon2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the default parameters", h)
	}
	p, err := parseHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if !p.matches("correct horse battery staple") {
		t.Fatal("the password does not match its own hash")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", "correct horse battery staple "} {
		if p.matches(wrong) {
			t.Errorf("%q matches", wrong)
		}
	}
	again, _ := HashPassword("correct horse battery staple", DefaultArgon2, nil)
	if again == h {
		t.Fatal("two hashes of one password are equal: the salt is not fresh")
	}
}

func TestHashPasswordRefusesShortPasswords(t *testing.T) {
	if _, err := HashPassword("elevenchars", DefaultArgon2, nil); err == nil {
		t.Fatal("an 11-character password was hashed")
	}
}

func TestParseHashRefusesWhatItCannotTrust(t *testing.T) {
	good, _ := HashPassword("correct horse battery staple", Argon2Params{Memory: 64, Time: 1, Threads: 1}, nil)
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for name, h := range map[string]string{
		"empty":             "",
		"bcrypt":            "$2b$10$abcdefghijklmnopqrstuuHBRmXMKU0Uw3GC3BHXZE0pd0zmXy.Gm",
		"argon2i":           with(1, "argon2i"),
		"old version":       with(2, "v=16"),
		"memory too large":  with(3, "m=4194304,t=1,p=1"),
		"too many passes":   with(3, "m=64,t=1000,p=1"),
		"no threads":        with(3, "m=64,t=1,p=0"),
		"extra parameter":   with(3, "m=64,t=1,p=1,x=2"),
		"padded salt":       with(4, parts[4]+"=="),
		"short salt":        with(4, "AAAA"),
		"short hash":        with(5, "AAAA"),
		"missing hash part": strings.Join(parts[:5], "$"),
	} {
		if _, err := parseHash(h); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: parseHash(%q) = %v, want ErrBadHash", name, h, err)
		}
	}
}

func TestEveryLanguageHasEveryText(t *testing.T) {
	for _, l := range languages {
		if texts[l.code] == nil {
			t.Fatalf("no texts for %s", l.code)
		}
	}
	for code, m := range texts {
		for key := range texts["en"] {
			if m[key] == "" {
				t.Errorf("%s lacks %q", code, key)
			}
		}
		if len(m) != len(texts["en"]) {
			t.Errorf("%s has %d texts, en %d", code, len(m), len(texts["en"]))
		}
	}
}
