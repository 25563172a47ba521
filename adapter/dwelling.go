package adapter

import (
	"context"
	"errors"

	"github.com/darbaza/darbaza/registry"
)

// DwellingSource is the part of the population registry the dwelling
// services read. DwellingResidents fails with registry.ErrNotFound for an
// unknown dwelling.
type DwellingSource interface {
	DwellingResidents(ctx context.Context, dwellingID string) (registry.DwellingResidents, error)
}

// residents is getDwellingResidents' answer: the dwelling asked for and who
// is registered there.
type residents struct {
	dwellingID string
	registry.DwellingResidents
}

// dwellingServices returns getDwellingResidents.
func dwellingServices(src DwellingSource) []*Service {
	type resident = registry.Resident
	return []*Service{
		serve(op[residents]{
			code: "getDwellingResidents", version: "v1", namespace: Namespace,
			title: "Who is registered at a dwelling: count, PINs, names, type, since",
			args:  []field{arg("dwellingId")},
			reply: answerOf(
				text("dwellingId", func(d residents) string { return d.dwellingID }),
				integer("persons", func(d residents) int { return d.Persons }).Doc("distinct persons registered now"),
				list("resident", func(d residents) []resident { return d.Residents },
					text("pin", func(r resident) string { return r.PIN }),
					text("surname", func(r resident) string { return r.Surname }),
					text("givenName", func(r resident) string { return r.GivenName }),
					text("patronymic", func(r resident) string { return r.Patronymic }).Optional(),
					text("type", func(r resident) string { return string(r.Type) }),
					date("since", func(r resident) registry.Date { return r.Since }),
					date("until", func(r resident) registry.Date { return r.Until }).Optional(),
				).Optional(),
			),
			handle: func(ctx context.Context, call *Call) (residents, error) {
				id, err := call.DwellingID("dwellingId")
				if err != nil {
					return residents{}, err
				}
				d, err := src.DwellingResidents(ctx, id)
				if errors.Is(err, registry.ErrNotFound) {
					return residents{}, refuse(OutcomeDwellingNotFound)
				}
				if err != nil {
					return residents{}, err
				}
				for _, r := range d.Residents {
					call.Subject(r.PIN)
				}
				return residents{id, d}, nil
			},
		}),
	}
}
