package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/registry"
)

func TestParseINN(t *testing.T) {
	tests := []struct {
		name    string
		inn     string
		want    registry.TaxpayerType
		wantErr error
	}{
		{"an individual's INN is their PIN", "21505198500123", registry.TaxpayerIndividual, nil},
		{"an INN that starts with 0 is an entity's", "01205201010017", registry.TaxpayerEntity, nil},
		{"13 digits are too few", "0120520101001", "", registry.ErrInvalidINN},
		{"15 digits are too many", "012052010100170", "", registry.ErrInvalidINN},
		{"a letter is not a digit", "0120520101001A", "", registry.ErrInvalidINN},
		{"an individual's INN must be a valid PIN", "21513198500123", "", registry.ErrPINBirthDate},
		{"an INN starting with 3 is nobody's", "31505198500123", "", registry.ErrPINSexDigit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := registry.ParseINN(tt.inn, testNow)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("ParseINN(%q) = %q, %v; want %q, %v", tt.inn, got, err, tt.want, tt.wantErr)
			}
			if tt.wantErr != nil && !errors.Is(err, registry.ErrInvalidINN) {
				t.Errorf("error %v does not wrap ErrInvalidINN", err)
			}
		})
	}
}

func validTaxpayer() registry.Taxpayer {
	return registry.Taxpayer{INN: "01205201010017", Type: registry.TaxpayerEntity, Name: "«Ала-Тоо Софт» ЖЧК", TaxOffice: "002",
		Address:    registry.Address{Region: registry.RegionBishkek, Settlement: "Бишкек шаары", Street: "Чүй проспекти", House: "219"},
		Registered: registry.NewDate(2010, 5, 12), Status: registry.TaxpayerActive}
}

func TestTaxpayerValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*registry.Taxpayer)
		wantErr error
	}{
		{"a complete entity is valid", func(*registry.Taxpayer) {}, nil},
		{"an individual with a PIN is valid", func(tp *registry.Taxpayer) {
			tp.INN, tp.Type = "21505198500123", registry.TaxpayerIndividual
		}, nil},
		{"the type must agree with the INN", func(tp *registry.Taxpayer) { tp.Type = registry.TaxpayerIndividual }, registry.ErrPINMismatch},
		{"an unknown type is refused", func(tp *registry.Taxpayer) { tp.Type = "company" }, registry.ErrInvalidValue},
		{"the name is required", func(tp *registry.Taxpayer) { tp.Name = "" }, registry.ErrMissingField},
		{"the tax office code has three digits", func(tp *registry.Taxpayer) { tp.TaxOffice = "02" }, registry.ErrInvalidValue},
		{"the tax office code is required", func(tp *registry.Taxpayer) { tp.TaxOffice = "" }, registry.ErrMissingField},
		{"the address needs a region", func(tp *registry.Taxpayer) { tp.Address.Region = "" }, registry.ErrMissingField},
		{"the address needs a settlement", func(tp *registry.Taxpayer) { tp.Address.Settlement = "" }, registry.ErrMissingField},
		{"the registration date may not be in the future", func(tp *registry.Taxpayer) { tp.Registered = registry.NewDate(2027, 1, 1) }, registry.ErrFutureDate},
		{"an unknown status is refused", func(tp *registry.Taxpayer) { tp.Status = "dormant" }, registry.ErrInvalidValue},
		{"a malformed INN is refused", func(tp *registry.Taxpayer) { tp.INN = "12" }, registry.ErrInvalidINN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := validTaxpayer()
			tt.change(&tp)
			if err := tp.Validate(testNow); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Validate = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestBindingValidate(t *testing.T) {
	ok := registry.Binding{PIN: "21505198500123", EntityINN: "01205201010017", Status: registry.BindingApproved, Since: registry.NewDate(2016, 9, 1)}
	tests := []struct {
		name    string
		change  func(*registry.Binding)
		wantErr error
	}{
		{"a complete binding is valid", func(*registry.Binding) {}, nil},
		{"the person must be an individual", func(b *registry.Binding) { b.PIN = "02403201510029" }, registry.ErrInvalidValue},
		{"the entity must be an entity", func(b *registry.Binding) { b.EntityINN = "21505198500123" }, registry.ErrInvalidValue},
		{"the status is pending or approved", func(b *registry.Binding) { b.Status = "rejected" }, registry.ErrInvalidValue},
		{"the date is required", func(b *registry.Binding) { b.Since = registry.Date{} }, registry.ErrMissingField},
		{"the date may not be in the future", func(b *registry.Binding) { b.Since = registry.NewDate(2027, 1, 1) }, registry.ErrFutureDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ok
			tt.change(&b)
			if err := b.Validate(testNow); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Validate = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestImportOfTaxpayers(t *testing.T) {
	const person = `{"kind":"person","pin":"21505198500123","surname":"Асанов","given_name":"Азамат","birth_date":"1985-05-15","sex":"male","citizenship":"citizen"}`
	const individual = `{"kind":"taxpayer","inn":"21505198500123","type":"individual","name":"Асанов Азамат","tax_office":"003","address":{"region":"bishkek","settlement":"Бишкек шаары"},"registered":"2012-04-16","status":"active"}`
	const entity = `{"kind":"taxpayer","inn":"01205201010017","type":"entity","name":"«Ала-Тоо Софт» ЖЧК","tax_office":"002","address":{"region":"bishkek","settlement":"Бишкек шаары"},"registered":"2010-05-12","status":"active"}`
	const binding = `{"kind":"binding","pin":"21505198500123","entity_inn":"01205201010017","status":"approved","since":"2016-09-01"}`
	tests := []struct {
		name    string
		lines   []string
		wantErr error // of the one bad line; nil: imported
	}{
		{"a person, their taxpayer record, an entity and a binding import", []string{person, individual, entity, binding}, nil},
		{"an individual taxpayer must be a person of the register", []string{individual}, registry.ErrUnknownPerson},
		{"a binding needs both taxpayers", []string{person, individual, binding}, registry.ErrUnknownTaxpayer},
		{"a binding's person must be an individual taxpayer", []string{entity, binding}, registry.ErrUnknownTaxpayer},
		{"a binding repeated in the batch is refused", []string{person, individual, entity, binding, binding}, registry.ErrDuplicateID},
		{"an unknown field is refused", []string{strings.Replace(entity, `"status"`, `"vat":true,"status"`, 1)}, registry.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t)
			rep, err := s.Import(context.Background(), strings.NewReader(strings.Join(tt.lines, "\n")+"\n"))
			if tt.wantErr == nil {
				if err != nil || rep.Taxpayers != 2 || rep.Bindings != 1 {
					t.Fatalf("Import = %+v, %v", rep, err)
				}
				v, err := s.Taxpayer(context.Background(), "21505198500123")
				if err != nil || len(v.Entities) != 1 || v.Entities[0].Entity.Name != "«Ала-Тоо Софт» ЖЧК" {
					t.Errorf("Taxpayer = %+v, %v", v, err)
				}
				return
			}
			if !errors.Is(err, registry.ErrInvalidBatch) || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], tt.wantErr) {
				t.Fatalf("Import = %v, %v; want one line with %v", err, rep.Errors, tt.wantErr)
			}
			if _, err := s.Taxpayer(context.Background(), "01205201010017"); !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("a rejected batch left the entity: %v", err)
			}
		})
	}
}

func TestTaxpayerLookup(t *testing.T) {
	s := openTestStore(t)
	if _, err := s.Taxpayer(context.Background(), "2150519850012"); !errors.Is(err, registry.ErrInvalidINN) {
		t.Errorf("a malformed INN: %v, want ErrInvalidINN", err)
	}
	if _, err := s.Taxpayer(context.Background(), "21505198500123"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("an individual who is not a taxpayer: %v, want ErrNotFound", err)
	}
}
