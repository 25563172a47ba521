-- The register of issued documents (registry/pgstore/document.go): each
-- value is the JSON encoding of registry.Document in the format named by
-- the format column (1: that encoding), keyed by the document number.
CREATE TABLE documents (
	number text PRIMARY KEY,
	pin    text NOT NULL,
	format smallint NOT NULL,
	value  jsonb NOT NULL
);
CREATE INDEX documents_by_pin ON documents (pin);
