package soap

import (
	"testing"

	"github.com/beevik/etree"
)

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

// BenchmarkBytes measures serializing a signed getPerson response (its
// Cyrillic text, base64 token and signature) as the server sends it.
func BenchmarkBytes(b *testing.B) {
	doc, err := ParseXML(readFile(b, "../testdata/responses/getPerson-found.xml"), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	doc.WriteSettings = messageSettings
	m := &Message{Doc: doc}
	b.ReportAllocs()
	for b.Loop() {
		out, err := m.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
	}
}

// BenchmarkNewResponse measures answering a decoded getPerson request: the
// echoed X-Road headers and requestHash (SHA-512 over the request).
func BenchmarkNewResponse(b *testing.B) {
	env, err := Decode(readFile(b, "../testdata/requests/getPerson-found.xml"), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewResponse(env, etree.NewElement("p:getPersonResponse"))
	}
}
