-- Recognition requests (internal/registry): the owner of one scheme asks
-- the owner of another to recognise its label; agreed, the recognition is
-- a private agreement import in both organisations' catalogs.
CREATE TABLE recognition_requests (
	id           TEXT PRIMARY KEY,
	from_org_id  TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	to_org_id    TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	from_scheme  TEXT NOT NULL,
	from_level   TEXT NOT NULL,
	to_scheme    TEXT NOT NULL,
	to_level     TEXT NOT NULL,
	kind         TEXT NOT NULL,
	rationale    TEXT NOT NULL,
	status       TEXT NOT NULL,
	requested_by TEXT NOT NULL,
	requested_at TIMESTAMPTZ NOT NULL,
	closed_by    TEXT NOT NULL DEFAULT '',
	reason       TEXT NOT NULL DEFAULT '',
	closed_at    TIMESTAMPTZ,
	imports      TEXT NOT NULL DEFAULT '' -- comma-separated import IDs an agreement made
);
CREATE INDEX recognition_requests_from ON recognition_requests (from_org_id, requested_at);
CREATE INDEX recognition_requests_to ON recognition_requests (to_org_id, requested_at);
