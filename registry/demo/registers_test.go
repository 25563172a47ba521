package demo

import (
	"context"
	"errors"
	"testing"

	"github.com/darbaza/darbaza/registry"
)

func TestTheFixedTaxpayerAndApostilleRecords(t *testing.T) {
	s, rep := loadDefault(t)
	ctx := context.Background()
	if rep.Taxpayers != len(fixedTaxpayers) || rep.Bindings != len(fixedBindings) ||
		rep.Officials != len(fixedOfficials) || rep.Apostilles != len(fixedApostilles()) {
		t.Errorf("report = %+v", rep)
	}
	t.Run("PINFound is a taxpayer bound to two entities", func(t *testing.T) {
		v, err := s.Taxpayer(ctx, PINFound)
		if err != nil || len(v.Entities) != 2 || v.Entities[0].Entity.INN != INNEntitySoft || v.Entities[1].Entity.INN != INNEntityAgro ||
			v.Entities[0].Binding.Status != registry.BindingApproved || v.Entities[1].Binding.Status != registry.BindingPending {
			t.Errorf("Taxpayer(PINFound) = %+v, %v", v, err)
		}
	})
	t.Run("PINNotTaxpayer is a person but not a taxpayer", func(t *testing.T) {
		if _, err := s.Person(ctx, PINNotTaxpayer); err != nil {
			t.Errorf("Person: %v", err)
		}
		if _, err := s.Taxpayer(ctx, PINNotTaxpayer); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Taxpayer: %v, want ErrNotFound", err)
		}
	})
	t.Run("the liquidated entity and the unknown INN", func(t *testing.T) {
		if v, err := s.Taxpayer(ctx, INNEntityLiquidated); err != nil || v.Taxpayer.Status != registry.TaxpayerLiquidated {
			t.Errorf("Taxpayer(INNEntityLiquidated) = %+v, %v", v, err)
		}
		if _, err := s.Taxpayer(ctx, INNEntityNotFound); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Taxpayer(INNEntityNotFound): %v", err)
		}
	})
	t.Run("the two apostilles are found by number and date", func(t *testing.T) {
		for _, c := range []struct{ number, date, app string }{
			{ApostilleIssued, ApostilleIssuedDate, ApplicationIssued},
			{ApostilleSpecimens, ApostilleSpecimensDate, ApplicationSpecimens},
		} {
			d, err := registry.ParseDate(c.date)
			if err != nil {
				t.Fatal(err)
			}
			a, err := s.Apostille(ctx, c.number, d)
			if err != nil || a.Application.Number != c.app {
				t.Errorf("Apostille(%s, %s) = %+v, %v", c.number, c.date, a, err)
			}
		}
	})
	t.Run("the entered documents' signers were authorised", func(t *testing.T) {
		for _, a := range fixedApostilles() {
			ok := false
			for _, o := range fixedOfficials {
				ok = ok || o.Name == a.Application.Signer.Name && o.Body == a.Application.Signer.Body && o.AuthorisedOn(a.Application.Document.Issued)
			}
			if !ok {
				t.Errorf("entry %s: its signer is not authorised on the document's date", a.Number)
			}
		}
	})
}
