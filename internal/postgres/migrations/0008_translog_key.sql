-- The transparency log's checkpoint signing key (Ed25519, a note signer
-- key), the platform's own: one per log origin, the signer half sealed by
-- the registry service under the key-encryption key. Kept for good.
CREATE TABLE translog_keys (
	origin       TEXT PRIMARY KEY,
	verifier_key TEXT NOT NULL,
	sealed       BYTEA NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL
);
CREATE FUNCTION translog_keys_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'translog_keys is append-only';
END;
$$;
CREATE TRIGGER translog_keys_no_change BEFORE UPDATE OR DELETE ON translog_keys
	FOR EACH ROW EXECUTE FUNCTION translog_keys_append_only();
