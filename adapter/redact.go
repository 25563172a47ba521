package adapter

import "regexp"

// pinRun matches what could be a PIN: 14 digits not inside a longer number.
var pinRun = regexp.MustCompile(`(^|[^0-9])([0-9]{14})($|[^0-9])`)

// redactPINs replaces every PIN-shaped run of 14 digits in s with
// "pin:" and its keyed pseudonym, so that free-text header fields (userId is
// often "KG" + the user's PIN) never put a raw PIN into the access log,
// while an auditor holding the key can still find a person's records.
func redactPINs(s string, pseudonym func(pin string) string) string {
	if len(s) < 14 {
		return s
	}
	return pinRun.ReplaceAllStringFunc(s, func(m string) string {
		sub := pinRun.FindStringSubmatch(m)
		return sub[1] + "pin:" + pseudonym(sub[2]) + sub[3]
	})
}
