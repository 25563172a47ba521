package adapter

import (
	"context"
	"errors"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// TaxpayerSource is the taxpayer register as the tax cabinet's service
// reads it. Taxpayer fails with registry.ErrNotFound for an INN that is
// not in the register.
type TaxpayerSource interface {
	Taxpayer(ctx context.Context, inn string) (registry.TaxpayerView, error)
}

// taxpayerNodes describe a taxpayer as the cabinet shows it (seed 002 §4).
var taxpayerNodes = []node[registry.Taxpayer]{
	text("inn", func(t registry.Taxpayer) string { return t.INN }),
	text("type", func(t registry.Taxpayer) string { return string(t.Type) }).Doc("individual or entity"),
	text("name", func(t registry.Taxpayer) string { return t.Name }),
	text("taxOffice", func(t registry.Taxpayer) string { return t.TaxOffice }).Doc("code of the tax office (Код МСКБ), 3 digits"),
	group("address", func(t registry.Taxpayer) (registry.Address, bool) { return t.Address, true }, addressNodes...).
		Doc("registered residence of an individual, legal address of an entity"),
	date("registered", func(t registry.Taxpayer) registry.Date { return t.Registered }),
	text("status", func(t registry.Taxpayer) string { return string(t.Status) }).Doc("active, suspended or liquidated"),
}

// boundEntityNodes describe a legal entity bound to an individual.
var boundEntityNodes = []node[registry.BoundEntity]{
	text("inn", func(e registry.BoundEntity) string { return e.Entity.INN }),
	text("name", func(e registry.BoundEntity) string { return e.Entity.Name }),
	text("taxOffice", func(e registry.BoundEntity) string { return e.Entity.TaxOffice }),
	text("status", func(e registry.BoundEntity) string { return string(e.Entity.Status) }).Doc("the entity's: active, suspended or liquidated"),
	text("binding", func(e registry.BoundEntity) string { return string(e.Binding.Status) }).
		Doc("pending (awaiting the tax inspector) or approved"),
	date("boundSince", func(e registry.BoundEntity) registry.Date { return e.Binding.Since }),
}

// taxpayerServices returns getTaxpayer.
func taxpayerServices(src TaxpayerSource, now func() time.Time) []*Service {
	type view = registry.TaxpayerView
	return []*Service{
		serve(op[view]{
			code: "getTaxpayer", version: "v1", namespace: Namespace,
			title: "Taxpayer by INN: name, type, tax office, address, status, and an individual's bound legal entities",
			args:  []field{arg("inn")},
			reply: answerOf(
				group("taxpayer", func(v view) (registry.Taxpayer, bool) { return v.Taxpayer, true }, taxpayerNodes...),
				group("entities", func(v view) ([]registry.BoundEntity, bool) { return v.Entities, len(v.Entities) > 0 },
					list("entity", func(es []registry.BoundEntity) []registry.BoundEntity { return es }, boundEntityNodes...),
				).Optional().Doc("the legal entities bound to an individual"),
			),
			handle: func(ctx context.Context, call *Call) (view, error) {
				inn, kind, err := call.INN("inn", now())
				if err != nil {
					return view{}, err
				}
				v, err := src.Taxpayer(ctx, inn)
				switch {
				case errors.Is(err, registry.ErrNotFound) && kind == registry.TaxpayerIndividual:
					return v, refuse(OutcomeNotTaxpayer)
				case errors.Is(err, registry.ErrNotFound):
					return v, refuse(OutcomeTaxpayerNotFound)
				}
				return v, err
			},
		}),
	}
}
