-- Proposed changes to the national measures dataset (internal/policy).
-- A government organisation proposes; someone of it other than the
-- proposer accepts or rejects; accepted ones apply to the dataset every
-- organisation sees. Events are the history and are never changed.
CREATE TABLE policy_proposals (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	jurisdiction TEXT NOT NULL,
	action       TEXT NOT NULL,
	entry_id     TEXT NOT NULL,
	entry        TEXT NOT NULL, -- JSON of the proposed entry; empty for a withdrawal
	rationale    TEXT NOT NULL,
	status       TEXT NOT NULL,
	proposed_by  TEXT NOT NULL,
	proposer_id  TEXT NOT NULL,
	proposed_at  TEXT NOT NULL,
	reviewed_by  TEXT NOT NULL DEFAULT '',
	reviewed_at  TEXT,
	review_note  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX policy_proposals_org ON policy_proposals (org_id, id);
CREATE INDEX policy_proposals_accepted ON policy_proposals (status, reviewed_at);

CREATE TABLE policy_events (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	proposal_id TEXT NOT NULL REFERENCES policy_proposals (id) ON DELETE CASCADE,
	at          TEXT NOT NULL,
	by_name     TEXT NOT NULL,
	status      TEXT NOT NULL,
	note        TEXT NOT NULL
) STRICT;
CREATE INDEX policy_events_proposal ON policy_events (proposal_id, seq);
CREATE TRIGGER policy_events_no_update BEFORE UPDATE ON policy_events
BEGIN SELECT RAISE(ABORT, 'policy events are append-only'); END;
