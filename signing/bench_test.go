package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

// The benchmarks put the cost of signing and verifying a response next to
// the bare public-key operation of the same key, so that the XML overhead
// (canonicalization, digests, tree walking) per message is the difference.

func BenchmarkSign(b *testing.B) {
	for _, kind := range keyKinds {
		b.Run(kind, func(b *testing.B) {
			s := testSigner(b, kind)
			unsigned := parse(b, readTestdata(b, "unsigned/response.xml"))
			b.ReportAllocs()
			for b.Loop() {
				doc := unsigned.Copy() // Sign changes the document
				parts, err := SignedParts(doc)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Sign(doc, parts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, kind := range keyKinds {
		b.Run(kind, func(b *testing.B) {
			s := testSigner(b, kind)
			doc := parse(b, signFixture(b, s, "response.xml"))
			parts, err := SignedParts(doc)
			if err != nil {
				b.Fatal(err)
			}
			p := policyFor(s.Certificate, providerMember)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Check(doc, providerMember, parts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRawSign(b *testing.B) {
	for _, kind := range keyKinds {
		b.Run(kind, func(b *testing.B) {
			s := testSigner(b, kind)
			digest := sha256.Sum256([]byte("SignedInfo"))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRawVerify(b *testing.B) {
	for _, kind := range keyKinds {
		b.Run(kind, func(b *testing.B) {
			s := testSigner(b, kind)
			digest := sha256.Sum256([]byte("SignedInfo"))
			sig, err := s.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				switch pub := s.Key.Public().(type) {
				case *ecdsa.PublicKey:
					if !ecdsa.VerifyASN1(pub, digest[:], sig) {
						b.Fatal("ecdsa verify failed")
					}
				case *rsa.PublicKey:
					if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkCanonicalize measures Exc-C14N of a signed response's Body,
// the largest part a signature covers.
func BenchmarkCanonicalize(b *testing.B) {
	s := testSigner(b, KeyECDSAP256)
	doc := parse(b, signFixture(b, s, "response.xml"))
	body, err := Body(doc)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Canonicalize(body, nil); err != nil {
			b.Fatal(err)
		}
	}
}
