-- Deliveries: each batch of notifications is sent once per channel
-- (webhook, e-mail) by a queued job, retried when it fails; the row keeps
-- its state so the organisation sees what was sent and what failed.
CREATE TABLE notify_deliveries (
	id              TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	channel         TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
	target          TEXT NOT NULL,
	state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'retrying', 'failed')),
	notifications   TEXT NOT NULL, -- JSON array of notification IDs
	job_id          TEXT NOT NULL UNIQUE,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	sent_at         TEXT
) STRICT;
CREATE INDEX notify_deliveries_org ON notify_deliveries (org_id, id);
