package adapter

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// ApplicationWriter is the part of the population registry the
// registration writes use: each runs the application rules in one store
// transaction and seals through the witness before it commits
// (registry.Witness, the write contract of docs/protocol.md "Writes").
type ApplicationWriter interface {
	Submit(ctx context.Context, f registry.RegistrationFiling, w registry.Witness) (registry.Application, error)
	Confirm(ctx context.Context, c registry.Confirmation, w registry.Witness) (registry.Application, error)
	Deregister(ctx context.Context, d registry.DeregistrationFiling, w registry.Witness) (registry.Application, error)
}

// ApplicationSource is the part of the population registry
// getApplicationStatus reads. Application fails with registry.ErrNotFound
// for an unknown number.
type ApplicationSource interface {
	Application(ctx context.Context, number string) (registry.Application, error)
}

// refusalOutcomes maps each refusal reason of the application rules to its
// outcome code (outcome.go).
var refusalOutcomes = map[registry.RefusalReason]string{
	registry.RefuseDwellingFull:        OutcomeDwellingFull,
	registry.RefuseSeveralOwners:       OutcomeSeveralOwners,
	registry.RefuseConsularRegister:    OutcomeConsularRegister,
	registry.RefuseOwnerOnlyUser:       OutcomeOwnerOnlyUser,
	registry.RefuseCitizenshipRenounce: OutcomeCitizenshipRenounced,
	registry.RefuseFaceIDNotMatched:    OutcomeFaceIDNotMatched,
	registry.RefuseNoEligibleIDCard:    OutcomeNoEligibleIDCard,
	registry.RefuseStayTooLong:         OutcomeStayTooLong,
	registry.RefuseStayPeriod:          OutcomeStayPeriodInvalid,
	registry.RefuseParentsMissing:      OutcomeParentPINsMissing,
	registry.RefuseParentsMismatch:     OutcomeParentPINsMismatch,
	registry.RefuseNotOwner:            OutcomeNotDwellingOwner,
	registry.RefuseRoleMismatch:        OutcomeApplicantRoleMismatch,
	registry.RefusePersonNotFound:      OutcomePersonNotFound,
	registry.RefuseDwellingNotFound:    OutcomeDwellingNotFound,
	registry.RefuseConflict:            OutcomeRegistrationConflict,
	registry.RefuseConsentNotGiven:     OutcomeConsentNotGiven,
	registry.RefusePurposeMismatch:     OutcomePurposeMismatch,
	registry.RefuseNotEntitled:         OutcomeNotEntitled,
	registry.RefuseRegistrationEnded:   OutcomeRegistrationEnded,
	registry.RefuseRegistrationUnknown: OutcomeRegistrationNotFound,
	registry.RefuseInvalidGround:       OutcomeInvalidGround,
}

// requestOutcomes maps the application errors that refuse a request, and
// keep nothing, to their outcome codes.
var requestOutcomes = []struct {
	err  error
	code string
}{
	{registry.ErrInvalidNumber, OutcomeInvalidApplicationNumber},
	{registry.ErrNumberReused, OutcomeApplicationNumberReused},
	{registry.ErrNotFound, OutcomeApplicationNotFound},
	{registry.ErrNotAwaiting, OutcomeNotAwaitingConfirmation},
	{registry.ErrLapsed, OutcomeApplicationLapsed},
	{registry.ErrNotConfirmer, OutcomeNotTheApplicant},
}

// application is an application as the services answer it; nil when a
// refusal carries none.
type application = *registry.Application

// answerOfApplication returns the answer for a: OK, or the refusal whose
// code is a's refusal reason.
func answerOfApplication(a registry.Application) (application, error) {
	if a.Decision != registry.DecisionRefused {
		return &a, nil
	}
	code, ok := refusalOutcomes[a.Refusal]
	if !ok {
		return nil, errors.New("adapter: application " + a.Number + " refused for an unknown reason " + string(a.Refusal))
	}
	return &a, refuse(code)
}

// applicationResult turns what an application rule returned into the
// service's answer: a request refused (nothing kept), a fault, or the
// application.
func applicationResult(a registry.Application, err error) (application, error) {
	for _, o := range requestOutcomes {
		if errors.Is(err, o.err) {
			return nil, refuse(o.code)
		}
	}
	if err != nil {
		return nil, err
	}
	return answerOfApplication(a)
}

// witness is a Call's side of the write contract for the application
// rules: the change names the call's record, and Seal seals a's answer.
type witness struct {
	ctx  context.Context
	call *Call
}

func (w witness) RecordID() string { return w.call.RecordID() }

func (w witness) Seal(tx registry.Tx, a registry.Application) error {
	subjectsOf(w.call, a)
	v, err := answerOfApplication(a)
	var r *refusal
	if err != nil && !errors.As(err, &r) {
		return err
	}
	return Seal(w.ctx, w.call, tx, v, err)
}

// subjectsOf records the persons a's answer shows as subjects of the
// call, each once.
func subjectsOf(call *Call, a registry.Application) {
	pins := []string{a.OwnerPIN, a.ApplicantPIN}
	if a.Requester != nil {
		pins = append(pins, a.Requester.PIN)
	}
	for _, pin := range pins {
		if pin != "" && !slices.Contains(call.subjects, pin) {
			call.Subject(pin)
		}
	}
}

// finish turns what an application rule returned for call into the
// service's answer (applicationResult), recording a's persons as subjects.
// A refusal the rule sealed is already the sealed answer and committed: it
// is not returned as an error, which would mean "sealed, not committed".
func finish(call *Call) func(registry.Application, error) (application, error) {
	return func(a registry.Application, err error) (application, error) {
		if err == nil {
			subjectsOf(call, a)
		}
		v, err := applicationResult(a, err)
		var r *refusal
		if call.sealed != nil && errors.As(err, &r) {
			return v, nil
		}
		return v, err
	}
}

// applicationNodes describe an application as every application service
// answers it.
var applicationNodes = []node[application]{
	group("application", func(a application) (registry.Application, bool) { return present(a) },
		text("number", func(a registry.Application) string { return a.Number }),
		text("kind", func(a registry.Application) string { return string(a.Kind) }).Doc("registration or deregistration"),
		text("status", func(a registry.Application) string { return string(a.Status()) }).
			Doc("delivered, in_processing or processed (decree No. 525, §26)"),
		dateTime("received", func(a registry.Application) time.Time { return a.Received }),
		group("statusHistory", func(a registry.Application) ([]registry.StatusChange, bool) { return a.History, true },
			list("change", func(h []registry.StatusChange) []registry.StatusChange { return h },
				text("status", func(c registry.StatusChange) string { return string(c.Status) }),
				dateTime("at", func(c registry.StatusChange) time.Time { return c.At }),
			),
		),
		text("role", func(a registry.Application) string { return string(a.Role) }).Optional().
			Doc("self, own_child, other_adult or other_minor"),
		text("purpose", func(a registry.Application) string { return string(a.Purpose) }).Optional().Doc("residence or stay"),
		text("ownerPin", func(a registry.Application) string { return a.OwnerPIN }).Optional(),
		text("applicantPin", func(a registry.Application) string { return a.ApplicantPIN }).Optional().
			Doc("the person registered, or deregistered"),
		date("until", func(a registry.Application) registry.Date { return a.Until }).Optional().Doc("last day of a stay"),
		text("ground", func(a registry.Application) string { return string(a.Ground) }).Optional().
			Doc("of a deregistration: left_abroad, imprisonment, court_ruling, own_request or moved_out"),
		text("dwellingId", func(a registry.Application) string { return a.DwellingID }).Optional(),
		text("dwellingType", func(a registry.Application) string { return string(a.DwellingType) }).Optional(),
		group("address", func(a registry.Application) (registry.Address, bool) { return a.Address, a.Address.Region != "" },
			addressNodes...).Optional().Doc("as the registry holds it"),
		dateTime("awaitingApplicantUntil", func(a registry.Application) time.Time {
			if a.Status() != registry.StatusInProcessing {
				return time.Time{}
			}
			return a.LapsesAt
		}).Optional().Doc("in processing: the applicant's confirmation is awaited until then, after which it lapses"),
		text("decision", func(a registry.Application) string { return string(a.Decision) }).Optional().
			Doc("processed: registered, deregistered, refused or lapsed"),
		group("refusal", func(a registry.Application) (outcome, bool) {
			if a.Decision != registry.DecisionRefused {
				return outcome{}, false
			}
			return outcomeOf(verdict{code: refusalOutcomes[a.Refusal]})
		},
			text("code", func(o outcome) string { return o.code }),
			text("messageKy", func(o outcome) string { return o.ky }),
			text("messageRu", func(o outcome) string { return o.ru }),
		).Optional().Doc("refused: the reason"),
		dateTime("refusalNoticeDue", func(a registry.Application) time.Time { return a.NoticeDue }).Optional().
			Doc("refused: when the refusal notice is due (decree No. 525, §29)"),
		text("registrationId", func(a registry.Application) string { return a.RegistrationID }).Optional().
			Doc("the registration made, or ended"),
	),
}

// applicationReply is the reply of every application service: the result,
// then the application, also for a refusal that kept it.
var applicationReply = detailedAnswerOf(func(a application) bool { return a != nil }, applicationNodes...)

// applicationServices returns submitRegistration, confirmRegistration,
// deregister and getApplicationStatus. now is the clock PINs are checked
// against.
func applicationServices(w ApplicationWriter, src ApplicationSource, now func() time.Time) []*Service {
	seal := func(ctx context.Context, call *Call) witness { return witness{ctx: ctx, call: call} }
	return []*Service{
		serve(op[application]{
			code: "submitRegistration", version: "v1", namespace: Namespace,
			title:   "Register at a place of residence or stay: the dwelling owner's application",
			titleKy: "Жашаган же барган жери боюнча каттоо: турак жайдын ээсинин арызы",
			titleRu: "Регистрация по месту жительства или пребывания: заявление собственника жилища",
			args: []field{
				arg("application").Doc("the application number the portal gave it: retries send the same"),
				arg("ownerPin"),
				arg("role").Doc("self, own_child, other_adult or other_minor"),
				arg("purpose").Doc("residence or stay"),
				arg("dwellingId"),
				optionalArg("applicantPin", "xs:string", "the person to register; absent for self"),
				repeatedArg("parentPin", "a minor's parents' PINs"),
				optionalArg("until", "xs:date", "a stay's last day, at most one year from today"),
				typedArg("ownerFaceIdMatched", "xs:boolean", "the owner's Face ID (liveness) matched the passport register"),
				typedArg("ownerEmailCodeConfirmed", "xs:boolean", "the owner confirmed the e-mail code"),
				typedArg("ownerSignature", "xs:base64Binary", "the owner's electronic signature of the application, kept as evidence"),
			},
			reply: applicationReply,
			handle: func(ctx context.Context, call *Call) (application, error) {
				f, err := readFiling(call, now())
				if err != nil {
					return nil, err
				}
				return finish(call)(w.Submit(ctx, f, seal(ctx, call)))
			},
		}),
		serve(op[application]{
			code: "confirmRegistration", version: "v1", namespace: Namespace,
			title:   "Confirm a registration application: the applicant's part",
			titleKy: "Каттоо арызын ырастоо: арыз ээсинин бөлүгү",
			titleRu: "Подтверждение заявления о регистрации: часть заявителя",
			args: []field{
				arg("application"),
				arg("pin").Doc("the applicant, or for a minor a parent named in the application"),
				arg("purpose").Doc("residence or stay, as the owner filed"),
				typedArg("faceIdMatched", "xs:boolean", "the Face ID (liveness) matched the passport register"),
				typedArg("emailCodeConfirmed", "xs:boolean", "the e-mail code was confirmed"),
				typedArg("consent", "xs:boolean", "consent to processing personal data"),
				typedArg("signature", "xs:base64Binary", "the electronic signature, kept as evidence"),
			},
			reply: applicationReply,
			handle: func(ctx context.Context, call *Call) (application, error) {
				c, err := readConfirmation(call, now())
				if err != nil {
					return nil, err
				}
				return finish(call)(w.Confirm(ctx, c, seal(ctx, call)))
			},
		}),
		serve(op[application]{
			code: "deregister", version: "v1", namespace: Namespace,
			title:   "End a residence or stay registration, with its ground",
			titleKy: "Жашаган же барган жери боюнча каттоодон чыгаруу",
			titleRu: "Снятие с регистрации по месту жительства или пребывания",
			args: []field{
				arg("application"),
				arg("requesterPin").Doc("the registered person or the dwelling's owner"),
				arg("registrationId"),
				arg("ground").Doc("left_abroad, imprisonment, court_ruling, own_request or moved_out"),
				typedArg("faceIdMatched", "xs:boolean", "the requester's Face ID (liveness) matched"),
				typedArg("emailCodeConfirmed", "xs:boolean", "the e-mail code was confirmed"),
				typedArg("signature", "xs:base64Binary", "the requester's electronic signature, kept as evidence"),
			},
			reply: applicationReply,
			handle: func(ctx context.Context, call *Call) (application, error) {
				d, err := readDeregistration(call, now())
				if err != nil {
					return nil, err
				}
				return finish(call)(w.Deregister(ctx, d, seal(ctx, call)))
			},
		}),
		serve(op[application]{
			code: "getApplicationStatus", version: "v1", namespace: Namespace,
			title:   "Status of a registration or deregistration application",
			titleKy: "Арыздын абалы",
			titleRu: "Статус заявления",
			args:    []field{arg("application")},
			reply:   applicationReply,
			handle: func(ctx context.Context, call *Call) (application, error) {
				number, err := call.required("application")
				if err != nil {
					return nil, err
				}
				v, err := finish(call)(src.Application(ctx, number))
				var r *refusal
				if v != nil && errors.As(err, &r) {
					return v, nil // a status query is answered OK; the refusal is in the application
				}
				return v, err
			},
		}),
	}
}

// readFiling reads submitRegistration's arguments.
func readFiling(call *Call, now time.Time) (registry.RegistrationFiling, error) {
	var f registry.RegistrationFiling
	var err error
	if f.Number, err = call.required("application"); err != nil {
		return f, err
	}
	if f.Owner.PIN, err = call.PIN("ownerPin", now); err != nil {
		return f, err
	}
	role, err := call.Choice("role", OutcomeInvalidApplication,
		string(registry.RoleSelf), string(registry.RoleOwnChild), string(registry.RoleOtherAdult), string(registry.RoleOtherMinor))
	if err != nil {
		return f, err
	}
	purpose, err := call.Choice("purpose", OutcomeInvalidApplication, string(registry.Residence), string(registry.Stay))
	if err != nil {
		return f, err
	}
	f.Role, f.Purpose = registry.ApplicantRole(role), registry.RegistrationType(purpose)
	if f.DwellingID, err = call.DwellingID("dwellingId"); err != nil {
		return f, err
	}
	if f.ApplicantPIN, err = call.OptionalPIN("applicantPin", now); err != nil {
		return f, err
	}
	if f.ApplicantPIN == "" {
		f.ApplicantPIN = f.Owner.PIN
	}
	if f.ParentPINs, err = call.PINs("parentPin", now); err != nil {
		return f, err
	}
	if f.Until, err = call.OptionalDate("until"); err != nil {
		return f, err
	}
	if f.Owner.FaceIDMatched, err = call.Bool("ownerFaceIdMatched"); err != nil {
		return f, err
	}
	if f.Owner.EmailCodeConfirmed, err = call.Bool("ownerEmailCodeConfirmed"); err != nil {
		return f, err
	}
	f.Owner.Signature, err = call.Base64("ownerSignature")
	return f, err
}

// readConfirmation reads confirmRegistration's arguments.
func readConfirmation(call *Call, now time.Time) (registry.Confirmation, error) {
	var c registry.Confirmation
	var err error
	if c.Number, err = call.required("application"); err != nil {
		return c, err
	}
	if c.Party.PIN, err = call.PIN("pin", now); err != nil {
		return c, err
	}
	purpose, err := call.Choice("purpose", OutcomeInvalidApplication, string(registry.Residence), string(registry.Stay))
	if err != nil {
		return c, err
	}
	c.Purpose = registry.RegistrationType(purpose)
	if c.Party.FaceIDMatched, err = call.Bool("faceIdMatched"); err != nil {
		return c, err
	}
	if c.Party.EmailCodeConfirmed, err = call.Bool("emailCodeConfirmed"); err != nil {
		return c, err
	}
	if c.Party.Consent, err = call.Bool("consent"); err != nil {
		return c, err
	}
	c.Party.Signature, err = call.Base64("signature")
	return c, err
}

// readDeregistration reads deregister's arguments. The ground is judged by
// the rules (InvalidGround), so a refused deregistration is kept like any.
func readDeregistration(call *Call, now time.Time) (registry.DeregistrationFiling, error) {
	var d registry.DeregistrationFiling
	var err error
	if d.Number, err = call.required("application"); err != nil {
		return d, err
	}
	if d.Requester.PIN, err = call.PIN("requesterPin", now); err != nil {
		return d, err
	}
	if d.RegistrationID, err = call.ID("registrationId", OutcomeInvalidRegistrationID); err != nil {
		return d, err
	}
	ground, err := call.required("ground")
	if err != nil {
		return d, err
	}
	d.Ground = registry.DeregistrationGround(ground)
	if d.Requester.FaceIDMatched, err = call.Bool("faceIdMatched"); err != nil {
		return d, err
	}
	if d.Requester.EmailCodeConfirmed, err = call.Bool("emailCodeConfirmed"); err != nil {
		return d, err
	}
	d.Requester.Signature, err = call.Base64("signature")
	return d, err
}
