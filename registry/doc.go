// Package registry is the population-registration registry behind Darbaza:
// persons, dwellings and registrations at the place of residence and the place
// of stay, with their history: the types, the rules, and the storage contract
// the rules run over. Beside it live two registers of their own: the tax
// service's taxpayers (taxpayer.go, [TaxpayerTx]) and the Interior
// Ministry's apostille register with its officials authorised to sign
// (apostille.go, [ApostilleTx]); docs/domain.md gives their rules.
//
// The domain rules come from the source documents summarised in the
// project's domain notes (docs/domain.md, which lists the source documents
// cited here as "seed NNN §n"):
//
//   - A PIN (ИЖН) has 14 digits: 1 (female) or 2 (male), the birth date as
//     DDMMYYYY, and a 5-digit sequence (see [ParsePIN]).
//   - A dwelling is one unit of the housing fund, of the seven types listed in
//     seed 000 §2(1) (see [DwellingType]).
//   - A stay registration lasts at most one year and does not remove the
//     residence registration (seed 000 §3).
//   - Registering at a new residence ends the previous one (seed 003, annex 3
//     §4); [Register] applies this rule when it writes.
//   - An application through the portal is filed by the dwelling owner and
//     confirmed by the applicant, refused on the grounds of seed 000 §5 (each
//     a [RefusalReason], checked by [CheckFiling]), and has the three
//     statuses of seed 001 §26 ([Registry.Submit], [Registry.Confirm],
//     [Registry.Deregister]; application.go, calendar.go).
//
// Dates are calendar dates ([Date]) in UTC and travel as YYYY-MM-DD. Showing
// them in GMT+6 is the adapter's job.
//
// # Shape
//
// Three layers, each knowing only the one below:
//
//	Registry          lookups, Import and the applications for callers (the
//	                  adapter, cmd): each one Store transaction running the rules
//	rules             pure functions over a transaction: Register (the one
//	                  write path for registrations, for import and online),
//	                  ReadRegistrations, ReadResidents, the import batch
//	Store, Tx         the storage contract: View/Update over get, put and
//	                  index methods (store.go); no rule lives behind it
//
// Implementations of [Store] live in sub-packages named after their
// technology: registry/boltstore keeps everything in one bbolt file. Each
// passes the conformance suite registry/storetest, which also runs the rules
// through it. The rules never see the technology; a storage package never
// decides a rule.
//
// # Adding a register
//
// A new register (taxpayers, apostilles, applications) gets its record types
// and their Validate methods in a file named after it, and declares the
// reads and writes its rules need as an interface of its own beside
// [PopulationTx] (for example TaxpayerTx: Taxpayer(inn), PutTaxpayer,
// BindingsOf(pin)), embedded in [Tx] so that one transaction can span
// registers. Its rules are functions over that interface, called inside
// [Store.Update] or [Store.View] by a small method on [Registry] (or a service
// type of its own). Then every storage package gets the tables or buckets
// (named by constants, values carrying a format version) and the methods,
// and storetest gets a function that pins the new methods and runs the new
// rules, called from every implementation's tests.
package registry
