-- The access log (adapter/accesslog/pglog, docs/postgres.md): one hash
-- chain for every node. Values are the bytes package accesslog encodes,
-- kept unchanged; the verifier checks them, not the database.
CREATE TABLE access_log_meta (
	key   text PRIMARY KEY CHECK (key IN ('format', 'anchor')),
	value bytea NOT NULL
);

CREATE TABLE access_log_records (
	seq   bigint PRIMARY KEY CHECK (seq > 0),
	value bytea NOT NULL
);

CREATE TABLE access_log_checkpoints (
	seq   bigint PRIMARY KEY CHECK (seq > 0),
	value bytea NOT NULL
);

-- The subject index: record seq concerns subject (an HMAC of a PIN).
CREATE TABLE access_log_subjects (
	subject bytea NOT NULL CHECK (length(subject) = 32),
	seq     bigint NOT NULL,
	PRIMARY KEY (subject, seq)
);

-- The sequencer: every commit locks this one row (SELECT ... FOR UPDATE)
-- before it reads the head, so commits from all nodes run one at a time
-- and each chains onto the last.
CREATE TABLE access_log_head (
	id integer PRIMARY KEY CHECK (id = 1)
);
INSERT INTO access_log_head (id) VALUES (1);
