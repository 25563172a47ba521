package demo

import "github.com/darbaza/darbaza/registry"

// Fixed records of the taxpayer register (seed 002 §4). They are the same
// for every seed and every Options.Persons.
const (
	// INNEntitySoft and INNEntityAgro are legal entities both bound to
	// PINFound, the first approved, the second awaiting the inspector.
	INNEntitySoft = "01205201010017"
	INNEntityAgro = "02403201510029"
	// INNEntityLiquidated is a wound-up entity bound to nobody.
	INNEntityLiquidated = "01511200910031"
	// INNEntityNotFound is a well-formed entity INN in no register.
	INNEntityNotFound = "09999999999999"
	// PINNotTaxpayer (Жээнбекова Назгүл, PINTwoOwnersWife) is a person of
	// the population register who is not a taxpayer: getTaxpayer answers
	// "a user with this INN is not a taxpayer".
	PINNotTaxpayer = PINTwoOwnersWife
)

// Individual taxpayers: PINFound (bound to two entities) and PINNoIDCard
// (bound to none).
var fixedTaxpayers = []registry.Taxpayer{
	{INN: PINFound, Type: registry.TaxpayerIndividual, Name: "Асанов Азамат Бакытович", TaxOffice: "003",
		Address:    registry.Address{Region: registry.RegionBishkek, District: "Ленин району", Settlement: "Бишкек шаары", Street: "Манас проспекти", House: "40", Apartment: "17"},
		Registered: registry.NewDate(2012, 4, 16), Status: registry.TaxpayerActive},
	{INN: PINNoIDCard, Type: registry.TaxpayerIndividual, Name: "Мамытова Бурул Эшматовна", TaxOffice: "041",
		Address:    registry.Address{Region: registry.RegionNaryn, District: "Кочкор району", Settlement: "Кочкор айылы", Street: "Орозбаков көчөсү", House: "3"},
		Registered: registry.NewDate(2009, 2, 2), Status: registry.TaxpayerActive},
	{INN: INNEntitySoft, Type: registry.TaxpayerEntity, Name: "«Ала-Тоо Софт» ЖЧК", TaxOffice: "002",
		Address:    registry.Address{Region: registry.RegionBishkek, District: "Свердлов району", Settlement: "Бишкек шаары", Street: "Чүй проспекти", House: "219"},
		Registered: registry.NewDate(2010, 5, 12), Status: registry.TaxpayerActive},
	{INN: INNEntityAgro, Type: registry.TaxpayerEntity, Name: "«Нарын Агро» ЖЧК", TaxOffice: "041",
		Address:    registry.Address{Region: registry.RegionNaryn, Settlement: "Нарын шаары", Street: "Ленин көчөсү", House: "8"},
		Registered: registry.NewDate(2015, 3, 24), Status: registry.TaxpayerActive},
	{INN: INNEntityLiquidated, Type: registry.TaxpayerEntity, Name: "«Каракол Тур» ЖЧК", TaxOffice: "031",
		Address:    registry.Address{Region: registry.RegionIssykKul, Settlement: "Каракол шаары", Street: "Токтогул көчөсү", House: "5"},
		Registered: registry.NewDate(2009, 11, 15), Status: registry.TaxpayerLiquidated},
}

var fixedBindings = []registry.Binding{
	{PIN: PINFound, EntityINN: INNEntitySoft, Status: registry.BindingApproved, Since: registry.NewDate(2016, 9, 1)},
	{PIN: PINFound, EntityINN: INNEntityAgro, Status: registry.BindingPending, Since: registry.NewDate(2026, 10, 20)},
}
