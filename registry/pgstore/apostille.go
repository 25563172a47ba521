package pgstore

import (
	"fmt"

	"github.com/darbaza/darbaza/registry"
)

// The apostille register's Tx methods over the tables of
// internal/postgres/migrations/0007_taxpayers_apostilles.sql.

func (t *tx) Apostille(number string) (registry.Apostille, error) {
	var a registry.Apostille
	return a, t.get("SELECT format, value FROM apostilles WHERE number = $1", "apostille", number, &a)
}

func (t *tx) ApostilleOfApplication(application string) (registry.Apostille, error) {
	var a registry.Apostille
	return a, t.get("SELECT format, value FROM apostilles WHERE application = $1", "apostille of application", application, &a)
}

// LastApostilleSequence is the largest sequence number of year, 0 if the
// year has none.
func (t *tx) LastApostilleSequence(year int) (int, error) {
	var seq int
	err := t.q.QueryRow(t.ctx, "SELECT COALESCE(max(sequence), 0) FROM apostilles WHERE year = $1", year).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("registry: last apostille of %d: %w", year, err)
	}
	return seq, nil
}

// PutApostille stores a under its number YYYY-NNNNNN, whose parts become
// the year and sequence columns; another form is refused, as the rules
// never make one.
func (t *tx) PutApostille(a registry.Apostille) (bool, error) {
	var year, seq int
	if n, err := fmt.Sscanf(a.Number, "%4d-%6d", &year, &seq); err != nil || n != 2 || len(a.Number) != len("2026-000001") {
		return false, fmt.Errorf("%w: apostille number %q (want YYYY-NNNNNN)", registry.ErrInvalidValue, a.Number)
	}
	replaced, err := t.put(`INSERT INTO apostilles (number, format, value, year, sequence, application) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (number) DO UPDATE SET format = excluded.format, value = excluded.value,
			year = excluded.year, sequence = excluded.sequence, application = excluded.application
		RETURNING xmax <> 0`, a, a.Number, year, seq, a.Application.Number)
	return replaced, err
}

func (t *tx) OfficialsOf(body string) ([]registry.Official, error) {
	return list[registry.Official](t, "SELECT format, value FROM officials WHERE body = $1 ORDER BY id", "officials of", body)
}

func (t *tx) PutOfficial(o registry.Official) (bool, error) {
	return t.put(`INSERT INTO officials (id, format, value, body) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET format = excluded.format, value = excluded.value, body = excluded.body
		RETURNING xmax <> 0`, o, o.ID, o.Body)
}
