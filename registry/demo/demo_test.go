package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/boltstore"
)

// testNow is a clock after DefaultReference, while the fixed stay runs.
var testNow = time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)

func write(tb testing.TB, opts Options) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, opts); err != nil {
		tb.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

var (
	defaultOnce  sync.Once
	defaultStore *registry.Registry
	defaultData  []byte
	defaultRep   registry.ImportReport
	defaultErr   error
)

// loadDefault imports the default dataset once per test binary.
func loadDefault(tb testing.TB) (*registry.Registry, registry.ImportReport) {
	tb.Helper()
	defaultOnce.Do(func() {
		var buf bytes.Buffer
		if defaultErr = Write(&buf, Options{}); defaultErr != nil {
			return
		}
		defaultData = bytes.Clone(buf.Bytes())
		dir, err := dirForDefault()
		if err != nil {
			defaultErr = err
			return
		}
		store, err := boltstore.Open(filepath.Join(dir, "demo.db"), boltstore.Options{NoSync: true})
		if err != nil {
			defaultErr = err
			return
		}
		defaultStore = registry.New(store, registry.Options{Now: func() time.Time { return testNow }})
		defaultRep, defaultErr = defaultStore.Import(context.Background(), &buf)
	})
	if defaultErr != nil {
		tb.Fatalf("default dataset: %v (line errors: %v)", defaultErr, firstErrors(defaultRep))
	}
	return defaultStore, defaultRep
}

func firstErrors(rep registry.ImportReport) []registry.LineError {
	return rep.Errors[:min(len(rep.Errors), 10)]
}

func TestWriteIsDeterministic(t *testing.T) {
	opts := Options{Persons: 3000}
	a, b := write(t, opts), write(t, opts)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same options wrote different bytes")
	}
	if c := write(t, Options{Persons: 3000, Seed: 7}); bytes.Equal(a, c) {
		t.Error("another seed wrote the same bytes")
	}
}

func TestTheDefaultDatasetIsStable(t *testing.T) {
	loadDefault(t)
	again := write(t, Options{})
	if !bytes.Equal(defaultData, again) {
		t.Fatal("two runs of the default dataset differ")
	}
	t.Logf("default dataset: %d bytes, sha256 %x", len(again), sha256.Sum256(again))
}

func TestTheDefaultDatasetImportsIntoAFreshStore(t *testing.T) {
	s, rep := loadDefault(t)
	if rep.Persons != DefaultPersons+len(fixedPersons)+familySize {
		t.Errorf("Persons = %d, want %d", rep.Persons, DefaultPersons+len(fixedPersons)+familySize)
	}
	if rep.Dwellings < 5000 || rep.Registrations < rep.Persons {
		t.Errorf("report = %+v: too few dwellings or registrations", rep)
	}
	st, err := s.Stats(context.Background())
	if err != nil || st.Persons != rep.Persons || st.Dwellings != rep.Dwellings || st.Registrations != rep.Registrations {
		t.Errorf("Stats = %+v, %v; report %+v", st, err, rep)
	}
}

func TestTheDatasetCoversEveryRegionAndDwellingType(t *testing.T) {
	data := write(t, Options{Persons: 5000})
	regions := map[registry.Region]int{}
	types := map[registry.DwellingType]int{}
	stays, history := 0, 0
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		rec, err := registry.ParseLine(line, testNow)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		switch rec.Kind {
		case registry.KindDwelling:
			regions[rec.Dwelling.Address.Region]++
			types[rec.Dwelling.Type]++
		case registry.KindRegistration:
			if rec.Registration.Type == registry.Stay {
				stays++
			}
			if !rec.Registration.Open() {
				history++
			}
		}
	}
	for _, r := range registry.Regions {
		if regions[r] == 0 {
			t.Errorf("no dwelling in region %s", r)
		}
	}
	for _, ty := range registry.DwellingTypes {
		if types[ty] == 0 {
			t.Errorf("no dwelling of type %s", ty)
		}
	}
	if stays == 0 || history == 0 {
		t.Errorf("%d stays, %d ended registrations; want some of each", stays, history)
	}
}

func TestTheFixedEdgeCases(t *testing.T) {
	s, _ := loadDefault(t)
	ctx := context.Background()
	today := registry.DateOf(testNow)

	t.Run("PINFound has a residence, a current stay and history", func(t *testing.T) {
		v, err := s.Registrations(ctx, PINFound)
		if err != nil {
			t.Fatal(err)
		}
		if v.Residence == nil || v.Residence.DwellingID != DwellingFoundResidence {
			t.Errorf("residence = %+v", v.Residence)
		}
		if v.Stay == nil || v.Stay.DwellingID != DwellingFoundStay {
			t.Errorf("stay = %+v", v.Stay)
		}
		if len(v.History) != 2 {
			t.Errorf("history = %+v, want the old residence and the expired stay", v.History)
		}
	})
	t.Run("the ten-resident dwelling has exactly 10 persons registered", func(t *testing.T) {
		res, err := s.DwellingResidents(ctx, DwellingTenResidents)
		if err != nil || res.Persons != 10 || len(res.Residents) != 10 {
			t.Errorf("residents = %d persons, %d entries, %v", res.Persons, len(res.Residents), err)
		}
	})
	t.Run("the two-owner dwelling has two owners", func(t *testing.T) {
		d, err := s.Dwelling(ctx, DwellingTwoOwners)
		if err != nil || len(d.Owners) != 2 || d.Owners[0].PIN != PINTwoOwnersHusband || d.Owners[1].PIN != PINTwoOwnersWife {
			t.Errorf("owners = %+v, %v", d.Owners, err)
		}
	})
	t.Run("the user-only dwelling's holder is a user", func(t *testing.T) {
		d, err := s.Dwelling(ctx, DwellingUserOnly)
		if err != nil || len(d.Owners) != 1 || d.Owners[0] != (registry.Owner{PIN: PINUserOnly, Title: registry.TitleUser}) {
			t.Errorf("owners = %+v, %v", d.Owners, err)
		}
	})
	persons := []struct {
		name  string
		pin   string
		check func(registry.Person) bool
	}{
		{"PINConsular is on the consular register", PINConsular, func(p registry.Person) bool { return p.ConsularRegister }},
		{"PINRenounced renounced citizenship", PINRenounced, func(p registry.Person) bool { return p.Citizenship == registry.CitizenshipRenounced }},
		{"PINNoIDCard has no eligible ID card", PINNoIDCard, func(p registry.Person) bool { return !p.IDCard.Present() }},
		{"PINFound may apply online", PINFound, func(p registry.Person) bool { return p.MayApplyOnline(today) }},
	}
	for _, tt := range persons {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.Person(ctx, tt.pin)
			if err != nil || !tt.check(p) {
				t.Errorf("Person(%s) = %+v, %v", tt.pin, p, err)
			}
		})
	}
	t.Run("PINNotFound is valid but not found", func(t *testing.T) {
		if _, err := registry.ParsePIN(PINNotFound, testNow); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Person(ctx, PINNotFound); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Person(PINNotFound) error = %v, want ErrNotFound", err)
		}
	})
}

func TestTheFixedRecordsDoNotDependOnTheSeed(t *testing.T) {
	fixedLines := func(data []byte) [][]byte {
		lines := bytes.Split(data, []byte("\n"))
		return lines[:len(fixedPersons)]
	}
	a := fixedLines(write(t, Options{Persons: 50, Seed: 1}))
	b := fixedLines(write(t, Options{Persons: 80, Seed: 2}))
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("fixed person line %d differs between seeds:\n%s\n%s", i, a[i], b[i])
		}
	}
}

func TestWriteRejectsBadOptions(t *testing.T) {
	for _, opts := range []Options{
		{Persons: -1},
		{Reference: registry.NewDate(2020, 1, 1)},
	} {
		if err := Write(&bytes.Buffer{}, opts); !errors.Is(err, ErrOptions) {
			t.Errorf("Write(%+v) error = %v, want ErrOptions", opts, err)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{surname("Асан", registry.SexMale), "Асанов"},
		{surname("Асан", registry.SexFemale), "Асанова"},
		{surname("Турдубай", registry.SexMale), "Турдубаев"},
		{surname("Абдылда", registry.SexFemale), "Абдылдаева"},
		{patronymic("Бакыт", registry.SexMale), "Бакытович"},
		{patronymic("Турдубай", registry.SexFemale), "Турдубаевна"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// BenchmarkGenerateAndImport measures writing the default dataset and
// importing it into a fresh store (fsync on).
func BenchmarkGenerateAndImport(b *testing.B) {
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, Options{}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
		store, err := boltstore.Open(filepath.Join(b.TempDir(), "bench.db"), boltstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s := registry.New(store, registry.Options{Now: func() time.Time { return testNow }})
		if _, err := s.Import(context.Background(), &buf); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func BenchmarkWrite(b *testing.B) {
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, Options{}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func BenchmarkPerson(b *testing.B) {
	s, _ := loadDefault(b)
	pins := []string{PINFound, PINConsular, PINRenounced, PINNoIDCard, PINTenResidentsOwner}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := s.Person(ctx, pins[i%len(pins)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkRegistrations(b *testing.B) {
	s, _ := loadDefault(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Registrations(ctx, PINFound); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDwellingResidents(b *testing.B) {
	s, _ := loadDefault(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.DwellingResidents(ctx, DwellingTenResidents); err != nil {
			b.Fatal(err)
		}
	}
}
