package certificate_test

import (
	"os"
	"testing"

	"github.com/darbaza/darbaza/adapter/certificate"
	"github.com/darbaza/darbaza/signing"
)

// FuzzVerify feeds Verify arbitrary bytes, seeded with the golden
// certificate. Property: whatever verifies against the golden signer's
// certificate says exactly what the golden certificate says, since no
// change to the signed content may survive.
func FuzzVerify(f *testing.F) {
	golden, err := os.ReadFile("testdata/address-certificate.xml")
	if err != nil {
		f.Fatal(err)
	}
	certs, err := signing.LoadCertificates("testdata/signer.crt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte("<AddressCertificate/>"))
	want := sample()
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := certificate.Verify(raw, certs[0])
		if err != nil {
			return
		}
		got := v.Certificate
		if got.Number != want.Number || got.PIN != want.PIN || got.FullName() != want.FullName() ||
			got.Residence != want.Residence || got.Stay == nil || *got.Stay != *want.Stay ||
			!got.Issued.Equal(want.Issued) || !got.Expires.Equal(want.Expires) || got.Issuer != want.Issuer {
			t.Errorf("verified content differs from the signed one: %+v", got)
		}
	})
}
