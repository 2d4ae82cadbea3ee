-- Supply chain: the shared vulnerability data (every organisation sees the
-- same NVD, OSV, KEV, EPSS and vendor VEX records) and each organisation's
-- SBOMs, matches, VEX statements, notifications and CRA reports.
CREATE TABLE vuln_advisories (
	source   TEXT NOT NULL,
	id       TEXT NOT NULL,
	ids      TEXT NOT NULL, -- space-separated: the ID, aliases, related IDs
	modified TEXT,
	data     BLOB NOT NULL,
	PRIMARY KEY (source, id)
) STRICT;
CREATE INDEX vuln_advisories_id ON vuln_advisories (id);

-- Lookup keys: CPE (part, vendor, product) or purl (type, namespace, name).
CREATE TABLE vuln_keys (
	kind   TEXT NOT NULL,
	a      TEXT NOT NULL,
	b      TEXT NOT NULL,
	c      TEXT NOT NULL,
	source TEXT NOT NULL,
	id     TEXT NOT NULL,
	PRIMARY KEY (kind, a, b, c, source, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX vuln_keys_advisory ON vuln_keys (source, id);

-- Every ID an advisory is known by, for KEV, EPSS and alias look-ups.
CREATE TABLE vuln_ids (
	alias  TEXT NOT NULL,
	source TEXT NOT NULL,
	id     TEXT NOT NULL,
	PRIMARY KEY (alias, source, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX vuln_ids_advisory ON vuln_ids (source, id);

CREATE TABLE vuln_kev (
	cve        TEXT PRIMARY KEY,
	date_added TEXT NOT NULL,
	data       BLOB NOT NULL
) STRICT;

CREATE TABLE vuln_epss (
	cve        TEXT PRIMARY KEY,
	score      REAL NOT NULL,
	percentile REAL NOT NULL,
	date       TEXT
) STRICT;

CREATE TABLE vuln_statements (
	hash TEXT PRIMARY KEY,
	data BLOB NOT NULL
) STRICT;
CREATE TABLE vuln_statement_ids (
	alias TEXT NOT NULL,
	hash  TEXT NOT NULL REFERENCES vuln_statements (hash) ON DELETE CASCADE,
	PRIMARY KEY (alias, hash)
) STRICT, WITHOUT ROWID;

CREATE TABLE vuln_imports (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	file        TEXT NOT NULL,
	sha256      TEXT NOT NULL,
	records     INTEGER NOT NULL,
	by_name     TEXT NOT NULL,
	imported_at TEXT NOT NULL
) STRICT;

CREATE TABLE sboms (
	firmware_id TEXT PRIMARY KEY REFERENCES firmware (id) ON DELETE CASCADE,
	org_id      TEXT NOT NULL,
	name        TEXT NOT NULL,
	format      TEXT NOT NULL,
	components  INTEGER NOT NULL,
	document    BLOB NOT NULL,
	by_name     TEXT NOT NULL,
	created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE vuln_matches (
	org_id            TEXT NOT NULL,
	firmware_id       TEXT NOT NULL REFERENCES firmware (id) ON DELETE CASCADE,
	vuln_id           TEXT NOT NULL,
	component         TEXT NOT NULL,
	component_version TEXT NOT NULL,
	severity          TEXT NOT NULL,
	score             REAL NOT NULL,
	kev               INTEGER NOT NULL,
	epss              REAL NOT NULL,
	fixed_version     TEXT NOT NULL,
	vex_status        TEXT NOT NULL,
	suppressed        INTEGER NOT NULL,
	data              BLOB NOT NULL,
	first_seen        TEXT NOT NULL,
	PRIMARY KEY (firmware_id, vuln_id, component, component_version)
) STRICT;
CREATE INDEX vuln_matches_vuln ON vuln_matches (org_id, vuln_id);
CREATE INDEX vuln_matches_component ON vuln_matches (org_id, component);

CREATE TABLE vex_statements (
	id                TEXT PRIMARY KEY,
	org_id            TEXT NOT NULL,
	firmware_id       TEXT NOT NULL REFERENCES firmware (id) ON DELETE CASCADE,
	vuln_id           TEXT NOT NULL,
	component         TEXT NOT NULL,
	component_version TEXT NOT NULL,
	status            TEXT NOT NULL,
	justification     TEXT NOT NULL,
	impact            TEXT NOT NULL,
	action            TEXT NOT NULL,
	author            TEXT NOT NULL,
	created_at        TEXT NOT NULL
) STRICT;
CREATE INDEX vex_statements_firmware ON vex_statements (org_id, firmware_id, id);

CREATE TABLE notifications (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,
	title      TEXT NOT NULL,
	body       TEXT NOT NULL,
	link       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	read_at    TEXT
) STRICT;
CREATE INDEX notifications_org ON notifications (org_id, id);

CREATE TABLE notify_settings (
	org_id         TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
	webhook_url    TEXT NOT NULL,
	webhook_secret TEXT NOT NULL,
	email          TEXT NOT NULL
) STRICT;

CREATE TABLE cra_reports (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
	firmware_id TEXT NOT NULL,
	vuln_id     TEXT NOT NULL,
	aware_at    TEXT NOT NULL,
	fix_at      TEXT,
	sent        TEXT NOT NULL,
	fields      TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	UNIQUE (product_id, vuln_id)
) STRICT;
CREATE INDEX cra_reports_org ON cra_reports (org_id, id);

-- Support periods: what the maker promises per product (CRA Art. 13(8)).
ALTER TABLE products ADD COLUMN support_months INTEGER NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN support_policy TEXT NOT NULL DEFAULT '';
