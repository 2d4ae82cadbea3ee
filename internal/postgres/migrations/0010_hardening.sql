-- Invitations: adding a member invites an e-mail address; the invitee
-- accepts, signed in, by ID (their own address) or by the one-time link
-- whose SHA-256 is hash.
CREATE TABLE invitations (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	email      TEXT NOT NULL,
	role       TEXT NOT NULL,
	invited_by TEXT NOT NULL,
	hash       BYTEA NOT NULL UNIQUE,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	UNIQUE (org_id, email)
);
CREATE INDEX invitations_email ON invitations (email);

-- Each organisation's audit events form a chain of their own (org_seq,
-- org_prev_hash, org_hash), verifiable by that organisation alone. Events
-- from before this migration are chained once, in seq order, by the store
-- right after migrating (sqlstore.chainOrgs); the append-only trigger lets
-- exactly that through: filling in the organisation chain of a row that
-- has none, changing nothing else.
ALTER TABLE audit_events ADD COLUMN org_seq BIGINT;
ALTER TABLE audit_events ADD COLUMN org_prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN org_hash TEXT;
CREATE UNIQUE INDEX audit_events_org_seq ON audit_events (org_id, org_seq);
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.org_hash IS NULL
		AND (NEW.seq, NEW.at, NEW.org_id, NEW.actor, NEW.action, NEW.target, NEW.details, NEW.prev_hash, NEW.hash)
		IS NOT DISTINCT FROM (OLD.seq, OLD.at, OLD.org_id, OLD.actor, OLD.action, OLD.target, OLD.details, OLD.prev_hash, OLD.hash) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
