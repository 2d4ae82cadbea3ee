-- Schemes and mappings organisations import into the catalog they see
-- (OSCAL bundles, mapping spreadsheets). The file is kept as sent, with
-- what it was parsed into, so catalogs can be rebuilt without parsing.
-- parsed is TEXT, not JSONB: it is only ever read back whole.
CREATE TABLE scheme_imports (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	format       TEXT NOT NULL,
	visibility   TEXT NOT NULL,
	slugs        TEXT NOT NULL, -- comma-separated scheme slugs it adds
	mapping_sets TEXT NOT NULL, -- comma-separated mapping set IDs it adds
	maps         INTEGER NOT NULL,
	created_by   TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL,
	source       BYTEA NOT NULL,
	parsed       TEXT NOT NULL -- JSON: {"schemes": [...], "mappings": [...]}
);
CREATE INDEX scheme_imports_org ON scheme_imports (org_id, id);
CREATE INDEX scheme_imports_shared ON scheme_imports (visibility, id);

-- One row per imported scheme: a slug is unique within its organisation
-- and among shared schemes, which the database enforces.
CREATE TABLE scheme_slugs (
	slug      TEXT NOT NULL,
	org_id    TEXT NOT NULL,
	import_id TEXT NOT NULL REFERENCES scheme_imports (id) ON DELETE CASCADE,
	shared    BOOLEAN NOT NULL,
	PRIMARY KEY (org_id, slug)
);
CREATE UNIQUE INDEX scheme_slugs_shared ON scheme_slugs (slug) WHERE shared;
CREATE INDEX scheme_slugs_import ON scheme_slugs (import_id);

-- Bumped by every change to any import: replicas cache merged catalogs
-- and compare this one number to know when to rebuild.
CREATE TABLE scheme_revision (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	rev BIGINT NOT NULL
);
INSERT INTO scheme_revision (id, rev) VALUES (1, 0);
