// Package boltstore keeps the registry in one embedded bbolt file: the
// [registry.Store] of a single Darbaza node. It is the only package that
// imports bbolt for the registry, and it holds no rule: the rules run in
// package registry over [registry.Tx].
//
// # File format
//
// The format below is frozen: a change needs a new schema or format
// version and code that still reads the old one.
//
// The file has seven top-level buckets, named by the bucket* constants:
//
//	meta                       "schema" -> "1" (the schema version, ASCII)
//	persons                    PIN -> record
//	dwellings                  dwelling ID -> record
//	registrations              registration ID -> record
//	registrations_by_pin       PIN + registration ID -> empty
//	registrations_by_dwelling  dwelling ID + 0x00 + registration ID -> empty
//	documents                  document number -> record (issued documents)
//	applications               application number -> record (applications filed through the portal)
//
// The documents and applications buckets came after the first six; opening
// for writing a file that lacks one creates it empty, and a read-only open
// of such a file finds none of its records.
//
// A record is one format byte, 0x01, followed by the JSON encoding of
// [registry.Person], [registry.Dwelling], [registry.Registration],
// [registry.Document] or [registry.Application] under their struct tags;
// or, for a person, the format byte 0x02 followed by the compact encoding
// described on formatPerson (person.go), which this build writes for every
// person it can hold exactly (all the rules make). A person record of
// either format reads the same, so files written before 0x02 read as they
// did; a build from before 0x02 reports a 0x02 record as corrupt, so a file
// this build has written a person into needs this build or a later one.
// A record with another format byte, or that does not
// decode, is reported as [registry.ErrCorrupt]; so is a file whose schema
// is not "1" or that lacks one of the first six buckets. The two index buckets hold one empty
// value per registration, kept in step with the registrations bucket in the
// same transaction. PINs have a fixed length of 14 digits and dwelling IDs
// never contain 0x00 (see [registry.ValidID]), so a prefix scan finds
// exactly one person's or one dwelling's entries. A read checks that each
// entry's registration names that person or dwelling, and reports an index
// out of step as [registry.ErrCorrupt].
//
// The taxpayer and apostille registers came later too; their buckets (in
// addedBuckets, like documents) are created, empty, when a file without
// them is first opened for writing, and a read-only store reads a missing
// one as empty. Their records have the same format byte and JSON encoding:
//
//	taxpayers                  INN -> record (registry.Taxpayer)
//	taxpayer_bindings          PIN (14 bytes) + entity INN -> record (registry.Binding)
//	officials                  official ID -> record (registry.Official)
//	officials_by_body          body + 0x00 + official ID -> empty
//	apostilles                 apostille number (YYYY-NNNNNN) -> record (registry.Apostille)
//	apostilles_by_application  application number -> apostille number
//
// Bodies never contain 0x00 (the rules refuse control characters) and
// INNs have 14 digits, so the prefix scans of officials_by_body and
// taxpayer_bindings find exactly one body's or one person's entries.
//
// A write transaction holds the records of persons, dwellings and
// registrations and the index entries back until its function returns, then
// puts them bucket by bucket in key order; when it puts 1,024 entries or
// more into a bucket (an import) it fills that bucket's new pages fully
// instead of bbolt's half. Neither changes what the file holds.
//
// Transactions are bbolt's: one writer at a time in one process, readers
// on snapshots in parallel; the file lock keeps other processes out (or
// shares it among read-only ones). That makes every Update serializable,
// as [registry.Store] demands, and fn runs exactly once.
package boltstore
