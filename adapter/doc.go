// Package adapter is Darbaza's request pipeline: an http.Handler that reads
// a SOAP request, decodes it, authenticates the caller (WS-Security
// signature or a trusted proxy's TLS certificate), refuses replays,
// authorizes the service, dispatches it, builds and signs the response and
// makes the access durable in the access log before one byte is sent.
//
// The files, by role:
//
//	handler.go      the pipeline: read -> decode -> authenticate -> route -> authorize -> serve -> sign -> log
//	fault.go        the one fault table: every error the pipeline meets -> fault code, HTTP status, internal or not
//	catalog.go      Service, the catalogue (with its meta services), and serve, which makes a service from its op
//	call.go         Call: one request to a service, and the one reader of its arguments
//	reply.go        the response descriptions: one tree of nodes gives both the WSDL schema and the XML
//	outcome.go      the one table of business outcome codes with their Kyrgyz and Russian texts
//	wsdl.go         the WSDL 1.1 document, rendered from the catalogue's descriptions
//	meta.go         listMethods, allowedMethods, getWsdl (X-Road message protocol 4.0)
//	services.go     RegistryServices: every registry service, and the Registry they read
//	person.go       getPerson                (reads a PersonSource)
//	registration.go getRegistration          (reads a RegistrationSource)
//	dwelling.go     getDwellingResidents     (reads a DwellingSource)
//	history.go      getAccessHistory         (reads the access log's History)
//	document.go     issueAddressCertificate, verifyDocument (Documents; a write under Seal)
//	application.go  submitRegistration, confirmRegistration, deregister (write through an
//	                ApplicationWriter, under Seal), getApplicationStatus (reads an ApplicationSource)
//	taxpayer.go     getTaxpayer              (reads a TaxpayerSource)
//	apostille.go    registerApostille, getApostille (an ApostilleRegister; the first is a write)
//	members.go, replay.go, redact.go, metrics.go: access rights, replay cache, PIN redaction, metrics
//
// Services are grouped one concept per file; each file declares the one to
// three methods it needs from its source as a small interface, so that the
// storage behind it stays the composition root's choice. The coming
// concepts (documents, taxpayers, apostilles) each get
// a file of their own in the same shape.
//
// How to add a service: in the file of its concept (or a new one, with its
// own consumer interface of one to three methods), declare an op[T] with
// the service's code, version "v1", Namespace and a title; its args, one
// field per request element; its reply, answerOf(nodes...) with one node
// per response element after the result (text, date, dateTime, integer,
// boolean, group, list, each with .Optional() and .Doc() as needed), whose
// getters read a value of T; and its handle, which reads the arguments
// through the Call's readers (PIN, DwellingID, OptionalText, OptionalInt;
// add a reader to call.go for a new kind of argument), returns the T of an
// OK answer, refuse(code) for a business refusal, or an error for a fault.
// A new refusal code goes into outcome.go's table with its Kyrgyz and
// Russian texts; a new fault, into fault.go's table. Wrap the op in serve,
// list the service in RegistryServices, and add a sample request and its
// golden response to testdata/ (go test ./adapter -run Golden -update):
// the tests check that both match the schema the WSDL serves.
//
// A service that changes data follows the write contract (Seal,
// docs/protocol.md "Writes"): it decides and writes its change in one store
// transaction, stores the Call's RecordID with the change, and calls Seal
// with its answer before that transaction commits; it returns Seal's error
// when Seal fails, so nothing is committed without its durable record.
package adapter
