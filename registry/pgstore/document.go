package pgstore

import "github.com/darbaza/darbaza/registry"

// The register of issued documents' Tx methods over the table of
// internal/postgres/migrations/0005_documents.sql.

func (t *tx) Document(number string) (registry.Document, error) {
	var d registry.Document
	return d, t.get("SELECT format, value FROM documents WHERE number = $1", "document", number, &d)
}

func (t *tx) PutDocument(d registry.Document) (bool, error) {
	return t.put(`INSERT INTO documents (number, format, value, pin) VALUES ($1, $2, $3, $4)
		ON CONFLICT (number) DO UPDATE SET format = excluded.format, value = excluded.value, pin = excluded.pin
		RETURNING xmax <> 0`, d, d.Number, d.PIN)
}
