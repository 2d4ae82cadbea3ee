-- Firmware evaluation: images, scans, findings, components, and what
-- assessors record. Images live in the database (in 1 MiB chunks) rather
-- than in a data directory, so every replica and worker sees them without
-- a shared file system; they are kept once per organisation by digest.
CREATE TABLE images (
	org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	digest     TEXT NOT NULL,
	size       BIGINT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (org_id, digest)
);

CREATE TABLE image_chunks (
	org_id TEXT NOT NULL,
	digest TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	data   BYTEA NOT NULL,
	PRIMARY KEY (org_id, digest, seq),
	FOREIGN KEY (org_id, digest) REFERENCES images (org_id, digest) ON DELETE CASCADE
);

-- The latest scan of each firmware version.
CREATE TABLE scans (
	firmware_id TEXT PRIMARY KEY REFERENCES firmware (id) ON DELETE CASCADE,
	org_id      TEXT NOT NULL,
	job_id      TEXT NOT NULL,
	state       TEXT NOT NULL,
	image_name  TEXT NOT NULL,
	image_digest TEXT NOT NULL,
	image_size  BIGINT NOT NULL,
	formats     TEXT NOT NULL DEFAULT '[]',
	files       BIGINT NOT NULL DEFAULT 0,
	bytes       BIGINT NOT NULL DEFAULT 0,
	seconds     TEXT NOT NULL DEFAULT '{}',
	warnings    TEXT NOT NULL DEFAULT '[]',
	severities  TEXT NOT NULL DEFAULT '{}',
	findings    BIGINT NOT NULL DEFAULT 0,
	components  BIGINT NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	created_at  TIMESTAMPTZ NOT NULL,
	scanned_at  TIMESTAMPTZ
);
CREATE INDEX scans_org ON scans (org_id, created_at);

CREATE TABLE findings (
	firmware_id TEXT NOT NULL REFERENCES firmware (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	org_id      TEXT NOT NULL,
	rule        TEXT NOT NULL,
	category    TEXT NOT NULL,
	severity    TEXT NOT NULL,
	title       TEXT NOT NULL,
	path        TEXT NOT NULL,
	evidence    TEXT NOT NULL,
	provisions  TEXT NOT NULL,
	PRIMARY KEY (firmware_id, seq)
);
CREATE INDEX findings_rule ON findings (org_id, rule);

CREATE TABLE components (
	firmware_id TEXT NOT NULL REFERENCES firmware (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	org_id      TEXT NOT NULL,
	name        TEXT NOT NULL,
	version     TEXT NOT NULL,
	cpe         TEXT NOT NULL,
	purl        TEXT NOT NULL,
	path        TEXT NOT NULL,
	evidence    TEXT NOT NULL,
	PRIMARY KEY (firmware_id, seq)
);
CREATE INDEX components_name ON components (org_id, name);

-- Assessors' records: append-only history per provision and test case.
CREATE TABLE evidence (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	firmware_id TEXT NOT NULL REFERENCES firmware (id) ON DELETE CASCADE,
	provision   TEXT NOT NULL,
	test_case   TEXT NOT NULL,
	verdict     TEXT NOT NULL,
	rationale   TEXT NOT NULL,
	override    BOOLEAN NOT NULL,
	assessor    TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX evidence_firmware ON evidence (firmware_id, id);

CREATE TABLE assessment_inputs (
	firmware_id TEXT PRIMARY KEY REFERENCES firmware (id) ON DELETE CASCADE,
	org_id      TEXT NOT NULL,
	ics         TEXT NOT NULL DEFAULT '',
	ixit        TEXT NOT NULL DEFAULT '',
	updated_at  TIMESTAMPTZ NOT NULL
);
