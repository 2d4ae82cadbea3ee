-- Invitations: adding a member invites an e-mail address; the invitee
-- accepts, signed in, by ID (their own address) or by the one-time link
-- whose SHA-256 is hash.
CREATE TABLE invitations (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	email      TEXT NOT NULL,
	role       TEXT NOT NULL,
	invited_by TEXT NOT NULL,
	hash       BLOB NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	UNIQUE (org_id, email)
) STRICT;
CREATE INDEX invitations_email ON invitations (email);

-- Each organisation's audit events form a chain of their own (org_seq,
-- org_prev_hash, org_hash), verifiable by that organisation alone. Events
-- from before this migration are chained once, in seq order, by the store
-- right after migrating (sqlstore.chainOrgs); the append-only trigger lets
-- exactly that through: filling in the organisation chain of a row that
-- has none, changing nothing else.
ALTER TABLE audit_events ADD COLUMN org_seq INTEGER;
ALTER TABLE audit_events ADD COLUMN org_prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN org_hash TEXT;
CREATE UNIQUE INDEX audit_events_org_seq ON audit_events (org_id, org_seq);
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN OLD.org_hash IS NOT NULL OR NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at OR NEW.org_id IS NOT OLD.org_id
	OR NEW.actor IS NOT OLD.actor OR NEW.action IS NOT OLD.action OR NEW.target IS NOT OLD.target
	OR NEW.details IS NOT OLD.details OR NEW.prev_hash IS NOT OLD.prev_hash OR NEW.hash IS NOT OLD.hash
BEGIN
	SELECT RAISE(ABORT, 'audit_events is append-only');
END;
