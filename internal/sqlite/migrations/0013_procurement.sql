-- Procurement policies (internal/dashboard): what an organisation asks of
-- a product before it buys it. Labels is a JSON list of market, scheme and
-- minimum level.
CREATE TABLE procurement_policies (
	id                TEXT PRIMARY KEY,
	org_id            TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	name              TEXT NOT NULL,
	labels            TEXT NOT NULL,
	min_support_years INTEGER NOT NULL,
	no_kev            INTEGER NOT NULL,
	sbom_required     INTEGER NOT NULL,
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX procurement_policies_org ON procurement_policies (org_id, name);
