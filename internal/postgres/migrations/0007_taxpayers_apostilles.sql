-- The taxpayer and apostille registers (registry/pgstore/taxpayer.go,
-- apostille.go). Each value is the JSON encoding of its registry type in
-- the format named by the format column (1: that encoding); the other
-- columns are the keys the Tx methods look rows up by.
CREATE TABLE taxpayers (
	inn    text PRIMARY KEY,
	format smallint NOT NULL,
	value  jsonb NOT NULL
);
CREATE TABLE taxpayer_bindings (
	pin        text NOT NULL,
	entity_inn text NOT NULL,
	format     smallint NOT NULL,
	value      jsonb NOT NULL,
	PRIMARY KEY (pin, entity_inn)
);
CREATE TABLE officials (
	id     text PRIMARY KEY,
	body   text NOT NULL,
	format smallint NOT NULL,
	value  jsonb NOT NULL
);
CREATE INDEX officials_by_body ON officials (body);
-- number is YYYY-NNNNNN: year and sequence are its parts, kept as columns
-- so that the last sequence of a year is one index look-up.
CREATE TABLE apostilles (
	number      text PRIMARY KEY,
	year        integer NOT NULL,
	sequence    integer NOT NULL,
	application text NOT NULL UNIQUE,
	format      smallint NOT NULL,
	value       jsonb NOT NULL
);
CREATE INDEX apostilles_by_year ON apostilles (year, sequence);
