// Package postgres connects Darbaza to PostgreSQL and keeps its schema:
// the storage of the registry (registry/pgstore), the access log
// (adapter/accesslog/pglog) and the replay claims (adapter/pgreplay) when
// several adapter nodes share one database (docs/postgres.md).
//
// # Migrations
//
// The schema is built by numbered SQL files in migrations/, named
// NNNN_<what>.sql and applied in order, each in its own transaction
// together with the row that records it in darbaza_schema. Migrations are
// forward-only: a file once released never changes (its SHA-256 is
// recorded and checked), a later change is a new file. Each register and
// each store keeps its tables in a file of its own (0001_population.sql,
// 0002_access_log.sql ...), so adding a register adds a file. A database
// whose schema is newer than this build knows is refused, by [Migrate] and
// by [Check], so an old node cannot write into a newer layout.
//
// Two files with the same number (two branches that each added one) are
// found by [Migrations] and by this package's tests: renumber the later one.
package postgres
