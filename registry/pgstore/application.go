package pgstore

import "github.com/darbaza/darbaza/registry"

// The applications' Tx methods over the table of
// internal/postgres/migrations/0006_applications.sql.

func (t *tx) Application(number string) (registry.Application, error) {
	var a registry.Application
	if err := t.get("SELECT format, value FROM applications WHERE number = $1", "application", number, &a); err != nil {
		return registry.Application{}, err
	}
	return a, nil
}

func (t *tx) PutApplication(a registry.Application) (bool, error) {
	return t.put(`INSERT INTO applications (number, format, value) VALUES ($1, $2, $3)
		ON CONFLICT (number) DO UPDATE SET format = excluded.format, value = excluded.value
		RETURNING xmax <> 0`, a, a.Number)
}
