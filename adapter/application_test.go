package adapter_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter"
	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/registry/demo"
	"github.com/darbaza/darbaza/soap"
)

// The registration applications through the real pipeline: signed
// requests, the real rules and bbolt store, the access log.

// resultCode finds an answer's result code.
var resultCode = regexp.MustCompile(`<code>(\w+)</code>`)

var signature = base64.StdEncoding.EncodeToString([]byte("signature evidence"))

func submitFields(number, owner, role, purpose, dwelling, applicant, until string, parents ...string) []string {
	f := []string{"application", number, "ownerPin", owner, "role", role, "purpose", purpose, "dwellingId", dwelling}
	if applicant != "" {
		f = append(f, "applicantPin", applicant)
	}
	for _, p := range parents {
		f = append(f, "parentPin", p)
	}
	if until != "" {
		f = append(f, "until", until)
	}
	return append(f, "ownerFaceIdMatched", "true", "ownerEmailCodeConfirmed", "true", "ownerSignature", signature)
}

func confirmFields(number, pin, purpose string) []string {
	return []string{"application", number, "pin", pin, "purpose", purpose, "faceIdMatched", "true",
		"emailCodeConfirmed", "true", "consent", "true", "signature", signature}
}

func deregisterFields(number, requester, registration, ground string) []string {
	return []string{"application", number, "requesterPin", requester, "registrationId", registration, "ground", ground,
		"faceIdMatched", "true", "emailCodeConfirmed", "true", "signature", signature}
}

// call sends a signed request and returns the answer; a fault fails the test.
func (hs *harness) call(member, service string, fields ...string) response {
	hs.tb.Helper()
	r := hs.send(hs.sign(request(hs.tb, member, service, fields...), member))
	if r.faultCode() != "" {
		hs.tb.Fatalf("%s: fault %s\n%s", service, r.faultCode(), r.raw)
	}
	return r
}

func (r response) text(path string) string {
	if el := r.doc.FindElement(path); el != nil {
		return el.Text()
	}
	return ""
}

func (r response) code() string { return r.text("//result/code") }

// expect checks an application answer: its result code, status and decision.
func expect(tb testing.TB, step string, r response, code, status, decision string) {
	tb.Helper()
	got := [3]string{r.code(), r.text("//application/status"), r.text("//application/decision")}
	if want := [3]string{code, status, decision}; got != want {
		tb.Errorf("%s: result, status, decision = %q, want %q\n%s", step, got, want, r.raw)
	}
}

// statusOf asks getApplicationStatus.
func (hs *harness) statusOf(number string) response {
	return hs.call(portal, "getApplicationStatus", "application", number)
}

// residence returns the dwelling of pin's current residence and of its
// current stay ("" when none), as getRegistration shows them.
func (hs *harness) registrationOf(pin string) (residence, stay string) {
	r := hs.call(portal, "getRegistration", "pin", pin)
	return r.text("//residence/dwellingId"), r.text("//stay/dwellingId")
}

// residents returns the PINs getDwellingResidents lists, in order.
func (hs *harness) residents(dwelling string) []string {
	r := hs.call(sanarip, "getDwellingResidents", "dwellingId", dwelling)
	var pins []string
	for _, el := range r.doc.FindElements("//resident/pin") {
		pins = append(pins, el.Text())
	}
	return pins
}

func TestAFamilyRegistersThroughThePortal(t *testing.T) {
	hs := newHarness(t)
	owner, spouse, child := demo.PINFamilyOwner, demo.PINFamilySpouse, demo.PINFamilyChild
	house, flat := demo.DwellingFamilyHouse, demo.DwellingFamilyFlat
	inThreeMonths := registry.DateOf(testNow).AddDate(0, 3, 0).String()

	// 1. The owner registers himself at his house: at once.
	r := hs.call(portal, "submitRegistration", submitFields("AP-F-1", owner, "self", "residence", house, "", "")...)
	expect(t, "owner registers self", r, "OK", "processed", "registered")
	if res, _ := hs.registrationOf(owner); res != house {
		t.Errorf("the owner's residence is %q, want %s", res, house)
	}

	// 2. He registers his own child, naming both parents: at once; the
	// child's residence at the flat ends.
	r = hs.call(portal, "submitRegistration", submitFields("AP-F-2", owner, "own_child", "residence", house, child, "", owner, spouse)...)
	expect(t, "owner registers own child", r, "OK", "processed", "registered")
	if res, _ := hs.registrationOf(child); res != house {
		t.Errorf("the child's residence is %q, want %s", res, house)
	}

	// 3. His wife, an adult, applies through him and confirms.
	r = hs.call(portal, "submitRegistration", submitFields("AP-F-3", owner, "other_adult", "residence", house, spouse, "")...)
	expect(t, "owner files for his wife", r, "OK", "in_processing", "")
	expect(t, "status before the wife confirms", hs.statusOf("AP-F-3"), "OK", "in_processing", "")
	if res, _ := hs.registrationOf(spouse); res != flat {
		t.Errorf("before her confirmation the wife's residence is %q, want still %s", res, flat)
	}
	r = hs.call(portal, "confirmRegistration", confirmFields("AP-F-3", spouse, "residence")...)
	expect(t, "the wife confirms", r, "OK", "processed", "registered")
	expect(t, "status after she confirmed", hs.statusOf("AP-F-3"), "OK", "processed", "registered")
	if got, want := hs.residents(house), []string{spouse, owner, child}; fmt.Sprint(got) != fmt.Sprint(sortPINs(want)) {
		t.Errorf("residents of the house %v, want %v", got, sortPINs(want))
	}

	// 4. She moves back to her own flat: the house residence ends.
	r = hs.call(portal, "submitRegistration", submitFields("AP-F-4", spouse, "self", "residence", flat, "", "")...)
	expect(t, "the wife moves to her flat", r, "OK", "processed", "registered")
	if res, _ := hs.registrationOf(spouse); res != flat {
		t.Errorf("after the move her residence is %q, want %s", res, flat)
	}
	if got := hs.residents(house); fmt.Sprint(got) != fmt.Sprint(sortPINs([]string{owner, child})) {
		t.Errorf("after the move the house lists %v", got)
	}

	// 5. The husband registers a stay at her flat; his residence stays.
	r = hs.call(portal, "submitRegistration", submitFields("AP-F-5", spouse, "other_adult", "stay", flat, owner, inThreeMonths)...)
	expect(t, "the wife files a stay for her husband", r, "OK", "in_processing", "")
	r = hs.call(portal, "confirmRegistration", confirmFields("AP-F-5", owner, "stay")...)
	expect(t, "he confirms the stay", r, "OK", "processed", "registered")
	if res, stay := hs.registrationOf(owner); res != house || stay != flat {
		t.Errorf("the husband's residence %q and stay %q, want %s and %s", res, stay, house, flat)
	}

	// 6. The owner deregisters the child from the house.
	r = hs.call(portal, "deregister", deregisterFields("DR-F-6", owner, "R-AP-F-2", "moved_out")...)
	expect(t, "the owner deregisters the child", r, "OK", "processed", "deregistered")
	if res, _ := hs.registrationOf(child); res != "" {
		t.Errorf("the deregistered child still has residence %q", res)
	}
	expect(t, "status of the deregistration", hs.statusOf("DR-F-6"), "OK", "processed", "deregistered")

	// Every application's history runs delivered, in processing, processed.
	for _, n := range []string{"AP-F-1", "AP-F-2", "AP-F-3", "AP-F-4", "AP-F-5", "DR-F-6"} {
		var steps []string
		for _, el := range hs.statusOf(n).doc.FindElements("//statusHistory/change/status") {
			steps = append(steps, el.Text())
		}
		if got := strings.Join(steps, ","); got != "delivered,in_processing,processed" {
			t.Errorf("%s: history %s", n, got)
		}
	}
}

func sortPINs(pins []string) []string {
	out := append([]string(nil), pins...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestTwoConfirmationsRacingForTheLastPlaceRegisterOnce fires two
// applicants' confirmations at once at a dwelling where 9 citizens are
// registered, through the handler: exactly one registers, the other is
// refused as DwellingFull, and the dwelling lists 10.
func TestTwoConfirmationsRacingForTheLastPlaceRegisterOnce(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			hs := newHarness(t)
			owner, dwelling := demo.PINTenResidentsOwner, demo.DwellingTenResidents
			// The owner ends one of the ten registrations: 9 remain.
			r := hs.call(portal, "deregister", deregisterFields("DR-R-1", owner, "RG-00000022", "moved_out")...)
			expect(t, "deregister one of ten", r, "OK", "processed", "deregistered")
			racers := []string{demo.PINFamilySpouse, demo.PINFamilyRelative}
			for i, pin := range racers {
				r := hs.call(portal, "submitRegistration", submitFields(fmt.Sprintf("AP-R-%d", i), owner, "other_adult", "residence", dwelling, pin, "")...)
				expect(t, "file", r, "OK", "in_processing", "")
			}
			requests := make([][]byte, len(racers))
			for i, pin := range racers {
				requests[i] = hs.sign(request(t, portal, "confirmRegistration", confirmFields(fmt.Sprintf("AP-R-%d", i), pin, "residence")...), portal)
			}
			bodies := make([][]byte, len(racers))
			var start, wg sync.WaitGroup
			start.Add(1)
			for i := range racers {
				wg.Go(func() {
					start.Wait()
					req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(requests[i]))
					req.Header.Set("Content-Type", "text/xml; charset=utf-8")
					rec := httptest.NewRecorder()
					hs.handler.ServeHTTP(rec, req)
					bodies[i] = rec.Body.Bytes()
				})
			}
			start.Done()
			wg.Wait()
			codes := map[string]int{}
			for _, b := range bodies {
				m := resultCode.FindSubmatch(b)
				if m == nil {
					t.Fatalf("no answer:\n%s", b)
				}
				codes[string(m[1])]++
			}
			if codes[adapter.OutcomeOK] != 1 || codes[adapter.OutcomeDwellingFull] != 1 {
				t.Errorf("answers %v, want one OK and one DwellingFull", codes)
			}
			if n := len(hs.residents(dwelling)); n != 10 {
				t.Errorf("%d residents, want 10", n)
			}
		})
	}
}

// The write contract for the registration services: a failure at each
// step leaves no change, or the change with its record; a retry changes
// nothing twice.

// appHarness serves the registry services over a fault harness whose
// registry's clock the test moves (clock: seconds after testNow).
type appHarness struct {
	*faultHarness
	clock atomic.Int64
}

func newAppHarness(t *testing.T) *appHarness {
	t.Helper()
	ah := &appHarness{}
	now := func() time.Time { return testNow.Add(time.Duration(ah.clock.Load()) * time.Second) }
	ah.faultHarness = newFaultHarness(t, registry.Options{Now: now}, func(fh *faultHarness, o *adapter.Options) {
		o.Catalog = adapter.NewCatalog(adapter.RegistryServices(fh.reg, fh.log.AccessLog.(adapter.History), o.Now)...)
	})
	return ah
}

// recordsByID indexes recs by record id.
func recordsByID(recs []accesslog.Record) map[string]accesslog.Record {
	out := make(map[string]accesslog.Record, len(recs))
	for _, r := range recs {
		out[r.ID] = r
	}
	return out
}

func TestARegistrationWriteThatFailsAtAStepLeavesNoChangeOrTheChangeWithItsRecord(t *testing.T) {
	runsTwice := sealFault{step: "the transaction runs twice", inject: func(fh *faultHarness, on bool) { fh.store.rerun.Store(on) }}
	for _, tc := range append(slices.Clone(sealFaults), runsTwice) {
		t.Run(tc.step, func(t *testing.T) {
			ah := newAppHarness(t)
			fields := submitFields("AP-W-1", demo.PINFamilyOwner, "self", "residence", demo.DwellingFamilyHouse, "", "")
			tc.inject(ah.faultHarness, true)
			r := ah.send(ah.sign(request(t, portal, "submitRegistration", fields...), portal))
			tc.inject(ah.faultHarness, false)
			if r.faultCode() != tc.fault {
				t.Fatalf("fault %q, want %q", r.faultCode(), tc.fault)
			}
			_, err := ah.reg.Application(context.Background(), "AP-W-1")
			if committed := err == nil; committed != (tc.fault == "") {
				t.Fatalf("application committed %v (%v), want %v", committed, err, tc.fault == "")
			}
			if tc.fault != "" {
				r = ah.call(portal, "submitRegistration", fields...) // the retry
			}
			expect(t, "after "+tc.step, r, "OK", "processed", "registered")
			// Once more: the same answer, nothing changed twice.
			again := ah.call(portal, "submitRegistration", fields...)
			if r.text("//application/registrationId") != again.text("//application/registrationId") || again.code() != "OK" {
				t.Errorf("the retry answered differently:\n%s", again.raw)
			}
			a, err := ah.reg.Application(context.Background(), "AP-W-1")
			if err != nil || len(a.Records) != 1 {
				t.Fatalf("application %v, records %v; want one record", err, a.Records)
			}
			view, err := ah.reg.Registrations(context.Background(), demo.PINFamilyOwner)
			if err != nil || view.Residence == nil || view.Residence.ID != a.RegistrationID {
				t.Fatalf("registration %+v, %v", view.Residence, err)
			}
			rec, ok := recordsByID(ah.records())[a.Records[0]]
			if !ok || rec.Service != "submitRegistration" || rec.Outcome != adapter.OutcomeOK || view.Residence.Record != rec.ID {
				t.Errorf("the change names record %q (%+v), which must be the durable OK record of submitRegistration", view.Residence.Record, rec)
			}
			ended := 0
			for _, h := range view.History {
				if h.EndRecord == rec.ID {
					ended++
				}
			}
			if ended != 1 {
				t.Errorf("%d ended residences name the record, want 1 (the flat)", ended)
			}
		})
	}
}

func TestARetriedApplicationIsAnsweredAgainWithoutASecondSeal(t *testing.T) {
	ah := newAppHarness(t)
	fields := submitFields("AP-W-2", demo.PINFamilyOwner, "other_adult", "residence", demo.DwellingFamilyHouse, demo.PINFamilySpouse, "")
	first := ah.call(portal, "submitRegistration", fields...)
	before := len(ah.records())
	second := ah.call(portal, "submitRegistration", fields...)
	if first.text("//application/awaitingApplicantUntil") != second.text("//application/awaitingApplicantUntil") {
		t.Errorf("the retry's answer differs")
	}
	if got := len(ah.records()); got != before+1 {
		t.Errorf("%d records after the retry, want %d: the retry gets one record, like any request", got, before+1)
	}
	a, err := ah.reg.Application(context.Background(), "AP-W-2")
	if errors.Is(err, registry.ErrNotFound) {
		t.Fatal("the application was not kept")
	}
	if err != nil || len(a.Records) != 1 {
		t.Errorf("the retry changed the application: %v %v", a.Records, err)
	}
}

func TestTheWSDLTitlesTheApplicationServicesInThreeLanguages(t *testing.T) {
	hs := newHarness(t)
	rec := httptest.NewRecorder()
	hs.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?wsdl", nil))
	doc, err := soap.ParseXML(rec.Body.Bytes(), soap.Limits{MaxBytes: 4 << 20, MaxElements: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"submitRegistration", "confirmRegistration", "deregister", "getApplicationStatus"} {
		op := doc.FindElement(fmt.Sprintf("//binding/operation[@name='%s']", code))
		if op == nil {
			t.Fatalf("%s: no binding operation", code)
		}
		langs := map[string]string{}
		for _, title := range op.SelectElements("title") {
			langs[title.SelectAttrValue("xml:lang", "")] = title.Text()
		}
		if len(langs) != 3 || langs["en"] == "" || langs["ky"] == "" || langs["ru"] == "" {
			t.Errorf("%s: titles %v, want en, ky and ru", code, langs)
		}
	}
	if op := doc.FindElement("//binding/operation[@name='getPerson']"); op == nil || len(op.SelectElements("title")) != 1 {
		t.Error("getPerson: want its one English title unchanged")
	}
}

func TestAnApplicationLapsesWhenItsApplicantDoesNotConfirmInTime(t *testing.T) {
	ah := newAppHarness(t)
	r := ah.call(portal, "submitRegistration", submitFields("AP-L-1", demo.PINFamilyOwner, "other_adult", "residence", demo.DwellingFamilyHouse, demo.PINFamilySpouse, "")...)
	expect(t, "filed", r, "OK", "in_processing", "")
	ah.clock.Store(int64(registry.DefaultConfirmWithin / time.Second))
	expect(t, "status after the period", ah.statusOf("AP-L-1"), "OK", "processed", "lapsed")
	r = ah.call(portal, "confirmRegistration", confirmFields("AP-L-1", demo.PINFamilySpouse, "residence")...)
	if r.code() != adapter.OutcomeApplicationLapsed || r.doc.FindElement("//application") != nil {
		t.Errorf("a late confirmation: %s, want ApplicationLapsed alone\n%s", r.code(), r.raw)
	}
	if view, _ := ah.reg.Registrations(context.Background(), demo.PINFamilySpouse); view.Residence == nil || view.Residence.DwellingID != demo.DwellingFamilyFlat {
		t.Errorf("the lapsed application changed the registration: %+v", view.Residence)
	}
}
