package demo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// Defaults for [Options].
const (
	// DefaultSeed is the seed of the dataset `make run` loads.
	DefaultSeed uint64 = 20261101
	// DefaultPersons is the number of generated persons besides the fixed ones.
	DefaultPersons = 30000
	// DefaultReference is the date the dataset is "as of": YYYY-MM-DD.
	DefaultReference = "2026-11-01"
)

// ErrOptions reports unusable [Options].
var ErrOptions = errors.New("demo: invalid options")

// Options selects a dataset. The zero value is the default dataset.
type Options struct {
	// Seed varies the generated persons; zero means DefaultSeed. The fixed
	// records do not depend on it.
	Seed uint64
	// Persons is how many persons to generate besides the fixed ones
	// (about 20); zero means DefaultPersons, negative is an error.
	Persons int
	// Reference is the date the dataset is as of: no date in it is later,
	// and the stays meant to be current run past it. Zero means
	// DefaultReference. It must not be later than the clock of the store
	// that imports the data.
	Reference registry.Date
}

// Write writes the dataset as import lines: persons, then dwellings, then
// registrations, then the fixed records of the taxpayer and apostille
// registers, one JSON object per line. The same Options always give the
// same bytes.
func Write(w io.Writer, opts Options) error {
	g, err := newGenerator(opts)
	if err != nil {
		return err
	}
	if err := g.generate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	emit := func(rec registry.Record) error {
		line, err := registry.EncodeLine(rec)
		if err != nil {
			return fmt.Errorf("demo: %s %s: %w", rec.Kind, rec.Key(), err)
		}
		bw.Write(line)
		return bw.WriteByte('\n')
	}
	for _, p := range g.persons {
		if err := emit(registry.Record{Kind: registry.KindPerson, Person: p}); err != nil {
			return err
		}
	}
	for _, d := range g.dwellings {
		if err := emit(registry.Record{Kind: registry.KindDwelling, Dwelling: d}); err != nil {
			return err
		}
	}
	for _, r := range g.registrations {
		if err := emit(registry.Record{Kind: registry.KindRegistration, Registration: r}); err != nil {
			return err
		}
	}
	for _, rec := range registerRecords() { // apostille.go, taxpayer.go
		if err := emit(rec); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("demo: write: %w", err)
	}
	return nil
}

// rng is SplitMix64: tiny, fast and fixed forever, so the dataset does not
// change with the Go release (math/rand makes no such promise for its
// derived methods).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0, n); n must be positive. The modulo bias is
// irrelevant for demo data.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// permille reports true with probability p/1000.
func (r *rng) permille(p int) bool { return r.intn(1000) < p }

func pick[T any](r *rng, list []T) T { return list[r.intn(len(list))] }

type generator struct {
	rnd       rng
	ref       registry.Date
	target    int
	persons   []registry.Person
	dwellings []registry.Dwelling
	// registrations in generation order; ids are sequential.
	registrations []registry.Registration
	usedPINs      map[string]bool
	nextDwelling  int
	nextReg       int
	nextCard      int
	// plain dwellings created so far, as targets for moves and stays.
	movable []string
	dorms   []string
}

func newGenerator(opts Options) (*generator, error) {
	g := &generator{rnd: rng{s: opts.Seed}, ref: opts.Reference, target: opts.Persons,
		usedPINs: map[string]bool{PINNotFound: true}, nextDwelling: 100, nextReg: 1000, nextCard: 1000000}
	if g.rnd.s == 0 {
		g.rnd.s = DefaultSeed
	}
	switch {
	case g.target < 0:
		return nil, fmt.Errorf("%w: Persons %d is negative", ErrOptions, g.target)
	case g.target == 0:
		g.target = DefaultPersons
	}
	if g.ref.IsZero() {
		ref, err := registry.ParseDate(DefaultReference)
		if err != nil {
			return nil, err
		}
		g.ref = ref
	}
	if g.ref.Before(registry.NewDate(2025, 1, 1)) || g.ref.After(registry.NewDate(2999, 12, 31)) {
		return nil, fmt.Errorf("%w: Reference %s outside 2025..2999", ErrOptions, g.ref)
	}
	return g, nil
}

func (g *generator) generate() error {
	if err := g.addFixed(); err != nil {
		return err
	}
	regions := make([]string, 0, 1000)
	for _, code := range registry.Regions {
		for range regionTable[string(code)].weight {
			regions = append(regions, string(code))
		}
	}
	generated := 0
	for generated < g.target {
		size := pick(&g.rnd, []int{1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 7})
		size = min(size, g.target-generated)
		if err := g.household(registry.Region(pick(&g.rnd, regions)), size); err != nil {
			return err
		}
		generated += size
	}
	return nil
}

// addFixed adds the edge cases of fixed.go.
func (g *generator) addFixed() error {
	fixedRnd := rng{s: 1} // independent of Options.Seed
	for _, f := range fixedPersons {
		info, err := registry.ParsePIN(f.pin, g.ref.Time())
		if err != nil {
			return fmt.Errorf("demo: fixed person: %w", err)
		}
		p := registry.Person{
			PIN: f.pin, Surname: f.surname, GivenName: f.given, Patronymic: f.patronymic,
			BirthDate: info.BirthDate, Sex: info.Sex, Citizenship: f.citizenship, ConsularRegister: f.consular,
		}
		if f.card != registry.IDCardNone {
			p.IDCard = g.card(&fixedRnd, info.BirthDate, f.card)
			if !p.IDCard.Present() {
				return fmt.Errorf("demo: fixed person %s: no %s card possible", f.pin, f.card)
			}
		}
		g.usedPINs[f.pin] = true
		g.persons = append(g.persons, p)
	}
	g.dwellings = append(g.dwellings, fixedDwellings...)
	regs, err := fixedRegistrations(g.ref)
	if err != nil {
		return fmt.Errorf("demo: fixed registration: %w", err)
	}
	g.registrations = append(g.registrations, regs...)
	return g.addApplicationFamily()
}

// household creates one dwelling in region and size persons registered
// there: a head, a spouse, and children; some with an earlier residence,
// some with a stay elsewhere.
func (g *generator) household(region registry.Region, size int) error {
	r := &g.rnd
	refYear := g.ref.Time().Year()
	headMale := r.permille(800)
	headAge := r.between(22, 80)
	fatherName := pick(r, maleNames) // the children's father
	root := pick(r, surnameRoots)
	uuluStyle := r.permille(250)

	var people []registry.Person
	add := func(sex registry.Sex, age int, surname, given, patronymic string) error {
		p, err := g.person(sex, refYear-age, surname, given, patronymic)
		if err != nil {
			return err
		}
		people = append(people, p)
		return nil
	}
	// Head.
	headGiven := pick(r, femaleNames)
	headSex := registry.SexFemale
	if headMale {
		headGiven, headSex = fatherName, registry.SexMale
	}
	grandfather := pick(r, maleNames)
	headSurname, headPatronymic := surname(root, headSex), patronymic(grandfather, headSex)
	if uuluStyle && headMale {
		headSurname, headPatronymic = grandfather+" уулу", ""
	}
	if err := add(headSex, headAge, headSurname, headGiven, headPatronymic); err != nil {
		return err
	}
	// Spouse.
	if size >= 2 {
		sex, given, age := registry.SexFemale, pick(r, femaleNames), headAge-r.between(0, 6)
		if !headMale {
			sex, given, age = registry.SexMale, fatherName, headAge+r.between(0, 6)
		}
		age = max(age, 19)
		sn := surname(root, sex)
		if r.permille(300) {
			sn = surname(pick(r, surnameRoots), sex)
		}
		if err := add(sex, age, sn, given, patronymic(pick(r, maleNames), sex)); err != nil {
			return err
		}
	}
	// Children.
	for i := 2; i < size; i++ {
		maxAge := max(0, min(headAge-20, 35))
		age := r.between(0, maxAge)
		sex := registry.SexMale
		given := pick(r, maleNames)
		if r.permille(500) {
			sex, given = registry.SexFemale, pick(r, femaleNames)
		}
		sn, pn := surname(root, sex), patronymic(fatherName, sex)
		if uuluStyle {
			suffix := " уулу"
			if sex == registry.SexFemale {
				suffix = " кызы"
			}
			sn, pn = fatherName+suffix, ""
		}
		if err := add(sex, age, sn, given, pn); err != nil {
			return err
		}
	}
	d := g.dwelling(region, people)
	for _, p := range people {
		g.registerMember(p, d)
	}
	g.persons = append(g.persons, people...)
	return nil
}

// person creates a person born in year with a fresh PIN, an ID card if old
// enough, and rare citizenship and consular flags.
func (g *generator) person(sex registry.Sex, year int, surname, given, patronymic string) (registry.Person, error) {
	r := &g.rnd
	var birth registry.Date
	for {
		birth = registry.NewDate(year, time.January, 1).AddDate(0, 0, r.intn(365))
		if birth.After(g.ref) {
			year--
			continue
		}
		break
	}
	var pin string
	for {
		var err error
		pin, err = registry.FormatPIN(sex, birth, r.between(1, 99999))
		if err != nil {
			return registry.Person{}, fmt.Errorf("demo: %w", err)
		}
		if !g.usedPINs[pin] {
			break
		}
	}
	g.usedPINs[pin] = true
	p := registry.Person{
		PIN: pin, Surname: surname, GivenName: given, Patronymic: patronymic,
		BirthDate: birth, Sex: sex, Citizenship: registry.CitizenshipCitizen,
	}
	if !birth.AddDate(16, 0, 0).After(g.ref) {
		// 8% hold no card of an eligible model (an old Soviet-era or
		// 1994-model passport); the rest by model, falling back to the
		// newest model when too young for the drawn one.
		n := r.intn(100)
		switch {
		case n < 60:
			p.IDCard = g.card(r, birth, registry.IDCard2017)
		case n < 78:
			p.IDCard = g.card(r, birth, registry.IDCard2024)
		case n < 92:
			p.IDCard = g.card(r, birth, registry.IDCard2004)
		}
		if !p.IDCard.Present() && n < 92 {
			p.IDCard = g.card(r, birth, registry.IDCard2024)
		}
		p.ConsularRegister = r.permille(5)
		if r.permille(2) {
			p.Citizenship = registry.CitizenshipRenounced
		}
	}
	return p, nil
}

// modelYears are the first and last issue dates of each card model.
var modelYears = map[registry.IDCardModel][2]registry.Date{
	registry.IDCard2004: {registry.NewDate(2004, time.September, 1), registry.NewDate(2017, time.May, 31)},
	registry.IDCard2017: {registry.NewDate(2017, time.June, 1), registry.NewDate(2024, time.June, 30)},
	registry.IDCard2024: {registry.NewDate(2024, time.July, 1), registry.NewDate(9999, time.December, 31)},
}

// card issues a card of model to someone born on birth: issued at 16 or
// later, within the model's years and not after the reference date, valid
// ten years. It returns the zero IDCard if no such date exists.
func (g *generator) card(r *rng, birth registry.Date, model registry.IDCardModel) registry.IDCard {
	span := modelYears[model]
	from, to := span[0], span[1]
	if at16 := birth.AddDate(16, 0, 0); at16.After(from) {
		from = at16
	}
	if g.ref.Before(to) {
		to = g.ref
	}
	if to.Before(from) {
		return registry.IDCard{}
	}
	days := int(to.Time().Sub(from.Time()).Hours() / 24)
	issued := from.AddDate(0, 0, r.intn(days+1))
	g.nextCard++
	prefix := "ID"
	if model == registry.IDCard2004 {
		prefix = "AN"
	}
	return registry.IDCard{
		Model: model, Number: fmt.Sprintf("%s%07d", prefix, g.nextCard%10000000),
		Issued: issued, Expires: issued.AddDate(10, 0, 0),
	}
}

// dwelling creates the household's dwelling, owned by its head (sometimes
// with the spouse, rarely only as user), or by nobody for specialised
// housing.
func (g *generator) dwelling(region registry.Region, people []registry.Person) string {
	r := &g.rnd
	data := regionTable[string(region)]
	dist := pick(r, data.districts)
	settlement := pick(r, dist.settlements)
	urban := data.urban || strings.HasSuffix(settlement, " шаары") && r.permille(400)
	var t registry.DwellingType
	n := r.intn(100)
	switch {
	case urban && n < 55:
		t = registry.DwellingApartment
	case urban && n < 60:
		t = registry.DwellingCommunalFlat
	case urban && n < 65:
		t = registry.DwellingRoomCommunalFlat
	case urban && n < 70:
		t = registry.DwellingRoomSpecialized
	case urban && n < 90:
		t = registry.DwellingHouse
	case urban:
		t = registry.DwellingPartOfHouse
	case n < 70:
		t = registry.DwellingHouse
	case n < 85:
		t = registry.DwellingPartOfHouse
	case n < 93:
		t = registry.DwellingApartment
	case n < 95:
		t = registry.DwellingRoomSpecialized
	case region == registry.RegionNaryn || region == registry.RegionIssykKul || region == registry.RegionOsh || region == registry.RegionTalas:
		t = registry.DwellingMobile
	default:
		t = registry.DwellingHouse
	}
	addr := registry.Address{Region: region, District: dist.name, Settlement: settlement}
	if t != registry.DwellingMobile {
		addr.Street = pick(r, streets)
		addr.House = fmt.Sprint(r.between(1, 240))
		if r.permille(100) {
			addr.House += pick(r, []string{"А", "Б", "/1", "/2"})
		}
	}
	switch t {
	case registry.DwellingApartment, registry.DwellingCommunalFlat:
		addr.Apartment = fmt.Sprint(r.between(1, 160))
	case registry.DwellingRoomCommunalFlat:
		addr.Apartment = fmt.Sprintf("%d, бөлмө %d", r.between(1, 160), r.between(1, 5))
	case registry.DwellingRoomSpecialized:
		addr.Apartment = fmt.Sprintf("бөлмө %d", r.between(1, 400))
	}
	d := registry.Dwelling{ID: fmt.Sprintf("DW-%07d", g.nextDwelling), Type: t, Address: addr}
	g.nextDwelling++
	head := people[0]
	switch {
	case t == registry.DwellingRoomSpecialized:
		// State or institutional housing: no private owner.
		g.dorms = append(g.dorms, d.ID)
	case len(people) >= 2 && r.permille(30):
		d.Owners = []registry.Owner{{PIN: head.PIN, Title: registry.TitleOwner}, {PIN: people[1].PIN, Title: registry.TitleOwner}}
	case (t == registry.DwellingHouse || t == registry.DwellingPartOfHouse) && r.permille(15):
		d.Owners = []registry.Owner{{PIN: head.PIN, Title: registry.TitleUser}}
	default:
		d.Owners = []registry.Owner{{PIN: head.PIN, Title: registry.TitleOwner}}
	}
	g.dwellings = append(g.dwellings, d)
	g.movable = append(g.movable, d.ID)
	return d.ID
}

// registerMember gives p a residence at dwellingID, sometimes an earlier
// residence elsewhere, and sometimes a stay (current, expired or ended).
func (g *generator) registerMember(p registry.Person, dwellingID string) {
	r := &g.rnd
	age := g.ref.Time().Year() - p.BirthDate.Time().Year()
	moved := g.ref.AddDate(-r.between(0, 25), 0, -r.intn(365))
	if moved.Before(p.BirthDate) {
		moved = p.BirthDate
	}
	// An earlier residence, ended by the move.
	if age >= 20 && len(g.movable) > 1 && r.permille(250) {
		prevSince := moved.AddDate(-r.between(1, 15), 0, -r.intn(365))
		if prevSince.Before(p.BirthDate) {
			prevSince = p.BirthDate
		}
		if prevSince.Before(moved) {
			g.register(registry.Registration{
				PIN: p.PIN, DwellingID: g.otherDwelling(dwellingID), Type: registry.Residence,
				Since: prevSince, Ended: moved, EndReason: registry.EndNewResidence,
			})
		}
	}
	if p.ConsularRegister || p.Citizenship == registry.CitizenshipRenounced {
		// Left the country: the residence was ended on request.
		ended := moved.AddDate(0, 0, r.between(0, int(g.ref.Time().Sub(moved.Time()).Hours()/24)))
		g.register(registry.Registration{
			PIN: p.PIN, DwellingID: dwellingID, Type: registry.Residence, Since: moved,
			Ended: ended, EndReason: registry.EndDeregistered,
		})
		return
	}
	g.register(registry.Registration{PIN: p.PIN, DwellingID: dwellingID, Type: registry.Residence, Since: moved})
	if age < 17 || age > 65 {
		return
	}
	switch n := r.intn(1000); {
	case n < 40: // current stay: students in dormitories, seasonal workers
		since := g.ref.AddDate(0, 0, -r.between(0, 300))
		until := since.AddDate(0, 0, r.between(60, 364))
		if until.Before(g.ref) {
			until = g.ref.AddDate(0, 0, r.between(1, 60))
		}
		if until.After(since.AddDate(1, 0, 0)) {
			until = since.AddDate(1, 0, 0)
		}
		g.register(registry.Registration{PIN: p.PIN, DwellingID: g.stayDwelling(dwellingID), Type: registry.Stay, Since: since, Until: until})
	case n < 60: // an old stay that ran out
		since := g.ref.AddDate(-r.between(2, 8), 0, -r.intn(365))
		if since.Before(p.BirthDate) {
			return
		}
		g.register(registry.Registration{PIN: p.PIN, DwellingID: g.stayDwelling(dwellingID), Type: registry.Stay,
			Since: since, Until: since.AddDate(0, r.between(1, 12), -1)})
	case n < 70: // an old stay ended early
		since := g.ref.AddDate(-r.between(2, 8), 0, -r.intn(365))
		if since.Before(p.BirthDate) {
			return
		}
		until := since.AddDate(0, r.between(2, 12), -1)
		g.register(registry.Registration{PIN: p.PIN, DwellingID: g.stayDwelling(dwellingID), Type: registry.Stay,
			Since: since, Until: until, Ended: since.AddDate(0, 1, 0), EndReason: registry.EndDeregistered})
	}
}

func (g *generator) register(reg registry.Registration) {
	reg.ID = registrationID(g.nextReg)
	g.nextReg++
	g.registrations = append(g.registrations, reg)
}

// otherDwelling picks a generated dwelling other than not.
func (g *generator) otherDwelling(not string) string {
	for {
		if id := pick(&g.rnd, g.movable); id != not {
			return id
		}
	}
}

// stayDwelling prefers a dormitory room, else any other dwelling.
func (g *generator) stayDwelling(not string) string {
	if len(g.dorms) > 0 && g.rnd.permille(500) {
		if id := pick(&g.rnd, g.dorms); id != not {
			return id
		}
	}
	return g.otherDwelling(not)
}

func registrationID(n int) string { return fmt.Sprintf("RG-%08d", n) }

// surname forms a family name from a root: +ов/+ова after a consonant,
// +ев/+ева after й (dropped) or a vowel.
func surname(root string, sex registry.Sex) string {
	base, suffix := root, "ов"
	switch {
	case strings.HasSuffix(root, "й"):
		base, suffix = strings.TrimSuffix(root, "й"), "ев"
	case strings.ContainsAny(root[len(root)-2:], "аоуыэеиөү"):
		suffix = "ев"
	}
	if sex == registry.SexFemale {
		suffix += "а"
	}
	return base + suffix
}

// patronymic forms a patronymic from the father's given name.
func patronymic(father string, sex registry.Sex) string {
	base, male, female := father, "ович", "овна"
	if strings.HasSuffix(father, "й") {
		base, male, female = strings.TrimSuffix(father, "й"), "евич", "евна"
	}
	if sex == registry.SexFemale {
		return base + female
	}
	return base + male
}
