-- The applications filed through the portal (registry/pgstore/application.go):
-- each value is the JSON encoding of registry.Application in the format
-- named by the format column (1: that encoding), keyed by the application
-- number.
CREATE TABLE applications (
	number text PRIMARY KEY,
	format smallint NOT NULL,
	value  jsonb NOT NULL
);
