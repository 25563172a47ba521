package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/registry"
)

// registerTest is one case of the suite, as Run's table holds them.
type registerTest = struct {
	name string
	fn   func(t *testing.T, s registry.Store)
}

// taxpayerTests pin registry.TaxpayerTx and run the taxpayer rules.
var taxpayerTests = []registerTest{
	{"taxpayers: a taxpayer and a binding read back with every field", testTaxpayerRoundTrip},
	{"taxpayers: an INN not stored is not found, a PIN without bindings has none", testTaxpayerNotFound},
	{"taxpayers: a put replaces the record under its key and says so", testTaxpayerReplace},
	{"taxpayers: BindingsOf lists exactly one person's, at once in its own transaction", testBindingsOf},
	{"taxpayers: puts in View fail as read-only", testTaxpayerViewIsReadOnly},
	{"rules: an import of taxpayers and bindings is read back through ReadTaxpayer", testTaxpayerImport},
	{"rules: a binding to an unknown entity rejects the batch and writes nothing", testTaxpayerRejectedBatch},
}

var (
	soft = registry.Taxpayer{INN: "01205201010017", Type: registry.TaxpayerEntity, Name: "«Ала-Тоо Софт» ЖЧК", TaxOffice: "002",
		Address:    registry.Address{Region: registry.RegionBishkek, Settlement: "Бишкек шаары", Street: "Чүй проспекти", House: "219"},
		Registered: registry.NewDate(2010, 5, 12), Status: registry.TaxpayerActive}
	agro = registry.Taxpayer{INN: "02403201510029", Type: registry.TaxpayerEntity, Name: "«Нарын Агро» ЖЧК", TaxOffice: "041",
		Address:    registry.Address{Region: registry.RegionNaryn, Settlement: "Нарын шаары"},
		Registered: registry.NewDate(2015, 3, 24), Status: registry.TaxpayerSuspended}
	ownerTaxpayer = registry.Taxpayer{INN: owner.PIN, Type: registry.TaxpayerIndividual, Name: "Асанов Азамат", TaxOffice: "003",
		Address:    house.Address,
		Registered: registry.NewDate(2012, 4, 16), Status: registry.TaxpayerActive}
	bindSoft = registry.Binding{PIN: owner.PIN, EntityINN: soft.INN, Status: registry.BindingApproved, Since: registry.NewDate(2016, 9, 1)}
	bindAgro = registry.Binding{PIN: owner.PIN, EntityINN: agro.INN, Status: registry.BindingPending, Since: registry.NewDate(2026, 10, 20)}
)

func putTaxpayers(tx registry.Tx, ts []registry.Taxpayer, bs []registry.Binding) error {
	for _, tp := range ts {
		if _, err := tx.PutTaxpayer(tp); err != nil {
			return err
		}
	}
	for _, b := range bs {
		if _, err := tx.PutBinding(b); err != nil {
			return err
		}
	}
	return nil
}

func testTaxpayerRoundTrip(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error {
		return putTaxpayers(tx, []registry.Taxpayer{ownerTaxpayer, agro}, []registry.Binding{bindAgro})
	})
	view(t, s, func(tx registry.Tx) error {
		for _, want := range []registry.Taxpayer{ownerTaxpayer, agro} {
			if got, err := tx.Taxpayer(want.INN); err != nil || got != want {
				t.Errorf("Taxpayer(%s) = %+v, %v\nwant %+v", want.INN, got, err, want)
			}
		}
		if got, err := tx.BindingsOf(owner.PIN); err != nil || len(got) != 1 || got[0] != bindAgro {
			t.Errorf("BindingsOf = %+v, %v; want %+v", got, err, bindAgro)
		}
		return nil
	})
}

func testTaxpayerNotFound(t *testing.T, s registry.Store) {
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.Taxpayer(soft.INN); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Taxpayer of an empty store: %v, want ErrNotFound", err)
		}
		if bs, err := tx.BindingsOf(owner.PIN); err != nil || len(bs) != 0 {
			t.Errorf("BindingsOf of an empty store = %v, %v", bs, err)
		}
		return nil
	})
}

func testTaxpayerReplace(t *testing.T, s registry.Store) {
	update(t, s, func(tx registry.Tx) error {
		return putTaxpayers(tx, []registry.Taxpayer{soft}, []registry.Binding{bindSoft})
	})
	liquidated := soft
	liquidated.Status = registry.TaxpayerLiquidated
	approved := bindSoft
	approved.Status = registry.BindingPending
	update(t, s, func(tx registry.Tx) error {
		if replaced, err := tx.PutTaxpayer(liquidated); err != nil || !replaced {
			t.Errorf("PutTaxpayer over a stored one = %v, %v; want replaced", replaced, err)
		}
		if replaced, err := tx.PutBinding(approved); err != nil || !replaced {
			t.Errorf("PutBinding over a stored one = %v, %v; want replaced", replaced, err)
		}
		if replaced, err := tx.PutTaxpayer(agro); err != nil || replaced {
			t.Errorf("PutTaxpayer of a new one = %v, %v; want not replaced", replaced, err)
		}
		return nil
	})
	view(t, s, func(tx registry.Tx) error {
		if got, _ := tx.Taxpayer(soft.INN); got != liquidated {
			t.Errorf("Taxpayer = %+v, want the replacement", got)
		}
		if got, _ := tx.BindingsOf(owner.PIN); len(got) != 1 || got[0] != approved {
			t.Errorf("BindingsOf = %+v, want the replacement alone", got)
		}
		return nil
	})
}

func testBindingsOf(t *testing.T, s registry.Store) {
	other := registry.Binding{PIN: wife.PIN, EntityINN: soft.INN, Status: registry.BindingApproved, Since: registry.NewDate(2020, 1, 1)}
	update(t, s, func(tx registry.Tx) error {
		if err := putTaxpayers(tx, nil, []registry.Binding{bindSoft, other}); err != nil {
			return err
		}
		// Read your writes, before the commit.
		got, err := tx.BindingsOf(owner.PIN)
		if err != nil || len(got) != 1 || got[0] != bindSoft {
			t.Errorf("BindingsOf in the writing transaction = %+v, %v", got, err)
		}
		_, err = tx.PutBinding(bindAgro)
		return err
	})
	view(t, s, func(tx registry.Tx) error {
		got, err := tx.BindingsOf(owner.PIN)
		entities := []string{}
		for _, b := range got {
			if b.PIN != owner.PIN {
				t.Errorf("BindingsOf(%s) lists a binding of %s", owner.PIN, b.PIN)
			}
			entities = append(entities, b.EntityINN)
		}
		if err != nil || len(got) != 2 || !strings.Contains(strings.Join(entities, " "), agro.INN) || !strings.Contains(strings.Join(entities, " "), soft.INN) {
			t.Errorf("BindingsOf = %+v, %v; want the two of the owner", got, err)
		}
		if got, err := tx.BindingsOf(wife.PIN); err != nil || len(got) != 1 || got[0] != other {
			t.Errorf("BindingsOf(wife) = %+v, %v", got, err)
		}
		return nil
	})
}

func testTaxpayerViewIsReadOnly(t *testing.T, s registry.Store) {
	err := s.View(context.Background(), func(tx registry.Tx) error {
		if _, err := tx.PutTaxpayer(soft); !errors.Is(err, registry.ErrReadOnly) {
			t.Errorf("PutTaxpayer in View: %v, want ErrReadOnly", err)
		}
		if _, err := tx.PutBinding(bindSoft); !errors.Is(err, registry.ErrReadOnly) {
			t.Errorf("PutBinding in View: %v, want ErrReadOnly", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.Taxpayer(soft.INN); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("a put in View was stored: %v", err)
		}
		return nil
	})
}

// taxpayerBatch is the family's batch with the owner as a taxpayer bound
// to two entities.
func taxpayerBatch(t *testing.T, extra ...registry.Record) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(batch(t))
	recs := []registry.Record{
		{Kind: registry.KindTaxpayer, Taxpayer: ownerTaxpayer},
		{Kind: registry.KindTaxpayer, Taxpayer: soft},
		{Kind: registry.KindTaxpayer, Taxpayer: agro},
		{Kind: registry.KindBinding, Binding: bindSoft},
		{Kind: registry.KindBinding, Binding: bindAgro},
	}
	for _, rec := range append(recs, extra...) {
		line, err := registry.EncodeLine(rec)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func testTaxpayerImport(t *testing.T, s registry.Store) {
	reg := newRegistry(s)
	ctx := context.Background()
	rep, err := reg.Import(ctx, strings.NewReader(taxpayerBatch(t)))
	if err != nil || rep.Taxpayers != 3 || rep.Bindings != 2 {
		t.Fatalf("Import = %+v, %v", rep, err)
	}
	v, err := reg.Taxpayer(ctx, owner.PIN)
	if err != nil || v.Taxpayer != ownerTaxpayer || len(v.Entities) != 2 ||
		v.Entities[0].Entity != soft || v.Entities[0].Binding != bindSoft ||
		v.Entities[1].Entity != agro || v.Entities[1].Binding != bindAgro {
		t.Errorf("Taxpayer(owner) = %+v, %v; want the owner and both entities in INN order", v, err)
	}
	if v, err := reg.Taxpayer(ctx, soft.INN); err != nil || v.Taxpayer != soft || len(v.Entities) != 0 {
		t.Errorf("Taxpayer(entity) = %+v, %v", v, err)
	}
	if _, err := reg.Taxpayer(ctx, wife.PIN); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Taxpayer(a person who is not a taxpayer): %v, want ErrNotFound", err)
	}
}

func testTaxpayerRejectedBatch(t *testing.T, s registry.Store) {
	reg := newRegistry(s)
	bad := registry.Binding{PIN: owner.PIN, EntityINN: "09999999999999", Status: registry.BindingApproved, Since: registry.NewDate(2020, 1, 1)}
	rep, err := reg.Import(context.Background(), strings.NewReader(taxpayerBatch(t, registry.Record{Kind: registry.KindBinding, Binding: bad})))
	if !errors.Is(err, registry.ErrInvalidBatch) || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], registry.ErrUnknownTaxpayer) {
		t.Fatalf("Import = %v, %v; want one unknown taxpayer", err, rep.Errors)
	}
	assertEmpty(t, s)
	view(t, s, func(tx registry.Tx) error {
		if _, err := tx.Taxpayer(soft.INN); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("a rejected batch left a taxpayer: %v", err)
		}
		return nil
	})
}
