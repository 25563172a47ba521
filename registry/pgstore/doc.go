// Package pgstore keeps the registry in PostgreSQL, so that several adapter
// nodes share one registry (docs/postgres.md). It implements
// [registry.Store] and passes the conformance suite registry/storetest.
//
// View is a REPEATABLE READ, READ ONLY transaction: one snapshot, taken
// when View begins. Update is a SERIALIZABLE transaction, which PostgreSQL
// makes equivalent to running the Updates one at a time, across every
// node; one that loses a race fails with a serialization failure and
// Update runs fn again on a fresh transaction, as the registry.Store
// contract allows (two nodes racing for the last place in a dwelling: one
// commits, the other's count is read again and refused).
//
// The tables are created by the migrations of internal/postgres, one file
// per register (0001_population.sql, 0005_documents.sql); each register's
// Tx methods are in a file of their own here (population.go, document.go). Adding a register adds a
// migration file and a Go file; [tx] gains its methods there.
package pgstore
