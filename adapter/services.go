package adapter

import (
	"slices"
	"time"
)

// Namespace is the target namespace of the population-registry services, version 1.
const Namespace = "http://population.tunduk.kg/registry/v1"

// Registry is the population registry as the services use it: everything
// the person, registration and dwelling services read, the registration
// applications (application.go), the taxpayer register and the apostille
// register.
type Registry interface {
	PersonSource
	RegistrationSource
	DwellingSource
	ApplicationWriter
	ApplicationSource
	TaxpayerSource
	ApostilleRegister
}

// RegistryServices returns the services answered from the population
// registry and, for getAccessHistory, the access log, in the order
// listMethods lists them. now is the clock PINs are checked against.
func RegistryServices(reg Registry, hist History, now func() time.Time) []*Service {
	return slices.Concat(
		personServices(reg, now),
		registrationServices(reg, now),
		dwellingServices(reg),
		historyServices(hist, now),
		applicationServices(reg, reg, now),
		taxpayerServices(reg, now),
		apostilleServices(reg, now),
	)
}
