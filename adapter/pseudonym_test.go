package adapter

import (
	"strings"
	"testing"
	"unicode"
)

func fakePseudonym(pin string) string {
	// A stand-in of the real pseudonym's shape: 64 lower-case hex digits.
	return strings.Repeat("ab", 25) + pin
}

func TestRedactPINsCatchesEveryDigitRunOfPINLengthOrLonger(t *testing.T) {
	p := func(pin string) string { return "pin:" + fakePseudonym(pin) }
	tests := []struct{ name, in, want string }{
		{"a PIN alone", "21505198500123", p("21505198500123")},
		{"a PIN inside a token", "KG21505198500123x", "KG" + p("21505198500123") + "x"},
		{"two PINs", "a 21505198500123,10203199000456", "a " + p("21505198500123") + "," + p("10203199000456")},
		{"a 15-digit run is pseudonymised whole", "215051985001234", p("215051985001234")},
		{"full-width digits", "ID２１５０５１９８５００１２３", "ID" + p("21505198500123")},
		{"Arabic-Indic digits", "٢١٥٠٥١٩٨٥٠٠١٢٣", p("21505198500123")},
		{"Devanagari and ASCII mixed in one run", "२१५०५१९८५००123", p("21505198500123")},
		{"mathematical bold digits", "𝟐𝟏𝟓𝟎𝟓𝟏𝟗𝟖𝟓𝟎𝟎𝟏𝟐𝟑", p("21505198500123")},
		{"13 digits are not a PIN", "2150519850012", "2150519850012"},
		{"superscripts are not decimal digits", "²¹⁵⁰⁵¹⁹⁸⁵⁰⁰¹²³", "²¹⁵⁰⁵¹⁹⁸⁵⁰⁰¹²³"},
		{"short runs split by separators stay", "2150-5198-5001-23", "2150-5198-5001-23"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactPINs(tt.in, fakePseudonym); got != tt.want {
				t.Errorf("redactPINs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactPINsDoesNotTrustTextThatLooksLikeAPseudonym(t *testing.T) {
	// A caller may send "pin:" and hex digits with a PIN at the end.
	in := "pin:" + strings.Repeat("ab", 25) + "21505198500123"
	if got, want := redactPINs(in, fakePseudonym), "pin:"+strings.Repeat("ab", 25)+"pin:"+fakePseudonym("21505198500123"); got != want {
		t.Errorf("redactPINs(%q) = %q, want %q", in, got, want)
	}
}

// digitValue relies on every unicode.Nd range being whole sets of ten
// digits, zero first; a Unicode table that breaks this fails here.
func TestUnicodeDecimalDigitRangesAreSetsOfTen(t *testing.T) {
	check := func(lo, hi, stride uint32) {
		if stride != 1 || (hi-lo+1)%10 != 0 {
			t.Errorf("unicode.Nd range %U..%U (stride %d) is not whole sets of ten", lo, hi, stride)
		}
		for r := lo; r <= hi; r++ {
			if !unicode.IsDigit(rune(r)) || digitValue(rune(r)) != byte((r-lo)%10) {
				t.Fatalf("digitValue(%U) = %d", r, digitValue(rune(r)))
			}
		}
	}
	for _, rg := range unicode.Nd.R16 {
		check(uint32(rg.Lo), uint32(rg.Hi), uint32(rg.Stride))
	}
	for _, rg := range unicode.Nd.R32 {
		check(rg.Lo, rg.Hi, rg.Stride)
	}
}

func FuzzRedactPINsLeavesNoDigitRunOfPINLength(f *testing.F) {
	for _, s := range []string{"KG21505198500123", "２１５０５１９８５００１２３", "pin:" + strings.Repeat("7", 64) + "1", "a1b2", "٢١٥٠٥١٩٨٥٠٠١٢٣x"} {
		f.Add(s)
	}
	// A pseudonym without digits, so that any digit run in the output
	// came from the input.
	pseudo := func(string) string { return strings.Repeat("x", 64) }
	f.Fuzz(func(t *testing.T, s string) {
		out := redactPINs(s, pseudo)
		if run := longestDigitRun(out); run >= pinDigits {
			t.Errorf("redactPINs(%q) = %q holds a digit run of %d", s, out, run)
		}
		if longestDigitRun(s) < pinDigits && out != s {
			t.Errorf("redactPINs(%q) = %q changed text without a PIN-length run", s, out)
		}
	})
}

// longestDigitRun is the property the rule promises, measured
// independently of its implementation's scanning.
func longestDigitRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
