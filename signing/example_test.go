package signing_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// An X-Road 4.0 request before signing.
const unsigned = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers"
    xmlns:reg="http://population.tunduk.kg/registry/v1">
  <soapenv:Header>
    <xrd:client id:objectType="SUBSYSTEM">
      <id:xRoadInstance>central-server</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
      <id:memberCode>70000002</id:memberCode><id:subsystemCode>portal</id:subsystemCode>
    </xrd:client>
    <xrd:service id:objectType="SERVICE">
      <id:xRoadInstance>central-server</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
      <id:memberCode>70000001</id:memberCode><id:subsystemCode>population-registry</id:subsystemCode>
      <id:serviceCode>getPerson</id:serviceCode><id:serviceVersion>v1</id:serviceVersion>
    </xrd:service>
    <xrd:id>7d3c1a8e-5f0b-4e4a-9a51-3c2d1e0f9b8a</xrd:id>
    <xrd:protocolVersion>4.0</xrd:protocolVersion>
  </soapenv:Header>
  <soapenv:Body>
    <reg:getPerson><reg:pin>21201198800123</reg:pin></reg:getPerson>
  </soapenv:Body>
</soapenv:Envelope>`

// A member signs a request with its key; the adapter, which has the
// member's certificate in its trust store, checks it.
func Example_signAndVerify() {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	const portal = "central-server/GOV/70000002/portal"

	// The member's key and certificate; in practice made by 'darbaza keygen'
	// and read with signing.LoadKeyPair.
	key, err := signing.GenerateKey(signing.KeyECDSAP256)
	if err != nil {
		panic(err)
	}
	cert, err := signing.SelfSignedCertificate(key, portal, 365*24*time.Hour, now)
	if err != nil {
		panic(err)
	}

	// Member side: sign the Body, every X-Road header and the Timestamp.
	doc, err := soap.ParseXML([]byte(unsigned), soap.DefaultLimits)
	if err != nil {
		panic(err)
	}
	parts, err := signing.SignedParts(doc)
	if err != nil {
		panic(err)
	}
	signer := &signing.Signer{Key: key, Certificate: cert, Now: clock}
	if err := signer.Sign(doc, parts); err != nil {
		panic(err)
	}
	signed, err := signing.Marshal(doc)
	if err != nil {
		panic(err)
	}

	// Adapter side: decode, then check the signature against the trust
	// store for the client the request names, requiring that it covers
	// everything the handler will read.
	trust := signing.NewTrustStore()
	trust.Add(portal, cert, false)
	policy := &signing.Policy{Trust: trust, Now: clock}
	check := func(raw []byte) (*signing.Verified, *soap.Envelope, error) {
		env, err := soap.Decode(raw, soap.DefaultLimits)
		if err != nil {
			return nil, nil, err
		}
		v, err := policy.Check(env.Doc, env.Headers.Client.String(), append(env.XRoadHeaders, env.Body))
		return v, env, err
	}
	v, env, err := check(signed)
	if err != nil {
		panic(err)
	}
	fmt.Println("signed by:", v.Member)
	fmt.Println("method:   ", v.SignatureMethod)
	fmt.Println("covers the PIN read:", v.Covers(env.Payload.SelectElement("pin")))

	// One changed digit of the PIN breaks the Body's digest.
	tampered := bytes.Replace(signed, []byte("21201198800123"), []byte("21201198800124"), 1)
	_, _, err = check(tampered)
	fmt.Println("tampered:", errors.Is(err, signing.ErrDigestMismatch))

	// The same request an hour later is stale.
	now = now.Add(time.Hour)
	_, _, err = check(signed)
	fmt.Println("an hour later:", errors.Is(err, signing.ErrTimestampExpired))
	// Output:
	// signed by: central-server/GOV/70000002/portal
	// method:    http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256
	// covers the PIN read: true
	// tampered: true
	// an hour later: true
}
