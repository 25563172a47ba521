package pgstore

import (
	"encoding/json"
	"fmt"

	"github.com/darbaza/darbaza/registry"
)

// The population register's Tx methods over the tables of
// internal/postgres/migrations/0001_population.sql.

func (t *tx) Person(pin string) (registry.Person, error) {
	var p registry.Person
	return p, t.get("SELECT format, value FROM persons WHERE pin = $1", "person", pin, &p)
}

func (t *tx) Dwelling(id string) (registry.Dwelling, error) {
	var d registry.Dwelling
	return d, t.get("SELECT format, value FROM dwellings WHERE id = $1", "dwelling", id, &d)
}

func (t *tx) Registration(id string) (registry.Registration, error) {
	var r registry.Registration
	return r, t.get("SELECT format, value FROM registrations WHERE id = $1", "registration", id, &r)
}

func (t *tx) RegistrationsOf(pin string) ([]registry.Registration, error) {
	return t.registrations("SELECT format, value FROM registrations WHERE pin = $1", pin)
}

func (t *tx) RegistrationsAt(dwellingID string) ([]registry.Registration, error) {
	return t.registrations("SELECT format, value FROM registrations WHERE dwelling_id = $1", dwellingID)
}

func (t *tx) Stats() (registry.Stats, error) {
	var st registry.Stats
	err := t.q.QueryRow(t.ctx, `SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM dwellings),
		(SELECT count(*) FROM registrations)`).Scan(&st.Persons, &st.Dwellings, &st.Registrations)
	if err != nil {
		return registry.Stats{}, fmt.Errorf("registry: stats: %w", err)
	}
	return st, nil
}

func (t *tx) PutPerson(p registry.Person) (bool, error) {
	return t.put(`INSERT INTO persons (pin, format, value) VALUES ($1, $2, $3)
		ON CONFLICT (pin) DO UPDATE SET format = excluded.format, value = excluded.value
		RETURNING xmax <> 0`, p, p.PIN)
}

func (t *tx) PutDwelling(d registry.Dwelling) (bool, error) {
	return t.put(`INSERT INTO dwellings (id, format, value) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET format = excluded.format, value = excluded.value
		RETURNING xmax <> 0`, d, d.ID)
}

func (t *tx) PutRegistration(r registry.Registration) (bool, error) {
	return t.put(`INSERT INTO registrations (id, format, value, pin, dwelling_id) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET format = excluded.format, value = excluded.value,
			pin = excluded.pin, dwelling_id = excluded.dwelling_id
		RETURNING xmax <> 0`, r, r.ID, r.PIN, r.DwellingID)
}

// get decodes the one row query finds for key into v.
func (t *tx) get(query, what, key string, v any) error {
	var format int16
	var raw []byte
	if err := t.q.QueryRow(t.ctx, query, key).Scan(&format, &raw); err != nil {
		return notFound(err, what, key)
	}
	if err := decode(format, raw, v); err != nil {
		return fmt.Errorf("%s %q: %w", what, key, err)
	}
	return nil
}

func (t *tx) registrations(query, key string) ([]registry.Registration, error) {
	rows, err := t.q.Query(t.ctx, query, key)
	if err != nil {
		return nil, fmt.Errorf("registry: registrations of %q: %w", key, err)
	}
	defer rows.Close()
	var out []registry.Registration
	for rows.Next() {
		var format int16
		var raw []byte
		if err := rows.Scan(&format, &raw); err != nil {
			return nil, err
		}
		var r registry.Registration
		if err := decode(format, raw, &r); err != nil {
			return nil, fmt.Errorf("registration of %q: %w", key, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: registrations of %q: %w", key, err)
	}
	return out, nil
}

// put runs an upsert whose parameters are key, format, value and then
// extra, and reports whether it replaced a row (xmax is set on an update).
func (t *tx) put(query string, v any, key string, extra ...any) (bool, error) {
	if err := t.writable(); err != nil {
		return false, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return false, err
	}
	var replaced bool
	args := append([]any{key, formatV1, raw}, extra...)
	if err := t.q.QueryRow(t.ctx, query, args...).Scan(&replaced); err != nil {
		return false, fmt.Errorf("registry: put %q: %w", key, err)
	}
	return replaced, nil
}

// decode reads a stored value of the given format into v.
func decode(format int16, raw []byte, v any) error {
	if format != formatV1 {
		return fmt.Errorf("%w: format %d", registry.ErrCorrupt, format)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: %w", registry.ErrCorrupt, err)
	}
	return nil
}
