package demo

import "github.com/darbaza/darbaza/registry"

// Fixed records of the apostille register (seed 004). They are the same
// for every seed and every Options.Persons.
const (
	// ApostilleIssued was placed on ApostilleIssuedDate on a birth
	// certificate for Germany, under application ApplicationIssued.
	ApostilleIssued     = "2026-000001"
	ApostilleIssuedDate = "2026-10-15"
	ApplicationIssued   = "AP-2026-0001"
	// ApostilleSpecimens was placed on a notarised copy of a diploma for
	// Italy, with specimens requested: due 30 working days on.
	ApostilleSpecimens     = "2026-000002"
	ApostilleSpecimensDate = "2026-10-28"
	ApplicationSpecimens   = "AP-2026-0002"

	// The officials of the register of officials authorised to sign.
	// OfficialNotary signs for BodyNotary since 2015; OfficialRegistrar
	// signed for BodyRegistry from 2018 to the end of 2024 only, so a
	// document he signed in 2025 is refused (SignerNotAuthorised).
	OfficialNotary    = "OFF-0001"
	OfficialRegistrar = "OFF-0002"
	OfficialJudge     = "OFF-0003"
	BodyNotary        = "Бишкек шаарынын №3 мамлекеттик нотариалдык конторасы"
	BodyRegistry      = "Бишкек шаарынын Биринчи май районунун жарандык абалдын актыларын каттоо бөлүмү"
	BodyCourt         = "Бишкек шаарынын Ленин райондук соту"
)

var fixedOfficials = []registry.Official{
	{ID: OfficialNotary, Name: "Бакиева Гүлнара Асановна", Post: "мамлекеттик нотариус", Body: BodyNotary, From: registry.NewDate(2015, 1, 15)},
	{ID: OfficialRegistrar, Name: "Токтогулов Нурлан Маратович", Post: "бөлүмдүн башчысы", Body: BodyRegistry,
		From: registry.NewDate(2018, 3, 1), Until: registry.NewDate(2024, 12, 31)},
	{ID: OfficialJudge, Name: "Жумабаева Айнура Кадыровна", Post: "судья", Body: BodyCourt, From: registry.NewDate(2019, 6, 1)},
}

// fixedApostilles returns the two entries of the register book, their due
// dates on the default working-day calendar.
func fixedApostilles() []registry.Apostille {
	entry := func(number string, date registry.Date, app registry.ApostilleApplication) registry.Apostille {
		return registry.Apostille{Number: number, Date: date, Due: registry.Calendar{}.AddWorkingDays(date, app.Term()), Application: app}
	}
	return []registry.Apostille{
		entry(ApostilleIssued, registry.NewDate(2026, 10, 15), registry.ApostilleApplication{
			Number: ApplicationIssued,
			Document: registry.ApostilleDocument{Title: "Төрөлгөндүгү тууралуу күбөлүк", Details: "II-АН №0456789, 2020-жылдын 3-марты",
				Issued: registry.NewDate(2020, 3, 3), Kind: registry.DocOfficial, Issuer: registry.IssuerStateBody},
			Signer:    registry.Signatory{Name: "Токтогулов Нурлан Маратович", Post: "бөлүмдүн башчысы", Body: BodyRegistry},
			Country:   "DE",
			Submitter: registry.Submitter{Name: "Асанов Азамат Бакытович", IDDocument: "ID-карта ID1000123, ИИМ 50-01, 2017-06-12"},
			Fee:       registry.FeePayment{Receipt: "№ 778812, «Айыл Банк» ААК", Paid: registry.NewDate(2026, 10, 14)},
			PlacedBy:  "Сатыбалдиев Эмил Кубанычбекович",
		}),
		entry(ApostilleSpecimens, registry.NewDate(2026, 10, 28), registry.ApostilleApplication{
			Number: ApplicationSpecimens,
			Document: registry.ApostilleDocument{Title: "Жогорку билим тууралуу дипломдун нотариалдык көчүрмөсү", Details: "реестр №2-1187, 2026-жылдын 27-октябры",
				Issued: registry.NewDate(2026, 10, 27), Kind: registry.DocNotarised, Issuer: registry.IssuerNotary},
			Signer:             registry.Signatory{Name: "Бакиева Гүлнара Асановна", Post: "мамлекеттик нотариус", Body: BodyNotary},
			Country:            "IT",
			Submitter:          registry.Submitter{Name: "Мамытова Бурул Эшматовна", IDDocument: "паспорт AN1234567, ИИМ 211041, 2019-01-21"},
			Fee:                registry.FeePayment{Receipt: "№ 102934, «Оптима Банк» ААК", Paid: registry.NewDate(2026, 10, 28)},
			PlacedBy:           "Сатыбалдиев Эмил Кубанычбекович",
			SpecimensRequested: true,
		}),
	}
}

// registerRecords are the fixed records of the taxpayer and apostille
// registers, in import order: taxpayers, bindings, officials, entries.
func registerRecords() []registry.Record {
	var out []registry.Record
	for _, t := range fixedTaxpayers {
		out = append(out, registry.Record{Kind: registry.KindTaxpayer, Taxpayer: t})
	}
	for _, b := range fixedBindings {
		out = append(out, registry.Record{Kind: registry.KindBinding, Binding: b})
	}
	for _, o := range fixedOfficials {
		out = append(out, registry.Record{Kind: registry.KindOfficial, Official: o})
	}
	for _, a := range fixedApostilles() {
		out = append(out, registry.Record{Kind: registry.KindApostille, Apostille: a})
	}
	return out
}
