-- Organisations, users and who belongs where.
CREATE TABLE orgs (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	country    TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX orgs_name ON orgs (lower(name));

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
	org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Authentication: tokens, sessions, one-time links, attempts.
CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	role         TEXT NOT NULL,
	hash         BYTEA NOT NULL UNIQUE,
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ
);
CREATE INDEX tokens_org ON tokens (org_id);

CREATE TABLE sessions (
	hash       BYTEA PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	org_id     TEXT REFERENCES orgs (id) ON DELETE SET NULL,
	csrf       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_links (
	hash       BYTEA PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires_at TIMESTAMPTZ NOT NULL,
	used_at    TIMESTAMPTZ
);

CREATE TABLE login_attempts (
	key TEXT NOT NULL,
	at  TIMESTAMPTZ NOT NULL,
	ok  INTEGER NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (key, at);

-- Inventory. Composite keys make the database itself refuse a device that
-- points at another organisation's product, or at firmware of another
-- product.
CREATE TABLE products (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	model       TEXT NOT NULL,
	class       TEXT NOT NULL,
	sector      TEXT NOT NULL,
	markets     TEXT NOT NULL, -- comma-separated ISO 3166-1 codes
	description TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL,
	UNIQUE (org_id, id),
	UNIQUE (org_id, model)
);

CREATE TABLE firmware (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	product_id   TEXT NOT NULL,
	version      TEXT NOT NULL,
	released_on  DATE,
	support_end  DATE,
	image_digest TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	UNIQUE (org_id, product_id, id),
	UNIQUE (product_id, version),
	FOREIGN KEY (org_id, product_id) REFERENCES products (org_id, id) ON DELETE CASCADE
);
CREATE INDEX firmware_org ON firmware (org_id);

CREATE TABLE devices (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	uid         TEXT NOT NULL,
	product_id  TEXT NOT NULL,
	firmware_id TEXT,
	state       TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL,
	UNIQUE (org_id, uid),
	FOREIGN KEY (org_id, product_id) REFERENCES products (org_id, id),
	FOREIGN KEY (org_id, product_id, firmware_id) REFERENCES firmware (org_id, product_id, id)
);
CREATE INDEX devices_org_id ON devices (org_id, id);
CREATE INDEX devices_product ON devices (org_id, product_id);
CREATE INDEX devices_firmware ON devices (firmware_id);

-- The audit log is one hash chain; a trigger makes it append-only for
-- ordinary use, and the chain shows when someone went around it. Details
-- are TEXT, not JSONB, because the hash covers them byte for byte.
CREATE TABLE audit_events (
	seq       BIGINT PRIMARY KEY,
	at        TIMESTAMPTZ NOT NULL,
	org_id    TEXT NOT NULL,
	actor     TEXT NOT NULL,
	action    TEXT NOT NULL,
	target    TEXT NOT NULL,
	details   TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, seq);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Jobs: our record of long work; the queue (River) holds the scheduling.
CREATE TABLE jobs (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	kind        TEXT NOT NULL,
	state       TEXT NOT NULL,
	done        BIGINT NOT NULL DEFAULT 0,
	total       BIGINT NOT NULL DEFAULT 0,
	message     TEXT NOT NULL DEFAULT '',
	result      TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT '',
	attempts    INTEGER NOT NULL DEFAULT 0,
	actor       TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	started_at  TIMESTAMPTZ,
	finished_at TIMESTAMPTZ,
	input       BYTEA NOT NULL
);
CREATE INDEX jobs_org ON jobs (org_id, id);
