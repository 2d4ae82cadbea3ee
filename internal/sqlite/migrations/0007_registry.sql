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
	created_at   TEXT NOT NULL,
	PRIMARY KEY (org_id, scheme)
) STRICT;
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
	valid_from       TEXT,
	valid_until      TEXT,
	applied_at       TEXT NOT NULL,
	granted_at       TEXT,
	updated_at       TEXT NOT NULL,
	reasons          TEXT NOT NULL, -- JSON array of strings
	label            TEXT NOT NULL
) STRICT;
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
	at               TEXT NOT NULL,
	log_index        INTEGER NOT NULL -- -1 when not logged
) STRICT;
CREATE INDEX certification_events_cert ON certification_events (certification_id, id);
CREATE UNIQUE INDEX certification_events_log ON certification_events (log_index) WHERE log_index >= 0;
CREATE TRIGGER certification_events_no_update BEFORE UPDATE ON certification_events
BEGIN
	SELECT RAISE(ABORT, 'certification_events is append-only');
END;
CREATE TRIGGER certification_events_no_delete BEFORE DELETE ON certification_events
BEGIN
	SELECT RAISE(ABORT, 'certification_events is append-only');
END;

-- The transparency log: one Merkle tree for the whole registry. Leaves
-- are numbered from 0 without gaps; hashes are the tree's stored hashes
-- by their storage index (golang.org/x/mod/sumdb/tlog); checkpoints are
-- signed notes of a size. All three are append-only.
CREATE TABLE translog_leaves (
	idx  INTEGER PRIMARY KEY CHECK (idx >= 0),
	data BLOB NOT NULL,
	at   TEXT NOT NULL
) STRICT;
CREATE TABLE translog_hashes (
	idx  INTEGER PRIMARY KEY CHECK (idx >= 0),
	hash BLOB NOT NULL
) STRICT;
CREATE TABLE translog_checkpoints (
	size INTEGER PRIMARY KEY CHECK (size >= 0),
	text TEXT NOT NULL,
	at   TEXT NOT NULL
) STRICT;
CREATE TRIGGER translog_leaves_no_update BEFORE UPDATE ON translog_leaves
BEGIN
	SELECT RAISE(ABORT, 'translog_leaves is append-only');
END;
CREATE TRIGGER translog_leaves_no_delete BEFORE DELETE ON translog_leaves
BEGIN
	SELECT RAISE(ABORT, 'translog_leaves is append-only');
END;
CREATE TRIGGER translog_hashes_no_update BEFORE UPDATE ON translog_hashes
BEGIN
	SELECT RAISE(ABORT, 'translog_hashes is append-only');
END;
CREATE TRIGGER translog_hashes_no_delete BEFORE DELETE ON translog_hashes
BEGIN
	SELECT RAISE(ABORT, 'translog_hashes is append-only');
END;
CREATE TRIGGER translog_checkpoints_no_update BEFORE UPDATE ON translog_checkpoints
BEGIN
	SELECT RAISE(ABORT, 'translog_checkpoints is append-only');
END;
CREATE TRIGGER translog_checkpoints_no_delete BEFORE DELETE ON translog_checkpoints
BEGIN
	SELECT RAISE(ABORT, 'translog_checkpoints is append-only');
END;

-- Label signing keys; the private key is sealed by the service.
CREATE TABLE registry_keys (
	kid        TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs (id),
	alg        TEXT NOT NULL,
	public_jwk BLOB NOT NULL,
	sealed     BLOB NOT NULL,
	created_at TEXT NOT NULL,
	retired_at TEXT
) STRICT;
CREATE INDEX registry_keys_org ON registry_keys (org_id, created_at);
