-- Dashboard snapshots (internal/dashboard): each organisation's dashboard
-- figures once a day, JSON by key, so the dashboards say what changed since
-- last week and draw trends. Derived data, written by the system only.
CREATE TABLE dashboard_snapshots (
	org_id   TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	day      TEXT NOT NULL,
	taken_at TEXT NOT NULL,
	source   TEXT NOT NULL,
	figures  TEXT NOT NULL,
	PRIMARY KEY (org_id, day)
) STRICT;

-- Grouped reads of the dashboards: the last week's audit events by action,
-- the certificates sharing a key, the reviews of a scheme owner's records,
-- and the fleet tally (devices by firmware version and state, read from the
-- index alone, in its order: no sort of the fleet).
CREATE INDEX devices_tally ON devices (org_id, firmware_id, state);
CREATE INDEX audit_events_org_at ON audit_events (org_id, at);
CREATE INDEX device_certs_key ON device_certs (org_id, key_fingerprint, status);
CREATE INDEX certification_events_to ON certification_events (to_status, certification_id);
