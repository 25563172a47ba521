package adapter

import (
	"context"
	"errors"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// RegistrationSource is the part of the population registry the
// registration services read. Registrations fails with
// registry.ErrNotFound for an unknown PIN.
type RegistrationSource interface {
	Registrations(ctx context.Context, pin string) (registry.RegistrationView, error)
}

// addressNodes describe a dwelling's address.
var addressNodes = []node[registry.Address]{
	text("region", func(a registry.Address) string { return string(a.Region) }),
	text("regionName", func(a registry.Address) string { return a.Region.NameKy() }).Doc("in Kyrgyz"),
	text("district", func(a registry.Address) string { return a.District }).Optional(),
	text("settlement", func(a registry.Address) string { return a.Settlement }),
	text("street", func(a registry.Address) string { return a.Street }).Optional(),
	text("house", func(a registry.Address) string { return a.House }).Optional(),
	text("apartment", func(a registry.Address) string { return a.Apartment }).Optional(),
}

// registrationNodes describe one registration at its dwelling.
var registrationNodes = []node[registry.RegistrationEntry]{
	text("id", func(r registry.RegistrationEntry) string { return r.ID }),
	text("type", func(r registry.RegistrationEntry) string { return string(r.Type) }).Doc("residence or stay"),
	date("since", func(r registry.RegistrationEntry) registry.Date { return r.Since }),
	date("until", func(r registry.RegistrationEntry) registry.Date { return r.Until }).Optional().Doc("last day of a stay"),
	date("ended", func(r registry.RegistrationEntry) registry.Date { return r.Ended }).Optional(),
	text("endReason", func(r registry.RegistrationEntry) string {
		if r.Ended.IsZero() {
			return ""
		}
		return string(r.EndReason)
	}).Optional().Doc("new_residence, deregistered or death"),
	text("dwellingId", func(r registry.RegistrationEntry) string { return r.DwellingID }),
	text("dwellingType", func(r registry.RegistrationEntry) string { return string(r.DwellingType) }),
	group("address", func(r registry.RegistrationEntry) (registry.Address, bool) { return r.Address, true }, addressNodes...),
}

// registrationServices returns getRegistration.
func registrationServices(src RegistrationSource, now func() time.Time) []*Service {
	type view = registry.RegistrationView
	type entry = registry.RegistrationEntry
	return []*Service{
		serve(op[view]{
			code: "getRegistration", version: "v1", namespace: Namespace,
			title: "Current residence and stay registration, with history, by PIN",
			args:  []field{arg("pin")},
			reply: answerOf(
				text("pin", func(v view) string { return v.PIN }),
				group("residence", func(v view) (entry, bool) { return present(v.Residence) }, registrationNodes...).Optional(),
				group("stay", func(v view) (entry, bool) { return present(v.Stay) }, registrationNodes...).Optional(),
				group("history", func(v view) ([]entry, bool) { return v.History, len(v.History) > 0 },
					list("registration", func(h []entry) []entry { return h }, registrationNodes...).Optional(),
				).Optional(),
			),
			handle: func(ctx context.Context, call *Call) (view, error) {
				pin, err := call.PIN("pin", now())
				if err != nil {
					return view{}, err
				}
				v, err := src.Registrations(ctx, pin)
				if errors.Is(err, registry.ErrNotFound) {
					return v, refuse(OutcomePersonNotFound)
				}
				return v, err
			},
		}),
	}
}
