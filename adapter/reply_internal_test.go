package adapter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/soap"
)

type sample struct {
	name, nickname string
	tags           []string
}

var sampleReply = answerOf(
	text("name", func(s sample) string { return s.name }),
	text("nickname", func(s sample) string { return s.nickname }).Optional(),
	list("tag", func(s sample) []string { return s.tags },
		text("value", func(t string) string { return t }),
	).Optional(),
)

func written(t *testing.T, r reply[sample], outcome string, v sample) (string, error) {
	t.Helper()
	p := etree.NewElement("sampleResponse")
	err := r.write(p, outcome, v)
	doc := etree.NewDocument()
	doc.SetRoot(p)
	s, _ := doc.WriteToString()
	return s, err
}

func TestAReplyWritesWhatItDeclaresAndRefusesWhatItRequiresButLacks(t *testing.T) {
	tests := []struct {
		name    string
		outcome string
		v       sample
		want    string
		missing string // the path of the required element without a value
	}{
		{"optional elements without a value are left out", OutcomeOK, sample{name: "Айгүл"},
			`<sampleResponse><result><code>OK</code></result><name>Айгүл</name></sampleResponse>`, ""},
		{"every element in its declared order", OutcomeOK, sample{name: "a", nickname: "b", tags: []string{"x", "y"}},
			`<sampleResponse><result><code>OK</code></result><name>a</name><nickname>b</nickname><tag><value>x</value></tag><tag><value>y</value></tag></sampleResponse>`, ""},
		{"a refusal is the result alone, with both texts", OutcomePersonNotFound, sample{name: "not written"},
			`<sampleResponse><result><code>PersonNotFound</code><messageKy>Бул ПИН менен жеке адам катталган эмес</messageKy><messageRu>Лицо с таким ПИН не найдено</messageRu></result></sampleResponse>`, ""},
		{"a required element without a value is an error", OutcomeOK, sample{nickname: "b"}, "", "sampleResponse/name"},
		{"so is one inside a list", OutcomeOK, sample{name: "a", tags: []string{""}}, "", "sampleResponse/tag/value"},
		{"and a refusal code without texts", "NoSuchOutcome", sample{}, "", "sampleResponse/result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := written(t, sampleReply, tt.outcome, tt.v)
			if tt.missing != "" {
				var m *missingError
				if !errors.Is(err, errRequired) || !errors.As(err, &m) || m.path != tt.missing {
					t.Fatalf("err %v, want %v for %s", err, errRequired, tt.missing)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %s (%v)\nwant %s", got, err, tt.want)
			}
		})
	}
}

func TestAReplyDeclaresItsElementsOptionalAfterTheResult(t *testing.T) {
	fs := sampleReply.fields()
	if len(fs) != 4 || fs[0].name != "result" || fs[0].optional {
		t.Fatalf("fields %+v: want the required result first", fs)
	}
	for _, f := range fs[1:] {
		if !f.optional {
			t.Errorf("%s is required in the schema, but a refusal leaves it out", f.name)
		}
	}
	if tag := fs[3]; !tag.repeated || len(tag.children) != 1 || tag.children[0].optional {
		t.Errorf("tag %+v: want a repeated element with one required child", tag)
	}
}

func TestOutcomeCodesAndTexts(t *testing.T) {
	// The codes are wire contract: integrators match on these strings.
	want := []string{"InvalidPin", "PersonNotFound", "InvalidDwellingId", "DwellingNotFound", "InvalidCursor",
		"NoResidenceRegistration", "InvalidDocumentNumber", "DocumentNotFound", "DocumentExpired", "DocumentRevoked",
		// The registration applications (application.go).
		"DwellingFull", "SeveralOwners", "ConsularRegister", "OwnerOnlyUser", "CitizenshipRenounced",
		"FaceIdNotMatched", "NoEligibleIdCard", "StayTooLong", "StayPeriodInvalid", "ParentPinsMissing",
		"ParentPinsMismatch", "NotDwellingOwner", "ApplicantRoleMismatch", "RegistrationConflict",
		"ConsentNotGiven", "PurposeMismatch", "NotEntitled", "RegistrationEnded", "RegistrationNotFound",
		"InvalidGround", "ApplicationNotFound", "ApplicationNumberReused", "InvalidApplicationNumber",
		"InvalidApplication", "InvalidRegistrationId", "ApplicationNotAwaitingConfirmation",
		"ApplicationLapsed", "NotTheApplicant",
		// The taxpayer and apostille registers (taxpayer.go, apostille.go).
		"InvalidInn", "NotTaxpayer", "TaxpayerNotFound",
		"ApostilleRefused", "ApostilleApplicationReused", "InvalidApostilleNumber", "ApostilleNotFound",
		"EmbassyDocument", "CommercialDocument", "NotForAbroad", "ForeignDocument", "SovietOriginal",
		"NotConventionParty", "ObjectingState", "Illegible", "PencilOrFax", "UnofficialAdditions",
		"BreachOfLaw", "SpecimenMismatch", "SignerNotAuthorised"}
	if len(outcomeTexts) != len(want) {
		t.Errorf("%d refusal codes, want %d", len(outcomeTexts), len(want))
	}
	for _, code := range want {
		o, ok := outcomeOf(verdict{code: code})
		if !ok || o.ky == "" || o.ru == "" || o.ky == o.ru {
			t.Errorf("%s: Kyrgyz %q, Russian %q", code, o.ky, o.ru)
		}
	}
	if OutcomeOK != "OK" {
		t.Errorf("OK is %q", OutcomeOK)
	}
}

// clockNow is the day PINs are checked on.
var clockNow = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// testCall returns a Call for a request body element with children.
func testCall(t *testing.T, args []field, body string) *Call {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(body); err != nil {
		t.Fatal(err)
	}
	return &Call{Env: &soap.Envelope{Payload: doc.Root()}, args: args}
}

func TestArgumentReaders(t *testing.T) {
	args := []field{arg("pin"), arg("dwellingId"), optionalArg("limit", "xs:int", ""),
		typedArg("flag", "xs:boolean", ""), typedArg("sig", "xs:base64Binary", ""), optionalArg("until", "xs:date", ""),
		repeatedArg("parentPin", ""), arg("role")}
	isRefusal := func(code string) func(error) bool {
		return func(err error) bool { var r *refusal; return errors.As(err, &r) && r.code == code }
	}
	isFault := func(err error) bool { return match(err).code == soap.CodeInvalidRequest }
	isInternal := func(err error) bool { return match(err).code == soap.CodeInternalError }
	tests := []struct {
		name string
		body string
		read func(c *Call) error
		want func(error) bool
	}{
		{"a missing PIN is a fault", `<r xmlns="urn:r"/>`,
			func(c *Call) error { _, err := c.PIN("pin", clockNow); return err }, isFault},
		{"a malformed PIN is the InvalidPin answer", `<r xmlns="urn:r"><pin>12345</pin></r>`,
			func(c *Call) error { _, err := c.PIN("pin", clockNow); return err }, isRefusal(OutcomeInvalidPIN)},
		{"a missing dwelling is a fault", `<r xmlns="urn:r"/>`,
			func(c *Call) error { _, err := c.DwellingID("dwellingId"); return err }, isFault},
		{"a malformed dwelling is the InvalidDwellingId answer", `<r xmlns="urn:r"><dwellingId>dw 1</dwellingId></r>`,
			func(c *Call) error { _, err := c.DwellingID("dwellingId"); return err }, isRefusal(OutcomeInvalidDwellingID)},
		{"a limit that is no integer is a fault", `<r xmlns="urn:r"><limit>ten</limit></r>`,
			func(c *Call) error { _, err := c.OptionalInt("limit", 1, 100, 20); return err }, isFault},
		{"a boolean that is not xs:boolean is a fault", `<r xmlns="urn:r"><flag>yes</flag></r>`,
			func(c *Call) error { _, err := c.Bool("flag"); return err }, isFault},
		{"a missing boolean is a fault", `<r xmlns="urn:r"/>`,
			func(c *Call) error { _, err := c.Bool("flag"); return err }, isFault},
		{"a signature that is no base64 is a fault", `<r xmlns="urn:r"><sig>*</sig></r>`,
			func(c *Call) error { _, err := c.Base64("sig"); return err }, isFault},
		{"an empty signature is a fault", `<r xmlns="urn:r"><sig></sig></r>`,
			func(c *Call) error { _, err := c.Base64("sig"); return err }, isFault},
		{"a date that does not exist is a fault", `<r xmlns="urn:r"><until>2027-02-30</until></r>`,
			func(c *Call) error { _, err := c.OptionalDate("until"); return err }, isFault},
		{"one malformed parent PIN is the InvalidPin answer", `<r xmlns="urn:r"><parentPin>21204198800031</parentPin><parentPin>9</parentPin></r>`,
			func(c *Call) error { _, err := c.PINs("parentPin", clockNow); return err }, isRefusal(OutcomeInvalidPIN)},
		{"a value outside the choices is the given answer", `<r xmlns="urn:r"><role>neighbour</role></r>`,
			func(c *Call) error { _, err := c.Choice("role", OutcomeInvalidApplication, "self"); return err }, isRefusal(OutcomeInvalidApplication)},
		{"reading an argument the request does not declare is internal", `<r xmlns="urn:r"><cursor>x</cursor></r>`,
			func(c *Call) error { _, err := c.OptionalText("cursor"); return err }, isInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCall(t, args, tt.body)
			if err := tt.read(c); !tt.want(err) {
				t.Errorf("err %v", err)
			}
			if len(c.subjects) != 0 {
				t.Errorf("subjects %v after a refused argument", c.subjects)
			}
		})
	}
	c := testCall(t, args, `<r xmlns="urn:r"><pin> 21505198500123 </pin></r>`)
	if pin, err := c.PIN("pin", clockNow); err != nil || pin != "21505198500123" || strings.Join(c.subjects, ",") != pin {
		t.Errorf("a valid PIN: %q %v, subjects %v", pin, err, c.subjects)
	}
	if n, err := c.OptionalInt("limit", 1, 100, 20); n != 20 || err != nil {
		t.Errorf("an absent limit: %d %v, want the default 20", n, err)
	}
}

func TestARefusalFromAServiceWithoutResultIsAnError(t *testing.T) {
	s := serve(op[sample]{code: "plain", reply: plainOf(text("name", func(s sample) string { return s.name })),
		handle: func(context.Context, *Call) (sample, error) { return sample{}, refuse(OutcomePersonNotFound) }})
	_, err := s.handle(context.Background(), testCall(t, nil, `<plain xmlns="urn:r"/>`))
	if match(err).code != soap.CodeInternalError {
		t.Errorf("err %v, want an internal error", err)
	}
}

func TestReadersOfTheApplicationArguments(t *testing.T) {
	args := []field{typedArg("flag", "xs:boolean", ""), typedArg("sig", "xs:base64Binary", ""),
		optionalArg("until", "xs:date", ""), repeatedArg("parentPin", ""), optionalArg("applicantPin", "xs:string", "")}
	c := testCall(t, args, `<r xmlns="urn:r"><flag>1</flag><sig>c2ln
ICBn</sig><until>2027-01-31</until><parentPin>21204198800031</parentPin><parentPin>10509199000032</parentPin></r>`)
	flag, err := c.Bool("flag")
	if err != nil || !flag {
		t.Errorf("Bool: %v %v", flag, err)
	}
	if sig, err := c.Base64("sig"); err != nil || string(sig) != "sig  g" {
		t.Errorf("Base64: %q %v", sig, err)
	}
	if d, err := c.OptionalDate("until"); err != nil || d.String() != "2027-01-31" {
		t.Errorf("OptionalDate: %v %v", d, err)
	}
	if pins, err := c.PINs("parentPin", clockNow); err != nil || len(pins) != 2 {
		t.Errorf("PINs: %v %v", pins, err)
	}
	if pin, err := c.OptionalPIN("applicantPin", clockNow); err != nil || pin != "" {
		t.Errorf("OptionalPIN of an absent element: %q %v", pin, err)
	}
	if len(c.subjects) != 2 {
		t.Errorf("subjects %v, want the two parents", c.subjects)
	}
}

func TestEveryRefusalReasonHasItsOwnOutcome(t *testing.T) {
	if len(refusalOutcomes) != len(registry.RefusalReasons) {
		t.Errorf("%d reasons mapped, the registry has %d", len(refusalOutcomes), len(registry.RefusalReasons))
	}
	for _, reason := range registry.RefusalReasons {
		if _, ok := refusalOutcomes[reason]; !ok {
			t.Errorf("refusal reason %s has no outcome code", reason)
		}
	}
	seen := map[string]registry.RefusalReason{}
	for reason, code := range refusalOutcomes {
		if o, ok := outcomeOf(verdict{code: code}); !ok || o.ky == "" || o.ru == "" {
			t.Errorf("%s: code %s has no texts", reason, code)
		}
		if other, dup := seen[code]; dup {
			t.Errorf("%s and %s share the code %s", reason, other, code)
		}
		seen[code] = reason
	}
	a := registry.Application{Number: "AP-1", Decision: registry.DecisionRefused, Refusal: "no_such_reason"}
	if _, err := answerOfApplication(a); err == nil || match(err).code != soap.CodeInternalError {
		t.Errorf("an unknown refusal reason: %v, want an internal error", err)
	}
}
