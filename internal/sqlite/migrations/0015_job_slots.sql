-- Job slots (internal/queue): each organisation's places to run a class of
-- job (scans, imports, matches) at once, shared by every replica on this
-- database. A worker takes a free or expired slot before it runs a job,
-- keeps it fresh with the job's heartbeat and gives it back when the job
-- ends; a slot whose replica died expires.
CREATE TABLE job_slots (
	org_id     TEXT NOT NULL,
	class      TEXT NOT NULL,
	slot       INTEGER NOT NULL,
	job_id     TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	PRIMARY KEY (org_id, class, slot)
) STRICT;
CREATE INDEX job_slots_job ON job_slots (job_id);
