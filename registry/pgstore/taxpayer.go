package pgstore

import (
	"fmt"

	"github.com/darbaza/darbaza/registry"
)

// The taxpayer register's Tx methods over the tables of
// internal/postgres/migrations/0007_taxpayers_apostilles.sql.

func (t *tx) Taxpayer(inn string) (registry.Taxpayer, error) {
	var tp registry.Taxpayer
	return tp, t.get("SELECT format, value FROM taxpayers WHERE inn = $1", "taxpayer", inn, &tp)
}

func (t *tx) BindingsOf(pin string) ([]registry.Binding, error) {
	return list[registry.Binding](t, "SELECT format, value FROM taxpayer_bindings WHERE pin = $1 ORDER BY entity_inn", "bindings of", pin)
}

func (t *tx) PutTaxpayer(tp registry.Taxpayer) (bool, error) {
	return t.put(`INSERT INTO taxpayers (inn, format, value) VALUES ($1, $2, $3)
		ON CONFLICT (inn) DO UPDATE SET format = excluded.format, value = excluded.value
		RETURNING xmax <> 0`, tp, tp.INN)
}

// PutBinding stores b under its PIN and entity INN, both of
// registry.INNLength digits as the rules check (as boltstore requires).
func (t *tx) PutBinding(b registry.Binding) (bool, error) {
	if len(b.PIN) != registry.INNLength || len(b.EntityINN) != registry.INNLength {
		return false, fmt.Errorf("%w: binding %q to %q: INNs have %d digits", registry.ErrInvalidValue, b.PIN, b.EntityINN, registry.INNLength)
	}
	return t.put(`INSERT INTO taxpayer_bindings (pin, format, value, entity_inn) VALUES ($1, $2, $3, $4)
		ON CONFLICT (pin, entity_inn) DO UPDATE SET format = excluded.format, value = excluded.value
		RETURNING xmax <> 0`, b, b.PIN, b.EntityINN)
}

// list decodes every row query finds for key, in the query's order.
func list[T any](t *tx, query, what, key string) ([]T, error) {
	rows, err := t.q.Query(t.ctx, query, key)
	if err != nil {
		return nil, fmt.Errorf("registry: %s %q: %w", what, key, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var format int16
		var raw []byte
		if err := rows.Scan(&format, &raw); err != nil {
			return nil, err
		}
		var v T
		if err := decode(format, raw, &v); err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, key, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: %s %q: %w", what, key, err)
	}
	return out, nil
}
