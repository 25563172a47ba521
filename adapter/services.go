package adapter

import (
	"slices"
	"time"
)

// Namespace is the target namespace of the population-registry services, version 1.
const Namespace = "http://population.tunduk.kg/registry/v1"

// Registry is the read side of the population registry: everything the
// person, registration and dwelling services read.
type Registry interface {
	PersonSource
	RegistrationSource
	DwellingSource
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
	)
}
