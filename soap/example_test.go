package soap_test

import (
	"errors"
	"fmt"

	"github.com/darbaza/darbaza/soap"
)

// A request as an X-Road information system sends it to a security server
// (X-Road message protocol 4.0), here unsigned.
const request = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
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
    <xrd:userId>KG21201198800123</xrd:userId>
    <xrd:protocolVersion>4.0</xrd:protocolVersion>
  </soapenv:Header>
  <soapenv:Body>
    <reg:getPerson><reg:pin>21201198800123</reg:pin></reg:getPerson>
  </soapenv:Body>
</soapenv:Envelope>`

func ExampleDecode() {
	env, err := soap.Decode([]byte(request), soap.DefaultLimits)
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	h := env.Headers
	fmt.Println("client: ", h.Client)
	fmt.Println("service:", h.Service)
	fmt.Println("id:     ", h.ID)
	fmt.Println("payload:", env.Payload.Tag, env.Payload.SelectElement("pin").Text())

	// A refusal carries the X-Road fault code the caller gets.
	_, err = soap.Decode([]byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>`), soap.DefaultLimits)
	var fault *soap.Error
	if errors.As(err, &fault) {
		fmt.Println("fault:  ", fault.Code, errors.Is(err, soap.ErrMissingHeader))
	}
	// Output:
	// client:  central-server/GOV/70000002/portal
	// service: central-server/GOV/70000001/population-registry/getPerson/v1
	// id:      7d3c1a8e-5f0b-4e4a-9a51-3c2d1e0f9b8a
	// payload: getPerson 21201198800123
	// fault:   Client.MissingHeaderField true
}
