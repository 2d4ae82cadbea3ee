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
