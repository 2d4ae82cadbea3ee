// Package pki is the device PKI engine: it verifies device identity
// chains (RFC 5280 path building on crypto/x509 plus our own profile layer
// for KeyUsage, CRLs, critical extensions, IEEE 802.1AR IDevIDs and Matter
// DACs), audits certificate and device records, and models the device
// lifecycle.
//
// Subpackages: ca issues certificates, CRLs and OCSP responses; est is the
// RFC 7030 enrolment protocol; matter reads Matter attestation data.
//
// pki is an engine: it must not import storage (database/sql, sqlite,
// pgx), HTTP servers or internal/iotsec. Callers parse nothing twice: they
// pass certificates and CRLs, and get back a Result whose problem codes are
// a stable contract (see docs/identity.md).
package pki
