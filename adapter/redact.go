package adapter

import "strings"

// redactPINs replaces every PIN-shaped run of exactly 14 digits in s with
// "pin:" and its keyed pseudonym, so that free-text header fields (userId is
// often "KG" + the user's PIN) never put a raw PIN into the access log,
// while an auditor holding the key can still find a person's records.
func redactPINs(s string, pseudonym func(pin string) string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j-i == 14 {
			b.WriteString(s[done:i])
			b.WriteString("pin:")
			b.WriteString(pseudonym(s[i:j]))
			done = j
		}
		i = j
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
