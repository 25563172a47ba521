package adapter

import "testing"

func TestRedactPINs(t *testing.T) {
	fake := func(pin string) string { return "H(" + pin + ")" }
	tests := []struct{ in, want string }{
		{"KG21505198500123", "KGpin:H(21505198500123)"},
		{"21505198500123", "pin:H(21505198500123)"},
		{"a 21505198500123 and 10203199000456", "a pin:H(21505198500123) and pin:H(10203199000456)"},
		{"21505198500123 10203199000456", "pin:H(21505198500123) pin:H(10203199000456)"},
		{"x:21505198500123", "x:pin:H(21505198500123)"},
		{"EE:PIN:abc4567", "EE:PIN:abc4567"},
		{"215051985001234", "pin:H(215051985001234)"}, // 15 digits may hide a PIN
		{"", ""},
	}
	for _, tt := range tests {
		if got := redactPINs(tt.in, fake); got != tt.want {
			t.Errorf("redactPINs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
