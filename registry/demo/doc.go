// Package demo writes the deterministic demo dataset of the population
// registry as import lines for [registry.Registry.Import]: about 30,000
// persons in Bishkek, Osh city and the seven regions, their dwellings of
// every type with owners, and residence and stay registrations with some
// history; and the fixed records of the taxpayer register (individuals,
// entities, a person bound to two entities, a person who is not a taxpayer)
// and of the apostille register (officials authorised to sign, two entries),
// declared in taxpayer.go and apostille.go.
//
// The same [Options] always give the same bytes: the generator uses its own
// fixed pseudo-random function (SplitMix64) and derives every date from the
// seed and [Options.Reference], never from the wall clock.
//
// The records that tests, golden responses and the README rely on do not
// depend on the seed or on Options.Persons; they sit at the fixed identifiers
// declared in fixed.go (PINFound, DwellingTenResidents, ...). Their dates
// that must be "current" (the open stay of PINFound) are relative to
// Options.Reference: a stay lasts at most a year, so a server whose clock is
// more than a year past the reference sees that stay as history. Pass today's
// date as Reference when loading demo data for a long-running server, and
// keep the default for golden files (with the server's clock injected).
package demo
