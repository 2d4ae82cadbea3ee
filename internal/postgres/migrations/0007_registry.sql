-- The registry: certification records of makers' firmware versions under
-- schemes, who operates (grants for) each scheme, the authorities' label
-- signing keys, and the public transparency log of every status change.

-- A scheme has one owner; delegates (labs) grant in the owner's name.
CREATE TABLE scheme_operators (
	org_id       TEXT NOT NULL REFERENCES orgs (id),
	scheme       TEXT NOT NULL,
	role         TEXT NOT NULL CHECK (role IN ('owner', 'delegate')),
	delegated_by TEXT REFERENCES orgs (id),
	created_by   TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (org_id, scheme)
);
CREATE UNIQUE INDEX scheme_operators_owner ON scheme_operators (scheme) WHERE role = 'owner';
CREATE INDEX scheme_operators_delegated_by ON scheme_operators (delegated_by, scheme);

-- Records are kept for good: firmware versions and products with records
-- cannot be deleted (the foreign keys refuse).
CREATE TABLE certifications (
	id               TEXT PRIMARY KEY,
	org_id           TEXT NOT NULL REFERENCES orgs (id),
	product_id       TEXT NOT NULL REFERENCES products (id),
	firmware_id      TEXT NOT NULL REFERENCES firmware (id),
	scheme           TEXT NOT NULL,
	level            TEXT NOT NULL,
	authority_org_id TEXT NOT NULL REFERENCES orgs (id),
	lab_org_id       TEXT REFERENCES orgs (id),
	status           TEXT NOT NULL CHECK (status IN ('applied', 'certified', 'suspended', 'under-review', 'expired', 'revoked', 'withdrawn')),
	label_id         TEXT NOT NULL UNIQUE,
	valid_from       DATE,
	valid_until      DATE,
	applied_at       TIMESTAMPTZ NOT NULL,
	granted_at       TIMESTAMPTZ,
	updated_at       TIMESTAMPTZ NOT NULL,
	reasons          TEXT NOT NULL, -- JSON array of strings
	label            TEXT NOT NULL
);
-- One live record per firmware version, scheme and level.
CREATE UNIQUE INDEX certifications_live ON certifications (firmware_id, scheme, level) WHERE status NOT IN ('revoked', 'withdrawn');
CREATE INDEX certifications_org ON certifications (org_id, id);
CREATE INDEX certifications_firmware ON certifications (org_id, firmware_id, id);
CREATE INDEX certifications_product ON certifications (org_id, product_id);
CREATE INDEX certifications_authority ON certifications (authority_org_id, id);
CREATE INDEX certifications_scheme ON certifications (scheme, authority_org_id, id);

-- The history is append-only, like the audit log.
CREATE TABLE certification_events (
	id               TEXT PRIMARY KEY,
	certification_id TEXT NOT NULL REFERENCES certifications (id),
	from_status      TEXT NOT NULL,
	to_status        TEXT NOT NULL,
	reason           TEXT NOT NULL,
	actor            TEXT NOT NULL,
	actor_org_id     TEXT NOT NULL,
	at               TIMESTAMPTZ NOT NULL,
	log_index        BIGINT NOT NULL -- -1 when not logged
);
CREATE INDEX certification_events_cert ON certification_events (certification_id, id);
CREATE UNIQUE INDEX certification_events_log ON certification_events (log_index) WHERE log_index >= 0;
CREATE FUNCTION certification_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'certification_events is append-only';
END;
$$;
CREATE TRIGGER certification_events_no_change BEFORE UPDATE OR DELETE ON certification_events
	FOR EACH ROW EXECUTE FUNCTION certification_events_append_only();

-- The transparency log: one Merkle tree for the whole registry. Leaves
-- are numbered from 0 without gaps; hashes are the tree's stored hashes
-- by their storage index (golang.org/x/mod/sumdb/tlog); checkpoints are
-- signed notes of a size. All three are append-only.
CREATE TABLE translog_leaves (
	idx  BIGINT PRIMARY KEY CHECK (idx >= 0),
	data BYTEA NOT NULL,
	at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE translog_hashes (
	idx  BIGINT PRIMARY KEY CHECK (idx >= 0),
	hash BYTEA NOT NULL
);
CREATE TABLE translog_checkpoints (
	size BIGINT PRIMARY KEY CHECK (size >= 0),
	text TEXT NOT NULL,
	at   TIMESTAMPTZ NOT NULL
);
CREATE FUNCTION translog_leaves_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'translog_leaves is append-only';
END;
$$;
CREATE TRIGGER translog_leaves_no_change BEFORE UPDATE OR DELETE ON translog_leaves
	FOR EACH ROW EXECUTE FUNCTION translog_leaves_append_only();
CREATE FUNCTION translog_hashes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'translog_hashes is append-only';
END;
$$;
CREATE TRIGGER translog_hashes_no_change BEFORE UPDATE OR DELETE ON translog_hashes
	FOR EACH ROW EXECUTE FUNCTION translog_hashes_append_only();
CREATE FUNCTION translog_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'translog_checkpoints is append-only';
END;
$$;
CREATE TRIGGER translog_checkpoints_no_change BEFORE UPDATE OR DELETE ON translog_checkpoints
	FOR EACH ROW EXECUTE FUNCTION translog_checkpoints_append_only();

-- Label signing keys; the private key is sealed by the service.
CREATE TABLE registry_keys (
	kid        TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs (id),
	alg        TEXT NOT NULL,
	public_jwk BYTEA NOT NULL,
	sealed     BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	retired_at TIMESTAMPTZ
);
CREATE INDEX registry_keys_org ON registry_keys (org_id, created_at);
