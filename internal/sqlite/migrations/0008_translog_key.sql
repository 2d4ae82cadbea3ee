-- The transparency log's checkpoint signing key (Ed25519, a note signer
-- key), the platform's own: one per log origin, the signer half sealed by
-- the registry service under the key-encryption key. Kept for good.
CREATE TABLE translog_keys (
	origin       TEXT PRIMARY KEY,
	verifier_key TEXT NOT NULL,
	sealed       BLOB NOT NULL,
	created_at   TEXT NOT NULL
) STRICT;
CREATE TRIGGER translog_keys_no_update BEFORE UPDATE ON translog_keys
BEGIN
	SELECT RAISE(ABORT, 'translog_keys is append-only');
END;
CREATE TRIGGER translog_keys_no_delete BEFORE DELETE ON translog_keys
BEGIN
	SELECT RAISE(ABORT, 'translog_keys is append-only');
END;
