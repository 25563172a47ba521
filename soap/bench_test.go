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
