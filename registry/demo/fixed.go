package demo

import (
	"time"

	"github.com/darbaza/darbaza/registry"
)

// Fixed identifiers of the edge cases. They are the same for every seed and
// every Options.Persons; testdata and the README may quote them.
const (
	// PINFound (Асанов Азамат Бакытович, male, born 1985-05-15) has an open
	// residence at DwellingFoundResidence, a stay current at the reference
	// date at DwellingFoundStay, and history: an ended residence at
	// DwellingFoundPrevious and an expired stay at DwellingFoundStay.
	PINFound = "21505198500123"
	// PINConsular (Осмонова Айжан Маратовна) is on the consular register;
	// her residence at DwellingConsular was ended as "deregistered".
	PINConsular = "10203199000456"
	// PINRenounced (Садыров Руслан Токтогулович) renounced Kyrgyz
	// citizenship; his residence at DwellingRenounced was ended.
	PINRenounced = "22211197800789"
	// PINNoIDCard (Мамытова Бурул Эшматовна) holds no ID card of the 2004,
	// 2017 or 2024 model; she owns and lives at DwellingNoIDCard.
	PINNoIDCard = "10707196500321"
	// PINNotFound is a valid PIN (male, born 2000-01-01) that is in no
	// dataset this package writes, for "person not found" samples.
	PINNotFound = "20101200099999"
	// PINTenResidentsOwner owns DwellingTenResidents and lives there.
	PINTenResidentsOwner = "21203196000011"
	// PINTwoOwnersHusband and PINTwoOwnersWife jointly own
	// DwellingTwoOwners and live there.
	PINTwoOwnersHusband = "22108197900021"
	PINTwoOwnersWife    = "10302198100022"
	// PINUserOnly is recorded only as the user (not the owner) of
	// DwellingUserOnly, an unlawful construction; he lives there.
	PINUserOnly = "21010197500023"
)

// Fixed dwellings.
const (
	// DwellingTenResidents is a house with exactly 10 persons registered
	// (residence) at the reference date: applications there are refused.
	DwellingTenResidents = "DW-0000001"
	// DwellingTwoOwners is an apartment with two owners.
	DwellingTwoOwners = "DW-0000002"
	// DwellingUserOnly is a house whose only holder has title "user".
	DwellingUserOnly = "DW-0000003"
	// DwellingFoundResidence is PINFound's current residence (Bishkek apartment).
	DwellingFoundResidence = "DW-0000004"
	// DwellingFoundStay is where PINFound is registered for a stay (Karakol).
	DwellingFoundStay = "DW-0000005"
	// DwellingFoundPrevious is PINFound's former residence (Osh city).
	DwellingFoundPrevious = "DW-0000006"
	// DwellingConsular is PINConsular's former residence (Talas).
	DwellingConsular = "DW-0000007"
	// DwellingNoIDCard is PINNoIDCard's residence (Naryn).
	DwellingNoIDCard = "DW-0000008"
	// DwellingRenounced is PINRenounced's former residence (Chuy).
	DwellingRenounced = "DW-0000009"
)

// fixedPerson is a hand-written person; the PIN gives sex and birth date.
type fixedPerson struct {
	pin, surname, given, patronymic string
	card                            registry.IDCardModel
	citizenship                     registry.Citizenship
	consular                        bool
}

var fixedPersons = []fixedPerson{
	{PINFound, "Асанов", "Азамат", "Бакытович", registry.IDCard2017, registry.CitizenshipCitizen, false},
	{"21402195800024", "Асанов", "Бакыт", "Жумабекович", registry.IDCard2017, registry.CitizenshipCitizen, false},
	{"10909196000025", "Асанова", "Чолпон", "Турдубаевна", registry.IDCard2004, registry.CitizenshipCitizen, false},
	{PINConsular, "Осмонова", "Айжан", "Маратовна", registry.IDCard2024, registry.CitizenshipCitizen, true},
	{PINRenounced, "Садыров", "Руслан", "Токтогулович", registry.IDCard2017, registry.CitizenshipRenounced, false},
	{PINNoIDCard, "Мамытова", "Бурул", "Эшматовна", registry.IDCardNone, registry.CitizenshipCitizen, false},
	{PINTwoOwnersHusband, "Жээнбеков", "Мирлан", "Алымбекович", registry.IDCard2017, registry.CitizenshipCitizen, false},
	{PINTwoOwnersWife, "Жээнбекова", "Назгүл", "Сыдыковна", registry.IDCard2024, registry.CitizenshipCitizen, false},
	{PINUserOnly, "Кадыров", "Эрлан", "Исакович", registry.IDCard2017, registry.CitizenshipCitizen, false},
	// The ten residents of DwellingTenResidents: three generations.
	{PINTenResidentsOwner, "Токтосунов", "Бакыт", "Осмонович", registry.IDCard2017, registry.CitizenshipCitizen, false},
	{"10807196300012", "Токтосунова", "Гүлнара", "Асановна", registry.IDCard2017, registry.CitizenshipCitizen, false},
	{"22001198400013", "Токтосунов", "Улан", "Бакытович", registry.IDCard2024, registry.CitizenshipCitizen, false},
	{"10211198700014", "Токтосунова", "Айгерим", "Таланбековна", registry.IDCard2017, registry.CitizenshipCitizen, false},
	{"23005198800015", "Токтосунов", "Нурбек", "Бакытович", registry.IDCard2017, registry.CitizenshipCitizen, false},
	{"11409199200016", "Токтосунова", "Жылдыз", "Бакытовна", registry.IDCard2024, registry.CitizenshipCitizen, false},
	{"20404200900017", "Улан уулу", "Темирлан", "", registry.IDCard2024, registry.CitizenshipCitizen, false},
	{"12512201200018", "Улан кызы", "Айпери", "", registry.IDCardNone, registry.CitizenshipCitizen, false},
	{"21606201600019", "Улан уулу", "Элдияр", "", registry.IDCardNone, registry.CitizenshipCitizen, false},
	{"11002202100020", "Нурбек кызы", "Сезим", "", registry.IDCardNone, registry.CitizenshipCitizen, false},
}

// tenResidents are the PINs registered at DwellingTenResidents.
var tenResidents = []string{
	PINTenResidentsOwner, "10807196300012", "22001198400013", "10211198700014", "23005198800015",
	"11409199200016", "20404200900017", "12512201200018", "21606201600019", "11002202100020",
}

func owner(pin string) []registry.Owner {
	return []registry.Owner{{PIN: pin, Title: registry.TitleOwner}}
}

var fixedDwellings = []registry.Dwelling{
	{ID: DwellingTenResidents, Type: registry.DwellingHouse, Owners: owner(PINTenResidentsOwner),
		Address: registry.Address{Region: registry.RegionOsh, District: "Кара-Суу району", Settlement: "Кара-Суу шаары", Street: "Ленин көчөсү", House: "45"}},
	{ID: DwellingTwoOwners, Type: registry.DwellingApartment,
		Owners:  []registry.Owner{{PIN: PINTwoOwnersHusband, Title: registry.TitleOwner}, {PIN: PINTwoOwnersWife, Title: registry.TitleOwner}},
		Address: registry.Address{Region: registry.RegionBishkek, District: "Свердлов району", Settlement: "Бишкек шаары", Street: "Ахунбаев көчөсү", House: "98", Apartment: "24"}},
	{ID: DwellingUserOnly, Type: registry.DwellingHouse, Owners: []registry.Owner{{PIN: PINUserOnly, Title: registry.TitleUser}},
		Address: registry.Address{Region: registry.RegionChuy, District: "Аламүдүн району", Settlement: "Кок-Жар айылы", Street: "Жаңы конуш көчөсү", House: "7"}},
	{ID: DwellingFoundResidence, Type: registry.DwellingApartment, Owners: owner(PINFound),
		Address: registry.Address{Region: registry.RegionBishkek, District: "Ленин району", Settlement: "Бишкек шаары", Street: "Манас проспекти", House: "40", Apartment: "17"}},
	{ID: DwellingFoundStay, Type: registry.DwellingHouse, Owners: owner("21402195800024"),
		Address: registry.Address{Region: registry.RegionIssykKul, Settlement: "Каракол шаары", Street: "Токтогул көчөсү", House: "112"}},
	{ID: DwellingFoundPrevious, Type: registry.DwellingApartment, Owners: owner("10909196000025"),
		Address: registry.Address{Region: registry.RegionOshCity, Settlement: "Ош шаары", Street: "Курманжан Датка көчөсү", House: "201", Apartment: "5"}},
	{ID: DwellingConsular, Type: registry.DwellingHouse, Owners: owner(PINConsular),
		Address: registry.Address{Region: registry.RegionTalas, District: "Талас району", Settlement: "Талас шаары", Street: "Бердике Баатыр көчөсү", House: "16"}},
	{ID: DwellingNoIDCard, Type: registry.DwellingHouse, Owners: owner(PINNoIDCard),
		Address: registry.Address{Region: registry.RegionNaryn, District: "Кочкор району", Settlement: "Кочкор айылы", Street: "Орозбаков көчөсү", House: "3"}},
	{ID: DwellingRenounced, Type: registry.DwellingPartOfHouse, Owners: owner(PINRenounced),
		Address: registry.Address{Region: registry.RegionChuy, District: "Ысык-Ата району", Settlement: "Кант шаары", Street: "Ленин көчөсү", House: "12", Apartment: "2"}},
}

// fixedRegistrations returns the edge-case registrations; the stays of
// PINFound are placed relative to ref so that one is current at ref.
func fixedRegistrations(ref registry.Date) ([]registry.Registration, error) {
	d := func(y int, m time.Month, day int) registry.Date { return registry.NewDate(y, m, day) }
	stay := ref.AddDate(0, -2, 0)
	regs := []registry.Registration{
		{ID: "RG-00000001", PIN: PINFound, DwellingID: DwellingFoundPrevious, Type: registry.Residence,
			Since: d(2003, 6, 2), Ended: d(2015, 3, 10), EndReason: registry.EndNewResidence},
		{ID: "RG-00000002", PIN: PINFound, DwellingID: DwellingFoundResidence, Type: registry.Residence, Since: d(2015, 3, 10)},
		{ID: "RG-00000003", PIN: PINFound, DwellingID: DwellingFoundStay, Type: registry.Stay,
			Since: d(2023, 6, 1), Until: d(2023, 8, 31)},
		{ID: "RG-00000004", PIN: PINFound, DwellingID: DwellingFoundStay, Type: registry.Stay,
			Since: stay, Until: stay.AddDate(1, 0, -1)},
		{ID: "RG-00000005", PIN: "21402195800024", DwellingID: DwellingFoundStay, Type: registry.Residence, Since: d(1990, 4, 18)},
		{ID: "RG-00000006", PIN: "10909196000025", DwellingID: DwellingFoundPrevious, Type: registry.Residence, Since: d(1999, 9, 1)},
		{ID: "RG-00000007", PIN: PINConsular, DwellingID: DwellingConsular, Type: registry.Residence,
			Since: d(2008, 4, 1), Ended: d(2019, 10, 15), EndReason: registry.EndDeregistered},
		{ID: "RG-00000008", PIN: PINRenounced, DwellingID: DwellingRenounced, Type: registry.Residence,
			Since: d(2001, 2, 20), Ended: d(2021, 7, 1), EndReason: registry.EndDeregistered},
		{ID: "RG-00000009", PIN: PINNoIDCard, DwellingID: DwellingNoIDCard, Type: registry.Residence, Since: d(1988, 8, 8)},
		{ID: "RG-00000010", PIN: PINTwoOwnersHusband, DwellingID: DwellingTwoOwners, Type: registry.Residence, Since: d(2010, 5, 14)},
		{ID: "RG-00000011", PIN: PINTwoOwnersWife, DwellingID: DwellingTwoOwners, Type: registry.Residence, Since: d(2010, 5, 14)},
		{ID: "RG-00000012", PIN: PINUserOnly, DwellingID: DwellingUserOnly, Type: registry.Residence, Since: d(2012, 9, 3)},
	}
	for i, pin := range tenResidents {
		info, err := registry.ParsePIN(pin, ref.Time())
		if err != nil {
			return nil, err
		}
		since := d(1986, 7, 1)
		if info.BirthDate.After(since) {
			since = info.BirthDate
		}
		regs = append(regs, registry.Registration{
			ID: registrationID(13 + i), PIN: pin, DwellingID: DwellingTenResidents, Type: registry.Residence, Since: since,
		})
	}
	return regs, nil
}
