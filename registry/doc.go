// Package registry is the population-registration registry behind Darbaza:
// persons, dwellings and registrations at the place of residence and the place
// of stay, with their history, kept in an embedded bbolt file.
//
// The domain rules come from the seeds summarised in shared/domain.md:
//
//   - A PIN (ИЖН) has 14 digits: 1 (female) or 2 (male), the birth date as
//     DDMMYYYY, and a 5-digit sequence (see [ParsePIN]).
//   - A dwelling is one unit of the housing fund, of the seven types listed in
//     seed 000 §2(1) (see [DwellingType]).
//   - A stay registration lasts at most one year and does not remove the
//     residence registration (seed 000 §3).
//   - Registering at a new residence ends the previous one (seed 003, annex 3
//     §4); [Store.Import] applies this rule when it writes.
//
// Dates are calendar dates ([Date]) in UTC and travel as YYYY-MM-DD. Showing
// them in GMT+6 is the adapter's job.
//
// bbolt is used only inside this package. [Store] is concrete: callers declare
// the small interfaces they need.
package registry
