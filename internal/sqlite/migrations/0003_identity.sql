-- Device identity: trust anchors, each organisation's CA, device
-- certificates with their history, CRLs, one-time enrolment tokens, the
-- lifecycle history and ownership transfers. (0002 is the catalog's.)

CREATE TABLE trust_anchors (
	id              TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	kind            TEXT NOT NULL,
	name            TEXT NOT NULL,
	subject         TEXT NOT NULL,
	fingerprint     TEXT NOT NULL,
	not_before      TEXT NOT NULL,
	not_after       TEXT NOT NULL,
	der             BLOB NOT NULL,
	crl             BLOB,
	crl_next_update TEXT,
	created_at      TEXT NOT NULL,
	UNIQUE (org_id, fingerprint)
) STRICT;
CREATE INDEX trust_anchors_org ON trust_anchors (org_id, id);

-- One CA per organisation. Its key is sealed (AES-256-GCM) under a
-- key-encryption key the database never holds. crl_version grows with every
-- revocation, hold or release, so a CRL made at an older version is stale.
CREATE TABLE cas (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL UNIQUE REFERENCES orgs (id) ON DELETE CASCADE,
	label       TEXT NOT NULL UNIQUE,
	subject     TEXT NOT NULL,
	algorithm   TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	not_before  TEXT NOT NULL,
	not_after   TEXT NOT NULL,
	der         BLOB NOT NULL,
	sealed_key  BLOB NOT NULL,
	crl_number  INTEGER NOT NULL DEFAULT 0,
	crl_version INTEGER NOT NULL DEFAULT 0,
	created_at  TEXT NOT NULL
) STRICT;

-- Onboarding identities (one per device, immutable) and the LDevIDs our CAs
-- issued. A device's certificates are never deleted; devices with any cannot
-- be deleted either.
CREATE TABLE device_certs (
	id              TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	device_id       TEXT NOT NULL REFERENCES devices (id),
	kind            TEXT NOT NULL,
	profile         TEXT NOT NULL,
	ca_id           TEXT REFERENCES cas (id),
	serial          TEXT NOT NULL,
	subject         TEXT NOT NULL,
	issuer          TEXT NOT NULL,
	fingerprint     TEXT NOT NULL,
	key_fingerprint TEXT NOT NULL,
	not_before      TEXT NOT NULL,
	not_after       TEXT NOT NULL,
	status          TEXT NOT NULL,
	revoked_at      TEXT,
	reason          TEXT NOT NULL DEFAULT '',
	via             TEXT NOT NULL,
	der             BLOB NOT NULL,
	created_at      TEXT NOT NULL,
	UNIQUE (ca_id, serial)
) STRICT;
CREATE INDEX device_certs_org ON device_certs (org_id, id);
CREATE INDEX device_certs_device ON device_certs (device_id, id);
CREATE INDEX device_certs_fingerprint ON device_certs (fingerprint);
CREATE INDEX device_certs_revoked ON device_certs (ca_id, status);
CREATE UNIQUE INDEX device_certs_one_idevid ON device_certs (device_id) WHERE kind = 'idevid';

CREATE TABLE crls (
	ca_id       TEXT NOT NULL REFERENCES cas (id) ON DELETE CASCADE,
	number      INTEGER NOT NULL,
	version     INTEGER NOT NULL,
	this_update TEXT NOT NULL,
	next_update TEXT NOT NULL,
	der         BLOB NOT NULL,
	PRIMARY KEY (ca_id, number)
) STRICT;

CREATE TABLE enrol_tokens (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	hash       BLOB NOT NULL UNIQUE,
	expires_at TEXT NOT NULL,
	used_at    TEXT,
	created_by TEXT NOT NULL,
	created_at TEXT NOT NULL
) STRICT;
CREATE INDEX enrol_tokens_device ON enrol_tokens (device_id);

-- The lifecycle history is append-only, like the audit log.
CREATE TABLE device_transitions (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	device_id   TEXT NOT NULL REFERENCES devices (id),
	event       TEXT NOT NULL,
	from_state  TEXT NOT NULL,
	to_state    TEXT NOT NULL,
	credentials TEXT NOT NULL,
	changed     INTEGER NOT NULL,
	evidence    TEXT NOT NULL,
	note        TEXT NOT NULL,
	actor       TEXT NOT NULL,
	at          TEXT NOT NULL
) STRICT;
CREATE INDEX device_transitions_device ON device_transitions (device_id, id);
CREATE TRIGGER device_transitions_no_update BEFORE UPDATE ON device_transitions
BEGIN
	SELECT RAISE(ABORT, 'device_transitions is append-only');
END;
CREATE TRIGGER device_transitions_no_delete BEFORE DELETE ON device_transitions
BEGIN
	SELECT RAISE(ABORT, 'device_transitions is append-only');
END;

CREATE TABLE device_transfers (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	device_id  TEXT NOT NULL REFERENCES devices (id),
	hash       BLOB NOT NULL UNIQUE,
	expires_at TEXT NOT NULL,
	claimed_by TEXT,
	claimed_at TEXT,
	created_by TEXT NOT NULL,
	created_at TEXT NOT NULL
) STRICT;
CREATE INDEX device_transfers_device ON device_transfers (device_id);
