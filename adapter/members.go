package adapter

import "slices"

// Members holds the access rights from the config: which client may call
// which service. Meta services are open to every listed member.
type Members struct {
	rights map[string][]string
}

// NewMembers returns rights for client id (INSTANCE/CLASS/CODE[/SUBSYSTEM]) -> service codes.
func NewMembers(rights map[string][]string) *Members {
	return &Members{rights: rights}
}

// Allowed reports whether client may call service.
func (m *Members) Allowed(client, service string) bool {
	list, ok := m.rights[client]
	if !ok {
		return false
	}
	return isMeta(service) || slices.Contains(list, service)
}
