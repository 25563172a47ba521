-- The population register (registry/pgstore/population.go): persons,
-- dwellings and registrations. Each value is the record's JSON encoding as
-- described on registry.Person, registry.Dwelling and registry.Registration,
-- in the format named by the format column (1: that encoding); the key
-- columns repeat what the rules look records up by.
CREATE TABLE persons (
	pin    text PRIMARY KEY,
	format smallint NOT NULL,
	value  jsonb NOT NULL
);

CREATE TABLE dwellings (
	id     text PRIMARY KEY,
	format smallint NOT NULL,
	value  jsonb NOT NULL
);

CREATE TABLE registrations (
	id          text PRIMARY KEY,
	pin         text NOT NULL,
	dwelling_id text NOT NULL,
	format      smallint NOT NULL,
	value       jsonb NOT NULL
);
CREATE INDEX registrations_by_pin ON registrations (pin);
CREATE INDEX registrations_by_dwelling ON registrations (dwelling_id);
