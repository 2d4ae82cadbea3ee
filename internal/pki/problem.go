package pki

// Code names one kind of verification problem. Codes are a stable,
// machine-readable contract: the CLI prints them and scripts match on them.
// Add new codes; never rename or reuse one.
type Code string

// Input and chain building.
const (
	CodeChainEmpty        Code = "chain.empty"          // no certificate to verify
	CodeTimeMissing       Code = "options.time_missing" // Options.At not set
	CodeCertMalformed     Code = "cert.malformed"       // a certificate does not parse
	CodeUnsupportedKey    Code = "cert.unsupported_key" // a public key type or curve Go cannot use
	CodeChainUntrusted    Code = "chain.untrusted"      // no path from the leaf to a trust anchor
	CodeChainTooLong      Code = "chain.too_long"       // path longer than the depth limit
	CodeSignatureInvalid  Code = "signature.invalid"    // a name-matching issuer's signature does not verify
	CodeSignatureInsecure Code = "signature.insecure_algorithm"
)

// RFC 5280 rules.
const (
	CodeExpired            Code = "cert.expired"
	CodeNotYetValid        Code = "cert.not_yet_valid"
	CodeNotCA              Code = "ca.not_ca"                   // an issuer lacks basicConstraints cA=TRUE
	CodePathLenExceeded    Code = "ca.path_len_exceeded"        // pathLenConstraint violated
	CodeCertSignMissing    Code = "key_usage.cert_sign_missing" // issuer keyUsage lacks keyCertSign
	CodeKeyUsageMissing    Code = "key_usage.missing"           // leaf lacks a required keyUsage bit
	CodeExtKeyUsageMissing Code = "ext_key_usage.missing"       // a certificate does not allow a required EKU
	CodeUnknownCritical    Code = "extension.unknown_critical"
	CodeNameMismatch       Code = "name.mismatch" // leaf does not carry the expected name
)

// Revocation.
const (
	CodeRevoked            Code = "revocation.revoked"
	CodeRevocationUnknown  Code = "revocation.unknown" // CRLs required but none covers a certificate
	CodeCRLSignature       Code = "crl.bad_signature"
	CodeCRLExpired         Code = "crl.expired"
	CodeCRLNotYetValid     Code = "crl.not_yet_valid"
	CodeCRLUnknownCrit     Code = "crl.unknown_critical"
	CodeCRLSignerUntrusted Code = "crl.signer_untrusted" // indirect CRL signer does not chain to a root
)

// IEEE 802.1AR IDevID profile.
const (
	CodeIDevIDSerialMissing Code = "idevid.serial_missing" // subject has no serialNumber attribute
	CodeIDevIDLeafIsCA      Code = "idevid.leaf_is_ca"
	CodeIDevIDKeyUsage      Code = "idevid.key_usage"
)

// Matter PAA/PAI/DAC profile.
const (
	CodeMatterChainLength     Code = "matter.chain_length" // not exactly DAC, PAI, PAA
	CodeMatterVersion         Code = "matter.cert_version"
	CodeMatterSignatureAlg    Code = "matter.signature_algorithm"
	CodeMatterPublicKey       Code = "matter.public_key"
	CodeMatterBasicConstraint Code = "matter.basic_constraints"
	CodeMatterKeyUsage        Code = "matter.key_usage"
	CodeMatterKeyID           Code = "matter.key_id"  // AKID/SKID missing
	CodeMatterVIDPID          Code = "matter.vid_pid" // VID/PID missing, malformed or where it must not be
	CodeMatterVIDMismatch     Code = "matter.vid_mismatch"
	CodeMatterPIDMismatch     Code = "matter.pid_mismatch"
	CodeMatterIssuerValidity  Code = "matter.issuer_validity" // PAI/PAA not valid when the DAC was issued
	// Certification Declaration problems are "matter.cd." plus the reason
	// from matter.Failure, e.g. matter.cd.signer_unknown.
	CodeMatterCDPrefix = "matter.cd."
)

// Problem is one reason a chain is not valid.
type Problem struct {
	Code   Code   `json:"code"`
	Detail string `json:"detail"`
}
