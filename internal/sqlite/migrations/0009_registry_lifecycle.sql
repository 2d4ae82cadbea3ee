-- Registry lifecycle (issue 11): the maker's application to renew a
-- record, the expiry job's index, and the label's consumer fields of
-- CTA-2120 that a product states (how updates reach users, whom to tell of
-- a vulnerability).
ALTER TABLE certifications ADD COLUMN renewal_requested_at TEXT;
CREATE INDEX certifications_due ON certifications (status, valid_until);
ALTER TABLE products ADD COLUMN update_delivery TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN security_contact TEXT NOT NULL DEFAULT '';
