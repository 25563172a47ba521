-- Replay claims shared by every node (adapter/pgreplay): a verified
-- (client, message id) pair may be used again only after expires.
CREATE TABLE replay_claims (
	client  text NOT NULL,
	id      text NOT NULL,
	expires timestamptz NOT NULL,
	PRIMARY KEY (client, id)
);
CREATE INDEX replay_claims_expires ON replay_claims (expires);
