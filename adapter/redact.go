package adapter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// pinDigits is the length of a PIN (docs/domain.md): a digit run at least
// this long may be one, or hold one.
const pinDigits = 14

// redactPINs is the one pseudonymisation rule for every caller-controlled
// text the access log or the application log keeps (xrd:id, userId,
// issue, representedParty, the client and service identifiers, fault
// reasons and error texts that quote them).
//
// Every run of pinDigits or more consecutive decimal digits, in any
// Unicode digit form (general category Nd: ASCII, full-width, Arabic-Indic,
// Devanagari, mixed within one run), wherever it stands (alone, or inside
// a longer token such as "KG21505198500123x"), is replaced by "pin:" and
// pseudonym of the run written in ASCII digits. A PIN written in
// full-width digits therefore gets the same pseudonym as the same PIN in
// ASCII, and an auditor holding the subject key still finds its records.
// A run longer than a PIN is pseudonymised whole: it may hide a PIN at
// any offset.
//
// Text is redacted once, from what the caller sent. The rule does not
// recognise its own output: a caller could dress a PIN up as "pin:" and
// hex. (A pseudonym that passes through it again may have a hex digit
// run pseudonymised once more; no PIN is uncovered by that.)
func redactPINs(s string, pseudonym func(pin string) string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsDigit(r) {
			i += size
			continue
		}
		j, count := i, 0
		var ascii strings.Builder
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsDigit(r) {
				break
			}
			ascii.WriteByte('0' + digitValue(r))
			j += size
			count++
		}
		if count >= pinDigits {
			b.WriteString(s[done:i])
			b.WriteString("pin:")
			b.WriteString(pseudonym(ascii.String()))
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

// digitValue is the value 0..9 of a decimal digit r (unicode.IsDigit).
// Unicode lays every decimal digit set out as ten consecutive code points
// from zero to nine, and unicode.Nd's ranges each start at a zero, so a
// digit's value is its offset from its range's start, modulo ten.
func digitValue(r rune) byte {
	if r < utf8.RuneSelf {
		return byte(r - '0')
	}
	for _, rg := range unicode.Nd.R16 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); lo <= r && r <= hi {
			return byte((r - lo) % 10)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); lo <= r && r <= hi {
			return byte((r - lo) % 10)
		}
	}
	return 0 // unreachable for r with unicode.IsDigit(r)
}

// Pseudonymise applies the access log's pseudonymisation rule (see
// redactPINs) to s, with pseudonym the log's keyed HMAC of a PIN
// (accesslog.SubjectID under the subject key): the form in which the log
// stores a caller-controlled field, for an auditor who looks a value up.
func Pseudonymise(s string, pseudonym func(pin string) string) string {
	return redactPINs(s, pseudonym)
}
