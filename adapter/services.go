package adapter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/registry"
)

// Namespace is the target namespace of the population-registry services, version 1.
const Namespace = "http://population.tunduk.kg/registry/v1"

// Bishkek is GMT+6, the time zone answers are shown in (domain.md). Kyrgyzstan
// has kept GMT+6 without daylight saving since 2005.
var Bishkek = time.FixedZone("GMT+6", 6*60*60)

// Registry is the part of the population registry the services read.
type Registry interface {
	Person(ctx context.Context, pin string) (registry.Person, error)
	Registrations(ctx context.Context, pin string) (registry.RegistrationView, error)
	DwellingResidents(ctx context.Context, dwellingID string) (registry.DwellingResidents, error)
}

// History is the citizen's view of the access log.
type History interface {
	History(ctx context.Context, pin, cursor string, limit int) ([]accesslog.Record, string, error)
}

// Business outcome codes: answers, not faults (design.md §2). Stable wire contract.
const (
	OutcomeOK                = "OK"
	OutcomeInvalidPIN        = "InvalidPin"
	OutcomePersonNotFound    = "PersonNotFound"
	OutcomeInvalidDwellingID = "InvalidDwellingId"
	OutcomeDwellingNotFound  = "DwellingNotFound"
	OutcomeInvalidCursor     = "InvalidCursor"
)

// outcomeMessages are the Kyrgyz and Russian texts of each business outcome.
var outcomeMessages = map[string][2]string{
	OutcomeInvalidPIN:        {"ПИН туура эмес: 14 сан, 1 же 2 менен башталат, андан кийин туулган күнү КККААЖЖЖЖ", "Неверный ПИН: 14 цифр, первая 1 или 2, затем дата рождения ДДММГГГГ"},
	OutcomePersonNotFound:    {"Бул ПИН менен жеке адам катталган эмес", "Лицо с таким ПИН не найдено"},
	OutcomeInvalidDwellingID: {"Турак жайдын идентификатору туура эмес", "Неверный идентификатор жилища"},
	OutcomeDwellingNotFound:  {"Мындай турак жай табылган жок", "Жилище не найдено"},
	OutcomeInvalidCursor:     {"Барак белгиси туура эмес", "Неверный курсор страницы"},
}

var resultField = Field{Name: "result", Doc: "Business outcome: code OK, or a refusal code with messages in Kyrgyz and Russian.", Fields: []Field{
	{Name: "code", Type: "string"},
	{Name: "messageKy", Type: "string", Optional: true},
	{Name: "messageRu", Type: "string", Optional: true},
}}

// addResult writes the result element; for a refusal it carries both texts.
func addResult(p *etree.Element, code string) {
	r := p.CreateElement("result")
	add(r, "code", code)
	if m, ok := outcomeMessages[code]; ok {
		add(r, "messageKy", m[0])
		add(r, "messageRu", m[1])
	}
}

// answer finishes a Result for an outcome.
func answer(p *etree.Element, code string, subjects ...string) Result {
	return Result{Payload: p, Outcome: code, Subjects: subjects}
}

// refuse answers with a business refusal: its code and both messages.
func refuse(p *etree.Element, code string, subjects ...string) Result {
	addResult(p, code)
	return answer(p, code, subjects...)
}

// pinArgument reads the required pin element and checks its format. A
// missing element is a malformed request (err); a malformed PIN is a
// business answer (valid is false).
func pinArgument(call *Call, now time.Time) (pin string, valid bool, err error) {
	pin, ok := call.Text("pin")
	if !ok {
		return "", false, BadRequest("missing element pin")
	}
	_, perr := registry.ParsePIN(pin, now)
	return pin, perr == nil, nil
}

var personFields = []Field{
	{Name: "pin", Type: "string"},
	{Name: "surname", Type: "string"},
	{Name: "givenName", Type: "string"},
	{Name: "patronymic", Type: "string", Optional: true},
	{Name: "birthDate", Type: "date"},
	{Name: "sex", Type: "string", Doc: "female or male"},
	{Name: "citizenship", Type: "string", Doc: "citizen or renounced"},
	{Name: "consularRegister", Type: "boolean", Doc: "true when the person lives abroad, on the consular register"},
	{Name: "idCard", Optional: true, Fields: []Field{
		{Name: "model", Type: "string", Doc: "2004, 2017 or 2024"},
		{Name: "number", Type: "string"},
		{Name: "issued", Type: "date"},
		{Name: "expires", Type: "date"},
	}},
}

var addressFields = []Field{
	{Name: "region", Type: "string"},
	{Name: "regionName", Type: "string", Doc: "in Kyrgyz"},
	{Name: "district", Type: "string", Optional: true},
	{Name: "settlement", Type: "string"},
	{Name: "street", Type: "string", Optional: true},
	{Name: "house", Type: "string", Optional: true},
	{Name: "apartment", Type: "string", Optional: true},
}

func registrationFields(name string, optional, repeated bool) Field {
	return Field{Name: name, Optional: optional, Repeated: repeated, Fields: []Field{
		{Name: "id", Type: "string"},
		{Name: "type", Type: "string", Doc: "residence or stay"},
		{Name: "since", Type: "date"},
		{Name: "until", Type: "date", Optional: true, Doc: "last day of a stay"},
		{Name: "ended", Type: "date", Optional: true},
		{Name: "endReason", Type: "string", Optional: true, Doc: "new_residence, deregistered or death"},
		{Name: "dwellingId", Type: "string"},
		{Name: "dwellingType", Type: "string"},
		{Name: "address", Fields: addressFields},
	}}
}

// RegistryServices returns the services answered from the population
// registry and, for getAccessHistory, the access log.
func RegistryServices(reg Registry, hist History, now func() time.Time) []*Service {
	return []*Service{
		{
			Code: "getPerson", Version: "v1", Namespace: Namespace,
			Title:    "Person by PIN: name, birth date, sex, citizenship, ID card",
			Request:  []Field{{Name: "pin", Type: "string"}},
			Response: []Field{resultField, {Name: "person", Optional: true, Fields: personFields}},
			Handle: func(ctx context.Context, call *Call) (Result, error) {
				return getPerson(ctx, reg, call, now())
			},
		},
		{
			Code: "getRegistration", Version: "v1", Namespace: Namespace,
			Title:   "Current residence and stay registration, with history, by PIN",
			Request: []Field{{Name: "pin", Type: "string"}},
			Response: []Field{resultField, {Name: "pin", Type: "string", Optional: true},
				registrationFields("residence", true, false), registrationFields("stay", true, false),
				{Name: "history", Optional: true, Fields: []Field{registrationFields("registration", true, true)}}},
			Handle: func(ctx context.Context, call *Call) (Result, error) {
				return getRegistration(ctx, reg, call, now())
			},
		},
		{
			Code: "getDwellingResidents", Version: "v1", Namespace: Namespace,
			Title:   "Who is registered at a dwelling: count, PINs, names, type, since",
			Request: []Field{{Name: "dwellingId", Type: "string"}},
			Response: []Field{resultField, {Name: "dwellingId", Type: "string", Optional: true},
				{Name: "persons", Type: "int", Optional: true, Doc: "distinct persons registered now"},
				{Name: "resident", Optional: true, Repeated: true, Fields: []Field{
					{Name: "pin", Type: "string"}, {Name: "surname", Type: "string"}, {Name: "givenName", Type: "string"},
					{Name: "patronymic", Type: "string", Optional: true}, {Name: "type", Type: "string"},
					{Name: "since", Type: "date"}, {Name: "until", Type: "date", Optional: true},
				}}},
			Handle: func(ctx context.Context, call *Call) (Result, error) {
				return getDwellingResidents(ctx, reg, call)
			},
		},
		{
			Code: "getAccessHistory", Version: "v1", Namespace: Namespace,
			Title: "The citizen's data tracker: who read this person's data, when, with which service and issue",
			Request: []Field{{Name: "pin", Type: "string"},
				{Name: "cursor", Type: "string", Optional: true, Doc: "nextCursor of the previous page"},
				{Name: "limit", Type: "int", Optional: true, Doc: "page size, 1..100, default 20"}},
			Response: []Field{resultField,
				{Name: "access", Optional: true, Repeated: true, Fields: []Field{
					{Name: "time", Type: "dateTime", Doc: "GMT+6"}, {Name: "member", Type: "string"},
					{Name: "subsystem", Type: "string", Optional: true}, {Name: "service", Type: "string"},
					{Name: "issue", Type: "string", Optional: true}, {Name: "recordId", Type: "string"},
				}},
				{Name: "nextCursor", Type: "string", Optional: true}},
			Handle: func(ctx context.Context, call *Call) (Result, error) {
				return getAccessHistory(ctx, hist, call, now())
			},
		},
	}
}

func getPerson(ctx context.Context, reg Registry, call *Call, now time.Time) (Result, error) {
	p := newPayload(call)
	pin, valid, err := pinArgument(call, now)
	if err != nil {
		return Result{}, err
	}
	if !valid {
		return refuse(p, OutcomeInvalidPIN), nil
	}
	person, err := reg.Person(ctx, pin)
	if errors.Is(err, registry.ErrNotFound) {
		return refuse(p, OutcomePersonNotFound, pin), nil
	}
	if err != nil {
		return Result{Subjects: []string{pin}}, fmt.Errorf("getPerson: %w", err)
	}
	addResult(p, OutcomeOK)
	el := p.CreateElement("person")
	add(el, "pin", person.PIN)
	add(el, "surname", person.Surname)
	add(el, "givenName", person.GivenName)
	addOptional(el, "patronymic", person.Patronymic)
	add(el, "birthDate", person.BirthDate.String())
	add(el, "sex", string(person.Sex))
	add(el, "citizenship", string(person.Citizenship))
	add(el, "consularRegister", strconv.FormatBool(person.ConsularRegister))
	if c := person.IDCard; c.Present() {
		card := el.CreateElement("idCard")
		add(card, "model", string(c.Model))
		add(card, "number", c.Number)
		add(card, "issued", c.Issued.String())
		add(card, "expires", c.Expires.String())
	}
	return answer(p, OutcomeOK, pin), nil
}

func getRegistration(ctx context.Context, reg Registry, call *Call, now time.Time) (Result, error) {
	p := newPayload(call)
	pin, valid, err := pinArgument(call, now)
	if err != nil {
		return Result{}, err
	}
	if !valid {
		return refuse(p, OutcomeInvalidPIN), nil
	}
	view, err := reg.Registrations(ctx, pin)
	if errors.Is(err, registry.ErrNotFound) {
		return refuse(p, OutcomePersonNotFound, pin), nil
	}
	if err != nil {
		return Result{Subjects: []string{pin}}, fmt.Errorf("getRegistration: %w", err)
	}
	addResult(p, OutcomeOK)
	add(p, "pin", view.PIN)
	if view.Residence != nil {
		addRegistration(p, "residence", view.Residence)
	}
	if view.Stay != nil {
		addRegistration(p, "stay", view.Stay)
	}
	if len(view.History) > 0 {
		h := p.CreateElement("history")
		for i := range view.History {
			addRegistration(h, "registration", &view.History[i])
		}
	}
	return answer(p, OutcomeOK, pin), nil
}

func addRegistration(parent *etree.Element, name string, r *registry.RegistrationEntry) {
	el := parent.CreateElement(name)
	add(el, "id", r.ID)
	add(el, "type", string(r.Type))
	add(el, "since", r.Since.String())
	if !r.Until.IsZero() {
		add(el, "until", r.Until.String())
	}
	if !r.Ended.IsZero() {
		add(el, "ended", r.Ended.String())
		addOptional(el, "endReason", string(r.EndReason))
	}
	add(el, "dwellingId", r.DwellingID)
	add(el, "dwellingType", string(r.DwellingType))
	a := el.CreateElement("address")
	add(a, "region", string(r.Address.Region))
	add(a, "regionName", r.Address.Region.NameKy())
	addOptional(a, "district", r.Address.District)
	add(a, "settlement", r.Address.Settlement)
	addOptional(a, "street", r.Address.Street)
	addOptional(a, "house", r.Address.House)
	addOptional(a, "apartment", r.Address.Apartment)
}

func getDwellingResidents(ctx context.Context, reg Registry, call *Call) (Result, error) {
	p := newPayload(call)
	id, ok := call.Text("dwellingId")
	if !ok {
		return Result{}, BadRequest("missing element dwellingId")
	}
	if registry.ValidID(id) != nil {
		return refuse(p, OutcomeInvalidDwellingID), nil
	}
	dr, err := reg.DwellingResidents(ctx, id)
	if errors.Is(err, registry.ErrNotFound) {
		return refuse(p, OutcomeDwellingNotFound), nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("getDwellingResidents: %w", err)
	}
	addResult(p, OutcomeOK)
	add(p, "dwellingId", id)
	add(p, "persons", strconv.Itoa(dr.Persons))
	var subjects []string
	for _, r := range dr.Residents {
		el := p.CreateElement("resident")
		add(el, "pin", r.PIN)
		add(el, "surname", r.Surname)
		add(el, "givenName", r.GivenName)
		addOptional(el, "patronymic", r.Patronymic)
		add(el, "type", string(r.Type))
		add(el, "since", r.Since.String())
		if !r.Until.IsZero() {
			add(el, "until", r.Until.String())
		}
		subjects = append(subjects, r.PIN)
	}
	return answer(p, OutcomeOK, subjects...), nil
}

// historyPageMax bounds one page of getAccessHistory.
const historyPageMax = 100

func getAccessHistory(ctx context.Context, hist History, call *Call, now time.Time) (Result, error) {
	p := newPayload(call)
	pin, valid, err := pinArgument(call, now)
	if err != nil {
		return Result{}, err
	}
	if !valid {
		return refuse(p, OutcomeInvalidPIN), nil
	}
	limit := 20
	if s, ok := call.Text("limit"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > historyPageMax {
			return Result{}, BadRequest("limit %q: want 1..%d", s, historyPageMax)
		}
		limit = n
	}
	cursor, _ := call.Text("cursor")
	recs, next, err := hist.History(ctx, pin, cursor, limit)
	if errors.Is(err, accesslog.ErrInvalidArgument) {
		return refuse(p, OutcomeInvalidCursor, pin), nil
	}
	if err != nil {
		return Result{Subjects: []string{pin}}, fmt.Errorf("getAccessHistory: %w", err)
	}
	addResult(p, OutcomeOK)
	for _, r := range recs {
		el := p.CreateElement("access")
		add(el, "time", r.Time.In(Bishkek).Format(time.RFC3339))
		member, subsystem := splitClient(r.Client)
		add(el, "member", member)
		addOptional(el, "subsystem", subsystem)
		add(el, "service", r.Service)
		addOptional(el, "issue", r.Issue)
		add(el, "recordId", r.ID)
	}
	addOptional(p, "nextCursor", next)
	return answer(p, OutcomeOK, pin), nil
}

// splitClient splits INSTANCE/CLASS/CODE[/SUBSYSTEM] into member and subsystem.
func splitClient(c string) (member, subsystem string) {
	n := 0
	for i := 0; i < len(c); i++ {
		if c[i] == '/' {
			n++
			if n == 3 {
				return c[:i], c[i+1:]
			}
		}
	}
	return c, ""
}
