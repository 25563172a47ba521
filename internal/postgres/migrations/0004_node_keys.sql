-- Keys every node must share (internal/postgres/keys.go): a fingerprint
-- per key name, stored by the first node that starts, checked by the rest.
CREATE TABLE darbaza_keys (
	name        text PRIMARY KEY,
	fingerprint text NOT NULL
);
