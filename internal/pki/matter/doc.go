// Package matter reads the Matter-specific parts of device attestation:
// vendor and product IDs in certificate subjects (attributes and the
// common-name fallback), the Matter TLV encoding and the Certification
// Declaration (a CMS SignedData over TLV certification elements).
//
// It is a leaf package: it imports only the standard library and must not
// import storage, HTTP or other iotsec packages. Chain and profile checks
// that use it live in package identity.
package matter
