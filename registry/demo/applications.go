package demo

import (
	"fmt"

	"github.com/darbaza/darbaza/registry"
)

// The family of the registration-application demo (README, "Registration
// through the portal"): the owner of DwellingFamilyHouse, his wife, who
// owns DwellingFamilyFlat where the family is registered, their son, and a
// relative who lives with his daughter at DwellingRelativeHouse. None is
// registered at the house yet: the owner registers himself and his family
// there through submitRegistration.
const (
	// PINFamilyOwner (Бекмуратов Талант Асылбекович, born 1988-04-12,
	// ID card 2017) owns DwellingFamilyHouse; his residence is
	// DwellingFamilyFlat.
	PINFamilyOwner = "21204198800031"
	// PINFamilySpouse (Бекмуратова Жазгүл Каныбековна, born 1990-09-05,
	// ID card 2024) owns DwellingFamilyFlat and lives there.
	PINFamilySpouse = "10509199000032"
	// PINFamilyChild (Талант уулу Эмир, born 2016-06-16) is their son, a
	// minor whose recorded parents are PINFamilyOwner and PINFamilySpouse.
	PINFamilyChild = "21606201600033"
	// PINFamilyRelative (Асылбеков Марат Асылбекович, born 1982-02-23,
	// ID card 2017) owns DwellingRelativeHouse and lives there.
	PINFamilyRelative = "22302198200034"
	// PINFamilyNiece (Марат кызы Айсулуу, born 2015-07-11) is
	// PINFamilyRelative's daughter, a minor living with him.
	PINFamilyNiece = "11107201500035"
)

// familySize is the number of persons in the family.
const familySize = 5

// The family's dwellings.
const (
	DwellingFamilyHouse   = "DW-0000010" // Бишкек, Ала-Арча: owned by PINFamilyOwner, nobody registered
	DwellingFamilyFlat    = "DW-0000011" // Бишкек, Токмок көчөсү: owned by PINFamilySpouse
	DwellingRelativeHouse = "DW-0000012" // Токмок: owned by PINFamilyRelative
)

// Registrations of the family, for deregistration samples.
const (
	// RegistrationRelative is PINFamilyRelative's residence at
	// DwellingRelativeHouse.
	RegistrationRelative = "RG-00000034"
)

// demoCard is an ID card of model issued on 2020-01-15, valid ten years.
func demoCard(model registry.IDCardModel, n int) registry.IDCard {
	return registry.IDCard{Model: model, Number: fmt.Sprintf("ID%07d", 9000000+n),
		Issued: registry.NewDate(2020, 1, 15), Expires: registry.NewDate(2030, 1, 15)}
}

// addApplicationFamily adds the family above.
func (g *generator) addApplicationFamily() error {
	persons := []struct {
		pin, surname, given, patronymic string
		card                            registry.IDCard
		parents                         []string
	}{
		{PINFamilyOwner, "Бекмуратов", "Талант", "Асылбекович", demoCard(registry.IDCard2017, 1), nil},
		{PINFamilySpouse, "Бекмуратова", "Жазгүл", "Каныбековна", demoCard(registry.IDCard2024, 2), nil},
		{PINFamilyChild, "Талант уулу", "Эмир", "", registry.IDCard{}, []string{PINFamilyOwner, PINFamilySpouse}},
		{PINFamilyRelative, "Асылбеков", "Марат", "Асылбекович", demoCard(registry.IDCard2017, 3), nil},
		{PINFamilyNiece, "Марат кызы", "Айсулуу", "", registry.IDCard{}, []string{PINFamilyRelative}},
	}
	if len(persons) != familySize {
		return fmt.Errorf("demo: the family has %d persons, familySize says %d", len(persons), familySize)
	}
	for _, f := range persons {
		info, err := registry.ParsePIN(f.pin, g.ref.Time())
		if err != nil {
			return fmt.Errorf("demo: family: %w", err)
		}
		g.usedPINs[f.pin] = true
		g.persons = append(g.persons, registry.Person{
			PIN: f.pin, Surname: f.surname, GivenName: f.given, Patronymic: f.patronymic,
			BirthDate: info.BirthDate, Sex: info.Sex, Citizenship: registry.CitizenshipCitizen,
			IDCard: f.card, Parents: f.parents,
		})
	}
	g.dwellings = append(g.dwellings,
		registry.Dwelling{ID: DwellingFamilyHouse, Type: registry.DwellingHouse, Owners: owner(PINFamilyOwner),
			Address: registry.Address{Region: registry.RegionBishkek, District: "Свердлов району", Settlement: "Бишкек шаары", Street: "Ала-Арча көчөсү", House: "27"}},
		registry.Dwelling{ID: DwellingFamilyFlat, Type: registry.DwellingApartment, Owners: owner(PINFamilySpouse),
			Address: registry.Address{Region: registry.RegionBishkek, District: "Биринчи Май району", Settlement: "Бишкек шаары", Street: "Токмок көчөсү", House: "14", Apartment: "31"}},
		registry.Dwelling{ID: DwellingRelativeHouse, Type: registry.DwellingHouse, Owners: owner(PINFamilyRelative),
			Address: registry.Address{Region: registry.RegionChuy, Settlement: "Токмок шаары", Street: "Шамшы көчөсү", House: "5"}},
	)
	d := registry.NewDate
	g.registrations = append(g.registrations,
		registry.Registration{ID: "RG-00000031", PIN: PINFamilyOwner, DwellingID: DwellingFamilyFlat, Type: registry.Residence, Since: d(2015, 8, 1)},
		registry.Registration{ID: "RG-00000032", PIN: PINFamilySpouse, DwellingID: DwellingFamilyFlat, Type: registry.Residence, Since: d(2012, 3, 1)},
		registry.Registration{ID: "RG-00000033", PIN: PINFamilyChild, DwellingID: DwellingFamilyFlat, Type: registry.Residence, Since: d(2016, 7, 1)},
		registry.Registration{ID: RegistrationRelative, PIN: PINFamilyRelative, DwellingID: DwellingRelativeHouse, Type: registry.Residence, Since: d(2005, 5, 20)},
		registry.Registration{ID: "RG-00000035", PIN: PINFamilyNiece, DwellingID: DwellingRelativeHouse, Type: registry.Residence, Since: d(2015, 8, 1)},
	)
	return nil
}
