-- Workspaces (internal/workspace): organisations working together around
-- a focus area; mapping proposals they review and merge into each member's
-- catalog; reports of a period's work published to the other workspaces.
CREATE TABLE workspaces (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	focus      TEXT NOT NULL,
	org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	created_by TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE workspace_members (
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	role         TEXT NOT NULL,
	accepted     INTEGER NOT NULL,
	invited_by   TEXT NOT NULL,
	invited_at   TIMESTAMPTZ NOT NULL,
	joined_at    TIMESTAMPTZ,
	PRIMARY KEY (workspace_id, org_id)
);
CREATE INDEX workspace_members_org ON workspace_members (org_id);

CREATE TABLE workspace_proposals (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,
	from_scheme  TEXT NOT NULL,
	to_scheme    TEXT NOT NULL,
	sources      TEXT NOT NULL, -- semicolon-separated provision IDs
	targets      TEXT NOT NULL,
	relationship TEXT NOT NULL,
	confidence   TEXT NOT NULL,
	rationale    TEXT NOT NULL,
	status       TEXT NOT NULL,
	proposed_by  TEXT NOT NULL,
	proposed_at  TIMESTAMPTZ NOT NULL,
	approved_by  TEXT NOT NULL DEFAULT '',
	approved_org TEXT NOT NULL DEFAULT '',
	approved_at  TIMESTAMPTZ,
	merged_by    TEXT NOT NULL DEFAULT '',
	merged_at    TIMESTAMPTZ
);
CREATE INDEX workspace_proposals_ws ON workspace_proposals (workspace_id, id);

CREATE TABLE workspace_comments (
	seq         BIGSERIAL PRIMARY KEY,
	proposal_id TEXT NOT NULL REFERENCES workspace_proposals (id) ON DELETE CASCADE,
	org_name    TEXT NOT NULL,
	by_name     TEXT NOT NULL,
	at          TIMESTAMPTZ NOT NULL,
	body        TEXT NOT NULL
);
CREATE INDEX workspace_comments_proposal ON workspace_comments (proposal_id, seq);

CREATE TABLE workspace_reports (
	id             TEXT PRIMARY KEY,
	workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	title          TEXT NOT NULL,
	period_from    TEXT NOT NULL,
	period_to      TEXT NOT NULL,
	merged         TEXT NOT NULL, -- comma-separated proposal IDs
	open_questions TEXT NOT NULL,
	gaps           TEXT NOT NULL,
	published_by   TEXT NOT NULL,
	published_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX workspace_reports_at ON workspace_reports (published_at);
