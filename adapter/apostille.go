package adapter

import (
	"context"
	"errors"
	"time"

	"github.com/darbaza/darbaza/registry"
)

// ApostilleRegister is the apostille register as its services use it:
// the write that examines an application and enters it (its decision
// handed to the write contract through ApostilleWrite), and the lookup by
// number and date. Apostille fails with registry.ErrNotFound for an
// unknown number or a wrong date alike.
type ApostilleRegister interface {
	RegisterApostille(ctx context.Context, a registry.ApostilleApplication, w registry.ApostilleWrite) (registry.ApostilleDecision, error)
	Apostille(ctx context.Context, number string, date registry.Date) (registry.Apostille, error)
}

// groundCodes gives each refusal ground of the register its outcome code.
var groundCodes = map[registry.Ground]string{
	registry.GroundEmbassyDocument:     OutcomeGroundEmbassyDocument,
	registry.GroundCommercialDocument:  OutcomeGroundCommercialDocument,
	registry.GroundNotForAbroad:        OutcomeGroundNotForAbroad,
	registry.GroundForeignDocument:     OutcomeGroundForeignDocument,
	registry.GroundSovietOriginal:      OutcomeGroundSovietOriginal,
	registry.GroundNotConventionParty:  OutcomeGroundNotConventionParty,
	registry.GroundObjectingState:      OutcomeGroundObjectingState,
	registry.GroundIllegible:           OutcomeGroundIllegible,
	registry.GroundPencilOrFax:         OutcomeGroundPencilOrFax,
	registry.GroundUnofficialAdditions: OutcomeGroundUnofficialAdditions,
	registry.GroundBreachOfLaw:         OutcomeGroundBreachOfLaw,
	registry.GroundSpecimenMismatch:    OutcomeGroundSpecimenMismatch,
	registry.GroundSignerNotAuthorised: OutcomeGroundSignerNotAuthorised,
}

// Bounds of the application's texts, as the register keeps them.
const (
	maxApostilleText = 500 // document title and details
	maxApostilleName = 200 // names, posts, bodies, receipts
)

// input declares a required request element of type xsType.
func input(name, xsType, doc string) field { return field{name: name, xsType: xsType, doc: doc} }

// applicationArgs are registerApostille's request elements: the register
// book's fields (seed 004, annex 3) and the examining officer's findings.
var applicationArgs = []field{
	input("application", "xs:string", "application number: capital Latin letters, digits, inner hyphens, up to 40; a repeated number gets the same answer"),
	input("documentTitle", "xs:string", "title of the document, up to 500 characters"),
	input("documentDetails", "xs:string", "its number, date and other details as written on it, up to 500 characters"),
	input("documentIssued", "xs:date", "the date the document was issued and signed"),
	input("documentKind", "xs:string", "official, notarised, official_mark, founding, patent, commercial, customs, military_id, id_card or passport"),
	input("issuer", "xs:string", "state_body, court, notary, local_government, embassy (a Kyrgyz embassy or consulate), foreign_state, soviet (a Kyrgyz SSR or USSR body) or other"),
	optionalArg("notarisedCopy", "xs:boolean", "true when a copy notarised in the Kyrgyz Republic is presented, not the original"),
	input("signerName", "xs:string", "the official who signed the document"),
	input("signerPost", "xs:string", "their post"),
	input("signerBody", "xs:string", "their body, as in the register of officials authorised to sign"),
	input("country", "xs:string", "the destination country, ISO 3166-1 alpha-2"),
	input("submitterName", "xs:string", "the person who handed the document in"),
	input("submitterIdDocument", "xs:string", "their identity document: type, series, number, issuer, date"),
	input("feeReceipt", "xs:string", "the fee payment document's details"),
	input("feePaid", "xs:date", "the date the fee was paid"),
	input("placedBy", "xs:string", "the official placing the apostille"),
	optionalArg("specimensRequested", "xs:boolean", "true when signature or seal specimens must be requested: the term is up to 30 working days instead of 2"),
	optionalArg("illegible", "xs:boolean", "finding: the text is illegible"),
	optionalArg("pencil", "xs:boolean", "finding: filled in or signed in pencil"),
	optionalArg("fax", "xs:boolean", "finding: received by fax"),
	optionalArg("unofficialAdditions", "xs:boolean", "finding: additions or corrections not officially certified"),
	optionalArg("breachOfLaw", "xs:boolean", "finding: issued in breach of the law"),
	optionalArg("specimenMismatch", "xs:boolean", "finding: signature or seal does not match the specimen"),
}

// readApplication reads registerApostille's arguments.
func readApplication(call *Call) (registry.ApostilleApplication, error) {
	var a registry.ApostilleApplication
	var err error
	texts := []struct {
		name string
		max  int
		to   *string
	}{
		{"application", 40, &a.Number},
		{"documentTitle", maxApostilleText, &a.Document.Title},
		{"documentDetails", maxApostilleText, &a.Document.Details},
		{"signerName", maxApostilleName, &a.Signer.Name},
		{"signerPost", maxApostilleName, &a.Signer.Post},
		{"signerBody", maxApostilleName, &a.Signer.Body},
		{"country", 2, &a.Country},
		{"submitterName", maxApostilleName, &a.Submitter.Name},
		{"submitterIdDocument", maxApostilleName, &a.Submitter.IDDocument},
		{"feeReceipt", maxApostilleName, &a.Fee.Receipt},
		{"placedBy", maxApostilleName, &a.PlacedBy},
	}
	for _, t := range texts {
		if *t.to, err = call.RequiredText(t.name, t.max); err != nil {
			return a, err
		}
	}
	var kind, issuer string
	if kind, err = call.RequiredText("documentKind", 20); err != nil {
		return a, err
	}
	if issuer, err = call.RequiredText("issuer", 20); err != nil {
		return a, err
	}
	a.Document.Kind, a.Document.Issuer = registry.OfficialDocumentKind(kind), registry.Issuer(issuer)
	if a.Document.Issued, err = call.Date("documentIssued"); err != nil {
		return a, err
	}
	if a.Fee.Paid, err = call.Date("feePaid"); err != nil {
		return a, err
	}
	f := &a.Findings
	for _, b := range []struct {
		name string
		to   *bool
	}{
		{"notarisedCopy", &a.Document.NotarisedCopy}, {"specimensRequested", &a.SpecimensRequested},
		{"illegible", &f.Illegible}, {"pencil", &f.Pencil}, {"fax", &f.Fax},
		{"unofficialAdditions", &f.UnofficialAdditions}, {"breachOfLaw", &f.BreachOfLaw}, {"specimenMismatch", &f.SpecimenMismatch},
	} {
		if *b.to, err = call.OptionalBool(b.name); err != nil {
			return a, err
		}
	}
	return a, nil
}

// entryNodes describe a register entry as the apostille office sees it.
var entryNodes = []node[registry.Apostille]{
	text("number", func(a registry.Apostille) string { return a.Number }).Doc("YYYY-NNNNNN, sequential per year"),
	date("date", func(a registry.Apostille) registry.Date { return a.Date }).Doc("the date of the entry, in Bishkek"),
	date("due", func(a registry.Apostille) registry.Date { return a.Due }).Doc("the day the apostilled document is due: 2 working days on, or 30 when specimens are requested"),
	text("application", func(a registry.Apostille) string { return a.Application.Number }),
	text("documentTitle", func(a registry.Apostille) string { return a.Application.Document.Title }),
	text("documentDetails", func(a registry.Apostille) string { return a.Application.Document.Details }),
	date("documentIssued", func(a registry.Apostille) registry.Date { return a.Application.Document.Issued }),
	text("documentKind", func(a registry.Apostille) string { return string(a.Application.Document.Kind) }),
	text("issuer", func(a registry.Apostille) string { return string(a.Application.Document.Issuer) }),
	boolean("notarisedCopy", func(a registry.Apostille) bool { return a.Application.Document.NotarisedCopy }),
	text("signerName", func(a registry.Apostille) string { return a.Application.Signer.Name }),
	text("signerPost", func(a registry.Apostille) string { return a.Application.Signer.Post }),
	text("signerBody", func(a registry.Apostille) string { return a.Application.Signer.Body }),
	text("country", func(a registry.Apostille) string { return a.Application.Country }),
	text("submitterName", func(a registry.Apostille) string { return a.Application.Submitter.Name }),
	text("submitterIdDocument", func(a registry.Apostille) string { return a.Application.Submitter.IDDocument }),
	text("feeReceipt", func(a registry.Apostille) string { return a.Application.Fee.Receipt }),
	date("feePaid", func(a registry.Apostille) registry.Date { return a.Application.Fee.Paid }),
	text("placedBy", func(a registry.Apostille) string { return a.Application.PlacedBy }),
	boolean("specimensRequested", func(a registry.Apostille) bool { return a.Application.SpecimensRequested }),
}

// certificateNodes describe an apostille as anyone may check it: the
// numbered fields of the Convention's model certificate, as the HCCH
// e-Register shows them, and no data of the person who submitted it.
var certificateNodes = []node[registry.Apostille]{
	text("number", func(a registry.Apostille) string { return a.Number }).Doc("8. No"),
	date("date", func(a registry.Apostille) registry.Date { return a.Date }).Doc("6. the (date)"),
	text("signedBy", func(a registry.Apostille) string { return a.Application.Signer.Name }).Doc("2. has been signed by"),
	text("capacity", func(a registry.Apostille) string { return a.Application.Signer.Post }).Doc("3. acting in the capacity of"),
	text("sealOf", func(a registry.Apostille) string { return a.Application.Signer.Body }).Doc("4. bears the seal/stamp of"),
	text("certifiedBy", func(a registry.Apostille) string { return a.Application.PlacedBy }).Doc("7. by"),
	text("documentTitle", func(a registry.Apostille) string { return a.Application.Document.Title }),
}

// apostilleServices returns registerApostille and getApostille.
func apostilleServices(src ApostilleRegister, now func() time.Time) []*Service {
	type entry = registry.Apostille
	return []*Service{
		serve(op[entry]{
			code: "registerApostille", version: "v1", namespace: Namespace,
			title: "Enter an application in the apostille register: the apostille's number, date and due date, or a refusal with every ground",
			args:  applicationArgs,
			reply: answerOf(group("apostille", always[entry], entryNodes...)),
			handle: func(ctx context.Context, call *Call) (entry, error) {
				a, err := readApplication(call)
				if err != nil {
					return entry{}, err
				}
				if err := a.Validate(now()); err != nil {
					return entry{}, badRequest("%v", err)
				}
				d, err := src.RegisterApostille(ctx, a, registry.ApostilleWrite{
					Record: call.RecordID,
					Seal:   func(tx registry.Tx, d registry.ApostilleDecision) error { return Seal(ctx, call, tx, d.Entry, nil) },
				})
				switch {
				case errors.Is(err, registry.ErrApplicationReused):
					return entry{}, refuse(OutcomeApplicationReused)
				case err != nil:
					return entry{}, err
				case d.Refused():
					codes := make([]string, len(d.Grounds))
					for i, g := range d.Grounds {
						codes[i] = groundCodes[g]
					}
					return entry{}, refuseOn(OutcomeApostilleRefused, codes...)
				}
				return d.Entry, nil
			},
		}),
		serve(op[entry]{
			code: "getApostille", version: "v1", namespace: Namespace,
			title: "Check an apostille by its number and date, as the HCCH e-Register does",
			args: []field{
				input("number", "xs:string", "the apostille's number, YYYY-NNNNNN"),
				input("date", "xs:date", "the apostille's date"),
			},
			reply: answerOf(group("apostille", always[entry], certificateNodes...)),
			handle: func(ctx context.Context, call *Call) (entry, error) {
				number, err := call.RequiredText("number", 40)
				if err != nil {
					return entry{}, err
				}
				d, err := call.Date("date")
				if err != nil {
					return entry{}, err
				}
				a, err := src.Apostille(ctx, number, d)
				switch {
				case errors.Is(err, registry.ErrInvalidID):
					return a, refuse(OutcomeInvalidApostilleNumber)
				case errors.Is(err, registry.ErrNotFound):
					return a, refuse(OutcomeApostilleNotFound)
				}
				return a, err
			},
		}),
	}
}
