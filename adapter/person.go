package adapter

import (
	"context"
	"errors"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// PersonSource is the part of the population registry the person services
// read. Person fails with registry.ErrNotFound for an unknown PIN.
type PersonSource interface {
	Person(ctx context.Context, pin string) (registry.Person, error)
}

// personNodes describe a person as getPerson shows it.
var personNodes = []node[registry.Person]{
	text("pin", func(p registry.Person) string { return p.PIN }),
	text("surname", func(p registry.Person) string { return p.Surname }),
	text("givenName", func(p registry.Person) string { return p.GivenName }),
	text("patronymic", func(p registry.Person) string { return p.Patronymic }).Optional(),
	date("birthDate", func(p registry.Person) registry.Date { return p.BirthDate }),
	text("sex", func(p registry.Person) string { return string(p.Sex) }).Doc("female or male"),
	text("citizenship", func(p registry.Person) string { return string(p.Citizenship) }).Doc("citizen or renounced"),
	boolean("consularRegister", func(p registry.Person) bool { return p.ConsularRegister }).
		Doc("true when the person lives abroad, on the consular register"),
	group("idCard", func(p registry.Person) (registry.IDCard, bool) { return p.IDCard, p.IDCard.Present() },
		text("model", func(c registry.IDCard) string { return string(c.Model) }).Doc("2004, 2017 or 2024"),
		text("number", func(c registry.IDCard) string { return c.Number }),
		date("issued", func(c registry.IDCard) registry.Date { return c.Issued }),
		date("expires", func(c registry.IDCard) registry.Date { return c.Expires }),
	).Optional(),
}

// personServices returns getPerson.
func personServices(src PersonSource, now func() time.Time) []*Service {
	return []*Service{
		serve(op[registry.Person]{
			code: "getPerson", version: "v1", namespace: Namespace,
			title: "Person by PIN: name, birth date, sex, citizenship, ID card",
			args:  []field{arg("pin")},
			reply: answerOf(group("person", always[registry.Person], personNodes...)),
			handle: func(ctx context.Context, call *Call) (registry.Person, error) {
				pin, err := call.PIN("pin", now())
				if err != nil {
					return registry.Person{}, err
				}
				p, err := src.Person(ctx, pin)
				if errors.Is(err, registry.ErrNotFound) {
					return p, refuse(OutcomePersonNotFound)
				}
				return p, err
			},
		}),
	}
}
