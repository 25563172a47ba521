package soap

import "testing"

// BenchmarkDecode measures parsing a getPerson request into an Envelope:
// the prescan of untrusted bytes, the XML tree and the X-Road headers.
func BenchmarkDecode(b *testing.B) {
	raw := readFile(b, "../testdata/requests/getPerson-found.xml")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := Decode(raw, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSigned measures parsing a signed request (6.8 KB, its
// WS-Security header included), the XML the server reads per call.
func BenchmarkParseSigned(b *testing.B) {
	raw := readFile(b, "../testdata/attacks/certificate-of-another-member.xml")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := ParseXML(raw, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
