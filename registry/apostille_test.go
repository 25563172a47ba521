package registry_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
)

// The rules' own list: tests do not depend on the shipped default.
var testHague = registry.HagueList{AsOf: registry.NewDate(2026, 1, 1), Parties: []string{"DE", "KZ", "AT", "IT"}, Objectors: []string{"AT"}}

var (
	testJudge = registry.Official{ID: "OFF-1", Name: "Жумабаева Айнура", Post: "судья", Body: "Ленин райондук соту", From: registry.NewDate(2019, 6, 1)}
	testClerk = registry.Official{ID: "OFF-2", Name: "Токтогулов Нурлан", Post: "башчы", Body: "ЖАКТ бөлүмү",
		From: registry.NewDate(2018, 3, 1), Until: registry.NewDate(2024, 12, 31)}
)

func testApplication() registry.ApostilleApplication {
	return registry.ApostilleApplication{
		Number: "AP-1",
		Document: registry.ApostilleDocument{Title: "Соттун чечими", Details: "№ 2-45/26", Issued: registry.NewDate(2026, 11, 2),
			Kind: registry.DocOfficial, Issuer: registry.IssuerCourt},
		Signer:    registry.Signatory{Name: testJudge.Name, Post: testJudge.Post, Body: testJudge.Body},
		Country:   "KZ",
		Submitter: registry.Submitter{Name: "Асанов Азамат", IDDocument: "ID1000123"},
		Fee:       registry.FeePayment{Receipt: "№ 778812", Paid: registry.NewDate(2026, 11, 20)},
		PlacedBy:  "Сатыбалдиев Эмил",
	}
}

// openApostilleStore is a registry on testNow with testHague and the two
// officials.
func openApostilleStore(t *testing.T) (*registry.Registry, registry.Store) {
	t.Helper()
	st, err := boltstore.Open(t.TempDir()+"/registry.db", boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(st, registry.Options{Now: fixedClock, Hague: testHague})
	t.Cleanup(func() { reg.Close() })
	err = st.Update(context.Background(), func(tx registry.Tx) error {
		for _, o := range []registry.Official{testJudge, testClerk} {
			if _, err := tx.PutOfficial(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg, st
}

func TestExamineFindsEveryGround(t *testing.T) {
	type G = registry.Ground
	tests := []struct {
		name   string
		change func(*registry.ApostilleApplication)
		want   []G
	}{
		{"a court decision for a party, signed by an authorised judge, passes", func(*registry.ApostilleApplication) {}, nil},
		{"a document of an embassy or consulate (§10 a)", func(a *registry.ApostilleApplication) { a.Document.Issuer = registry.IssuerEmbassy },
			[]G{registry.GroundEmbassyDocument}},
		{"a commercial document (§10 b)", func(a *registry.ApostilleApplication) { a.Document.Kind = registry.DocCommercial },
			[]G{registry.GroundCommercialDocument}},
		{"a customs document (§10 b)", func(a *registry.ApostilleApplication) { a.Document.Kind = registry.DocCustoms },
			[]G{registry.GroundCommercialDocument}},
		{"a founding document a state body issued is the exception", func(a *registry.ApostilleApplication) {
			a.Document.Kind, a.Document.Issuer = registry.DocFounding, registry.IssuerStateBody
		}, nil},
		{"a patent document a state body issued is the exception", func(a *registry.ApostilleApplication) {
			a.Document.Kind, a.Document.Issuer = registry.DocPatent, registry.IssuerStateBody
		}, nil},
		{"a founding document of anyone else is commercial", func(a *registry.ApostilleApplication) {
			a.Document.Kind, a.Document.Issuer = registry.DocFounding, registry.IssuerOther
		}, []G{registry.GroundCommercialDocument}},
		{"a military ID is not to be taken abroad (§10 c)", func(a *registry.ApostilleApplication) { a.Document.Kind = registry.DocMilitaryID },
			[]G{registry.GroundNotForAbroad}},
		{"an ID card is not to be taken abroad", func(a *registry.ApostilleApplication) { a.Document.Kind = registry.DocIDCard },
			[]G{registry.GroundNotForAbroad}},
		{"a passport is not to be taken abroad", func(a *registry.ApostilleApplication) { a.Document.Kind = registry.DocPassport },
			[]G{registry.GroundNotForAbroad}},
		{"a document of another state (§11)", func(a *registry.ApostilleApplication) { a.Document.Issuer = registry.IssuerForeign },
			[]G{registry.GroundForeignDocument}},
		{"an original of the Kyrgyz SSR (§9)", func(a *registry.ApostilleApplication) { a.Document.Issuer = registry.IssuerSoviet },
			[]G{registry.GroundSovietOriginal}},
		{"a notarised copy of a Kyrgyz SSR document may be apostilled", func(a *registry.ApostilleApplication) {
			a.Document.Issuer, a.Document.NotarisedCopy = registry.IssuerSoviet, true
		}, nil},
		{"a destination not party to the Convention (§13 b)", func(a *registry.ApostilleApplication) { a.Country = "CN" },
			[]G{registry.GroundNotConventionParty}},
		{"a destination that objected to Kyrgyzstan's accession (§13 b)", func(a *registry.ApostilleApplication) { a.Country = "AT" },
			[]G{registry.GroundObjectingState}},
		{"an illegible text (§13 c)", func(a *registry.ApostilleApplication) { a.Findings.Illegible = true },
			[]G{registry.GroundIllegible}},
		{"filled in or signed in pencil (§13 d)", func(a *registry.ApostilleApplication) { a.Findings.Pencil = true },
			[]G{registry.GroundPencilOrFax}},
		{"received by fax (§13 d)", func(a *registry.ApostilleApplication) { a.Findings.Fax = true },
			[]G{registry.GroundPencilOrFax}},
		{"pencil and fax are one ground", func(a *registry.ApostilleApplication) { a.Findings.Pencil, a.Findings.Fax = true, true },
			[]G{registry.GroundPencilOrFax}},
		{"unofficial additions or corrections (§13 e)", func(a *registry.ApostilleApplication) { a.Findings.UnofficialAdditions = true },
			[]G{registry.GroundUnofficialAdditions}},
		{"issued in breach of law (§13 f)", func(a *registry.ApostilleApplication) { a.Findings.BreachOfLaw = true },
			[]G{registry.GroundBreachOfLaw}},
		{"a signature or seal not matching the specimen (§13 g)", func(a *registry.ApostilleApplication) { a.Findings.SpecimenMismatch = true },
			[]G{registry.GroundSpecimenMismatch}},
		{"a signer not in the register (§13 h)", func(a *registry.ApostilleApplication) { a.Signer.Name = "Осмонов Бакыт" },
			[]G{registry.GroundSignerNotAuthorised}},
		{"a signer of the register, with another post", func(a *registry.ApostilleApplication) { a.Signer.Post = "төрага" },
			[]G{registry.GroundSignerNotAuthorised}},
		{"a signer of another body", func(a *registry.ApostilleApplication) { a.Signer.Body = testClerk.Body },
			[]G{registry.GroundSignerNotAuthorised}},
		{"a signer whose authority ended before the document", func(a *registry.ApostilleApplication) {
			a.Signer = registry.Signatory{Name: testClerk.Name, Post: testClerk.Post, Body: testClerk.Body}
		}, []G{registry.GroundSignerNotAuthorised}},
		{"a signer within the period of their authority", func(a *registry.ApostilleApplication) {
			a.Signer = registry.Signatory{Name: testClerk.Name, Post: testClerk.Post, Body: testClerk.Body}
			a.Document.Issued = registry.NewDate(2024, 12, 31)
		}, nil},
		{"a signer before their authority began", func(a *registry.ApostilleApplication) { a.Document.Issued = registry.NewDate(2019, 5, 31) },
			[]G{registry.GroundSignerNotAuthorised}},
		{"every ground that applies is reported, in order", func(a *registry.ApostilleApplication) {
			a.Document.Kind, a.Document.Issuer, a.Country = registry.DocPassport, registry.IssuerEmbassy, "AT"
			a.Findings = registry.Findings{Illegible: true, Fax: true, UnofficialAdditions: true, BreachOfLaw: true, SpecimenMismatch: true}
			a.Signer.Name = "Осмонов Бакыт"
		}, []G{registry.GroundEmbassyDocument, registry.GroundNotForAbroad, registry.GroundObjectingState, registry.GroundIllegible,
			registry.GroundPencilOrFax, registry.GroundUnofficialAdditions, registry.GroundBreachOfLaw, registry.GroundSpecimenMismatch,
			registry.GroundSignerNotAuthorised}},
	}
	_, st := openApostilleStore(t)
	rules := registry.ApostilleRules{Hague: testHague}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testApplication()
			tt.change(&a)
			if err := a.Validate(testNow); err != nil {
				t.Fatalf("the case's application is invalid: %v", err)
			}
			var got []registry.Ground
			err := st.View(context.Background(), func(tx registry.Tx) error {
				var err error
				got, err = registry.Examine(tx, a, rules)
				return err
			})
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Examine = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestApostilleApplicationValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*registry.ApostilleApplication)
		wantErr error
	}{
		{"a complete application is valid", func(*registry.ApostilleApplication) {}, nil},
		{"a malformed application number", func(a *registry.ApostilleApplication) { a.Number = "ap 1" }, registry.ErrInvalidID},
		{"an unknown country code", func(a *registry.ApostilleApplication) { a.Country = "XX" }, registry.ErrInvalidValue},
		{"a country in lower case", func(a *registry.ApostilleApplication) { a.Country = "kz" }, registry.ErrInvalidValue},
		{"no country", func(a *registry.ApostilleApplication) { a.Country = "" }, registry.ErrMissingField},
		{"no document title", func(a *registry.ApostilleApplication) { a.Document.Title = "" }, registry.ErrMissingField},
		{"a title of 501 characters", func(a *registry.ApostilleApplication) { a.Document.Title = strings.Repeat("а", 501) }, registry.ErrInvalidValue},
		{"a title of 500 characters", func(a *registry.ApostilleApplication) { a.Document.Title = strings.Repeat("а", 500) }, nil},
		{"a name of 201 characters", func(a *registry.ApostilleApplication) { a.Signer.Name = strings.Repeat("а", 201) }, registry.ErrInvalidValue},
		{"a control character", func(a *registry.ApostilleApplication) { a.PlacedBy = "a\x00b" }, registry.ErrInvalidValue},
		{"no signer body", func(a *registry.ApostilleApplication) { a.Signer.Body = "" }, registry.ErrMissingField},
		{"no fee receipt", func(a *registry.ApostilleApplication) { a.Fee.Receipt = "" }, registry.ErrMissingField},
		{"an unknown document kind", func(a *registry.ApostilleApplication) { a.Document.Kind = "diploma" }, registry.ErrInvalidValue},
		{"an unknown issuer", func(a *registry.ApostilleApplication) { a.Document.Issuer = "bank" }, registry.ErrInvalidValue},
		{"a document issued in the future", func(a *registry.ApostilleApplication) { a.Document.Issued = registry.NewDate(2026, 11, 23) }, registry.ErrFutureDate},
		{"no fee date", func(a *registry.ApostilleApplication) { a.Fee.Paid = registry.Date{} }, registry.ErrMissingField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testApplication()
			tt.change(&a)
			if err := a.Validate(testNow); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Validate = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestWorkingDays(t *testing.T) {
	d := registry.NewDate
	tests := []struct {
		name string
		cal  registry.Calendar
		from registry.Date
		n    int
		want registry.Date
	}{
		{"two days from a Monday end on Wednesday", registry.DefaultCalendar(), d(2026, 11, 16), 2, d(2026, 11, 18)},
		{"two days from a Thursday skip the weekend", registry.DefaultCalendar(), d(2026, 11, 19), 2, d(2026, 11, 23)},
		{"two days from a Sunday end on Tuesday", registry.DefaultCalendar(), d(2026, 11, 22), 2, d(2026, 11, 24)},
		{"the Days of Commemoration are days off", registry.DefaultCalendar(), d(2025, 11, 6), 1, d(2025, 11, 10)},
		{"Nooruz is a day off", registry.DefaultCalendar(), d(2025, 3, 20), 1, d(2025, 3, 24)},
		{"an extra day off from the config counts", calendarWith(t, "2026-11-17"), d(2026, 11, 16), 2, d(2026, 11, 19)},
		{"thirty working days run over the New Year", registry.DefaultCalendar(), d(2026, 11, 22), 30, d(2027, 1, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.AddWorkingDays(tt.from, tt.n); got != tt.want {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestApostilleNumbers(t *testing.T) {
	for _, s := range []string{"2026-000001", "1999-999999"} {
		if y, n, err := registry.ParseApostilleNumber(s); err != nil || registry.FormatApostilleNumber(y, n) != s {
			t.Errorf("ParseApostilleNumber(%q) = %d, %d, %v", s, y, n, err)
		}
	}
	for _, s := range []string{"", "2026-00001", "2026/000001", "2026-000000", "0999-000001", "2026-0000a1", "202-0000001", "+026-000001"} {
		if _, _, err := registry.ParseApostilleNumber(s); !errors.Is(err, registry.ErrInvalidID) {
			t.Errorf("ParseApostilleNumber(%q): %v, want ErrInvalidID", s, err)
		}
	}
}

func TestHagueList(t *testing.T) {
	if err := registry.DefaultHague().Validate(); err != nil {
		t.Errorf("the default list: %v", err)
	}
	if !registry.KnownCountry("KG") || registry.KnownCountry("XX") || registry.KnownCountry("kg") {
		t.Error("KnownCountry does not know ISO 3166-1 alpha-2")
	}
	for _, bad := range []registry.HagueList{
		{AsOf: registry.NewDate(2026, 1, 1), Parties: []string{"XX"}},
		{AsOf: registry.NewDate(2026, 1, 1), Parties: []string{"KG"}},
		{AsOf: registry.NewDate(2026, 1, 1), Parties: []string{"DE"}, Objectors: []string{"AT"}},
		{Parties: []string{"DE"}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted it", bad)
		}
	}
}

func TestRegisterApostille(t *testing.T) {
	ctx := context.Background()
	t.Run("an entry is numbered, dated in Bishkek, due in 2 working days and names its record", func(t *testing.T) {
		reg, _ := openApostilleStore(t)
		var sealed []registry.ApostilleDecision
		d, err := reg.RegisterApostille(ctx, testApplication(), registry.ApostilleWrite{
			Record: func() string { return "rec-1" },
			Seal:   func(_ registry.Tx, d registry.ApostilleDecision) error { sealed = append(sealed, d); return nil },
		})
		want := registry.Apostille{Number: "2026-000001", Date: registry.NewDate(2026, 11, 22), Due: registry.NewDate(2026, 11, 24),
			Application: testApplication(), Record: "rec-1"}
		if err != nil || d.Refused() || len(sealed) != 1 || sealed[0].Entry.Number != want.Number || d.Entry.Record != "rec-1" || d.Entry.Due != want.Due {
			t.Fatalf("RegisterApostille = %+v, %v; sealed %v", d, err, sealed)
		}
		got, err := reg.Apostille(ctx, want.Number, want.Date)
		if err != nil || got.Number != want.Number || got.Record != "rec-1" {
			t.Errorf("Apostille = %+v, %v", got, err)
		}
	})
	t.Run("specimens requested make the term 30 working days", func(t *testing.T) {
		reg, _ := openApostilleStore(t)
		a := testApplication()
		a.SpecimensRequested = true
		d, err := reg.RegisterApostille(ctx, a, registry.ApostilleWrite{})
		if err != nil || d.Entry.Due != registry.NewDate(2027, 1, 4) {
			t.Errorf("due %s, %v; want 2027-01-04", d.Entry.Due, err)
		}
	})
	t.Run("a seal that fails leaves no entry", func(t *testing.T) {
		reg, _ := openApostilleStore(t)
		failed := errors.New("the access log is gone")
		_, err := reg.RegisterApostille(ctx, testApplication(), registry.ApostilleWrite{Seal: func(registry.Tx, registry.ApostilleDecision) error { return failed }})
		if !errors.Is(err, failed) {
			t.Fatalf("RegisterApostille: %v, want the seal's error", err)
		}
		if _, err := reg.Apostille(ctx, "2026-000001", registry.NewDate(2026, 11, 22)); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("an entry whose seal failed was committed: %v", err)
		}
	})
	t.Run("a refusal is not sealed and writes nothing", func(t *testing.T) {
		reg, _ := openApostilleStore(t)
		a := testApplication()
		a.Country = "AT"
		d, err := reg.RegisterApostille(ctx, a, registry.ApostilleWrite{Seal: func(registry.Tx, registry.ApostilleDecision) error {
			t.Error("a refusal was sealed")
			return nil
		}})
		if err != nil || !slices.Equal(d.Grounds, []registry.Ground{registry.GroundObjectingState}) {
			t.Fatalf("RegisterApostille = %+v, %v", d, err)
		}
		if _, err := reg.Apostille(ctx, "2026-000001", registry.NewDate(2026, 11, 22)); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("a refusal made an entry: %v", err)
		}
	})
	t.Run("a malformed application is refused before the store", func(t *testing.T) {
		reg, _ := openApostilleStore(t)
		a := testApplication()
		a.Country = "XX"
		if _, err := reg.RegisterApostille(ctx, a, registry.ApostilleWrite{}); !errors.Is(err, registry.ErrInvalidValue) {
			t.Errorf("RegisterApostille: %v, want ErrInvalidValue", err)
		}
	})
	t.Run("the year of the number is the year in Bishkek", func(t *testing.T) {
		st, err := boltstore.Open(t.TempDir()+"/registry.db", boltstore.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		newYear := time.Date(2026, 12, 31, 19, 30, 0, 0, time.UTC) // 01:30 on 1 January in Bishkek
		reg := registry.New(st, registry.Options{Now: func() time.Time { return newYear }, Hague: testHague})
		defer reg.Close()
		if err := st.Update(ctx, func(tx registry.Tx) error { _, err := tx.PutOfficial(testJudge); return err }); err != nil {
			t.Fatal(err)
		}
		d, err := reg.RegisterApostille(ctx, testApplication(), registry.ApostilleWrite{})
		if err != nil || d.Entry.Number != "2027-000001" || d.Entry.Date != registry.NewDate(2027, 1, 1) {
			t.Errorf("entry %s of %s, %v; want 2027-000001 of 2027-01-01", d.Entry.Number, d.Entry.Date, err)
		}
	})
}

func TestApostilleLookup(t *testing.T) {
	reg, _ := openApostilleStore(t)
	ctx := context.Background()
	if _, err := reg.RegisterApostille(ctx, testApplication(), registry.ApostilleWrite{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, number string
		date         registry.Date
		wantErr      error
	}{
		{"the number and its date find the entry", "2026-000001", registry.NewDate(2026, 11, 22), nil},
		{"the number with another date is not found", "2026-000001", registry.NewDate(2026, 11, 21), registry.ErrNotFound},
		{"an unknown number is not found", "2026-000002", registry.NewDate(2026, 11, 22), registry.ErrNotFound},
		{"a malformed number is invalid", "2026-1", registry.NewDate(2026, 11, 22), registry.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := reg.Apostille(ctx, tt.number, tt.date)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Apostille = %+v, %v; want %v", a, err, tt.wantErr)
			}
		})
	}
	_, wrongDate := reg.Apostille(ctx, "2026-000001", registry.NewDate(2026, 11, 21))
	_, unknown := reg.Apostille(ctx, "2026-000002", registry.NewDate(2026, 11, 22))
	if wrongDate.Error() != unknown.Error() {
		t.Errorf("a wrong date (%v) and an unknown number (%v) are told apart", wrongDate, unknown)
	}
}

func TestImportOfTheApostilleRegister(t *testing.T) {
	const official = `{"kind":"official","id":"OFF-1","name":"Жумабаева Айнура","post":"судья","body":"Ленин райондук соту","from":"2019-06-01"}`
	const entry = `{"kind":"apostille","number":"2026-000001","date":"2026-10-15","due":"2026-10-19","application":{"application":"AP-1","document":{"title":"Соттун чечими","details":"№ 2-45/26","issued":"2026-10-02","kind":"official","issuer":"court"},"signer":{"name":"Жумабаева Айнура","post":"судья","body":"Ленин райондук соту"},"country":"KZ","submitter":{"name":"Асанов Азамат","id_document":"ID1000123"},"fee":{"receipt":"№ 1","paid":"2026-10-14"},"placed_by":"Сатыбалдиев Эмил"}}`
	tests := []struct {
		name    string
		lines   []string
		wantErr error // of the one bad line; nil: imported
	}{
		{"an official and an entry import", []string{official, entry}, nil},
		{"an entry numbered in another year than its date", []string{strings.Replace(entry, `"2026-000001"`, `"2025-000001"`, 1)}, registry.ErrInvalidValue},
		{"two entries of one application", []string{entry, strings.Replace(entry, `"2026-000001"`, `"2026-000002"`, 1)}, registry.ErrDuplicateID},
		{"an entry due before its date", []string{strings.Replace(entry, `"due":"2026-10-19"`, `"due":"2026-10-14"`, 1)}, registry.ErrDateOrder},
		{"an entry that names an access record", []string{strings.Replace(entry, `"due"`, `"record":"r-1","due"`, 1)}, registry.ErrInvalidValue},
		{"an official whose authority ends before it starts", []string{strings.Replace(official, `"from":"2019-06-01"`, `"from":"2019-06-01","until":"2019-05-01"`, 1)}, registry.ErrDateOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t)
			rep, err := s.Import(context.Background(), strings.NewReader(strings.Join(tt.lines, "\n")+"\n"))
			if tt.wantErr == nil {
				if err != nil || rep.Officials != 1 || rep.Apostilles != 1 {
					t.Fatalf("Import = %+v, %v", rep, err)
				}
				if a, err := s.Apostille(context.Background(), "2026-000001", registry.NewDate(2026, 10, 15)); err != nil || a.Application.Number != "AP-1" {
					t.Errorf("Apostille = %+v, %v", a, err)
				}
				return
			}
			if !errors.Is(err, registry.ErrInvalidBatch) || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], tt.wantErr) {
				t.Fatalf("Import = %v, %v; want one line with %v", err, rep.Errors, tt.wantErr)
			}
		})
	}
	t.Run("an application already entered under another number is a conflict", func(t *testing.T) {
		s := openTestStore(t)
		mustImport(t, s, []byte(official+"\n"+entry+"\n"))
		rep, err := s.Import(context.Background(), strings.NewReader(strings.Replace(entry, `"2026-000001"`, `"2026-000002"`, 1)+"\n"))
		if !errors.Is(err, registry.ErrInvalidBatch) || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], registry.ErrConflict) {
			t.Fatalf("Import = %v, %v; want a conflict", err, rep.Errors)
		}
	})
}

// calendarWith is the default calendar with extra days off (YYYY-MM-DD).
func calendarWith(tb testing.TB, days ...string) registry.Calendar {
	tb.Helper()
	c, err := registry.NewCalendar(append(append([]string(nil), registry.DefaultHolidays...), days...))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
