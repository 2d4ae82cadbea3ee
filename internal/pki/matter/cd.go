package matter

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// MaxDeclarationSize bounds the CMS envelope we accept; the Matter spec caps
// the whole attestation response at 900 bytes.
const MaxDeclarationSize = 2048

// Declaration is a verified Certification Declaration (Matter Core
// Specification 6.3.1): the certification elements from the signed content.
type Declaration struct {
	FormatVersion       uint64
	VendorID            uint16
	ProductIDs          []uint16
	DeviceTypeID        uint32
	CertificateID       string
	SecurityLevel       uint64
	SecurityInformation uint64
	VersionNumber       uint64
	CertificationType   uint64
	// DACOrigin is set when dac_origin_vendor_id and dac_origin_product_id
	// are present (a product sold under another vendor's DAC).
	DACOrigin      *IDs
	AuthorizedPAAs [][]byte // subject key identifiers, nil when the list is absent
	// SignerKeyID is the subject key identifier of the signing key.
	SignerKeyID []byte
}

// SignerKey is a trusted CD signing key, looked up by its subject key
// identifier as the CMS SignerInfo names it.
type SignerKey struct {
	KeyID     []byte
	PublicKey *ecdsa.PublicKey
}

// Failure is why a declaration was rejected. Reason is stable (it becomes
// part of a problem code); Detail is for people.
type Failure struct {
	Reason string
	Detail string
}

func (f *Failure) Error() string { return "certification declaration: " + f.Reason + ": " + f.Detail }

func fail(reason, format string, a ...any) *Failure {
	return &Failure{Reason: reason, Detail: fmt.Sprintf(format, a...)}
}

var (
	oidSignedData      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// ParseDeclaration checks the CMS envelope of a Certification Declaration,
// verifies its signature with the key named by its SignerInfo and decodes the
// certification elements. The envelope must have the shape Matter mandates:
// SignedData v3, SHA-256, one signer identified by subject key identifier,
// no signed attributes, ecdsa-with-SHA256 over the content itself.
func ParseDeclaration(der []byte, keys []SignerKey) (*Declaration, error) {
	if len(der) > MaxDeclarationSize {
		return nil, fail("malformed", "%d bytes exceeds limit %d", len(der), MaxDeclarationSize)
	}
	content, kid, sigAlg, sig, f := parseEnvelope(der)
	if f != nil {
		return nil, f
	}
	if !sigAlg.Equal(oidECDSAWithSHA256) {
		return nil, fail("signature_algorithm", "signature algorithm %v, want ecdsa-with-SHA256", sigAlg)
	}
	var key *ecdsa.PublicKey
	for _, k := range keys {
		if bytes.Equal(k.KeyID, kid) {
			key = k.PublicKey
			break
		}
	}
	if key == nil {
		return nil, fail("signer_unknown", "no trusted signing key with key ID %s", hex.EncodeToString(kid))
	}
	sum := sha256.Sum256(content)
	if !ecdsa.VerifyASN1(key, sum[:], sig) {
		return nil, fail("signature_invalid", "signature does not verify under key ID %s", hex.EncodeToString(kid))
	}
	d, f := decodeElements(content)
	if f != nil {
		return nil, f
	}
	d.SignerKeyID = kid
	return d, nil
}

func parseEnvelope(der []byte) (content, kid []byte, sigAlg asn1.ObjectIdentifier, sig []byte, f *Failure) {
	malformed := func(what string) *Failure { return fail("malformed", "CMS: %s", what) }
	in := cryptobyte.String(der)
	var ci, sd cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, nil, nil, nil, malformed("ContentInfo is not one SEQUENCE")
	}
	if !ci.ReadASN1ObjectIdentifier(&ct) || !ct.Equal(oidSignedData) {
		return nil, nil, nil, nil, malformed("content type is not signedData")
	}
	if !ci.ReadASN1(&sd, cbasn1.Tag(0).Constructed().ContextSpecific()) || !sd.ReadASN1(&sd, cbasn1.SEQUENCE) {
		return nil, nil, nil, nil, malformed("no SignedData")
	}
	var version int
	if !sd.ReadASN1Integer(&version) {
		return nil, nil, nil, nil, malformed("SignedData version")
	}
	if version != 3 {
		return nil, nil, nil, nil, fail("cms_version", "SignedData version %d, want 3", version)
	}
	var digests, digest cryptobyte.String
	if !sd.ReadASN1(&digests, cbasn1.SET) || !digests.ReadASN1(&digest, cbasn1.SEQUENCE) || !digests.Empty() {
		return nil, nil, nil, nil, malformed("digestAlgorithms must hold exactly one algorithm")
	}
	var alg asn1.ObjectIdentifier
	if !digest.ReadASN1ObjectIdentifier(&alg) {
		return nil, nil, nil, nil, malformed("digest algorithm")
	}
	if !alg.Equal(oidSHA256) {
		return nil, nil, nil, nil, fail("digest_algorithm", "digest algorithm %v, want SHA-256", alg)
	}
	var eci, econtent cryptobyte.String
	if !sd.ReadASN1(&eci, cbasn1.SEQUENCE) || !eci.ReadASN1ObjectIdentifier(&ct) {
		return nil, nil, nil, nil, malformed("encapContentInfo")
	}
	if !ct.Equal(oidData) {
		return nil, nil, nil, nil, fail("content_type", "eContentType %v, want id-data", ct)
	}
	if !eci.ReadASN1(&econtent, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!econtent.ReadASN1((*cryptobyte.String)(&content), cbasn1.OCTET_STRING) || !econtent.Empty() || !eci.Empty() {
		return nil, nil, nil, nil, malformed("eContent is not one OCTET STRING")
	}
	// Certificates and CRLs are not part of a Matter CD; skip them if a
	// producer added them anyway.
	sd.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific())
	sd.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific())
	var signers, si cryptobyte.String
	if !sd.ReadASN1(&signers, cbasn1.SET) || !sd.Empty() {
		return nil, nil, nil, nil, malformed("signerInfos")
	}
	if !signers.ReadASN1(&si, cbasn1.SEQUENCE) || !signers.Empty() {
		return nil, nil, nil, nil, malformed("signerInfos must hold exactly one signer")
	}
	if !si.ReadASN1Integer(&version) {
		return nil, nil, nil, nil, malformed("SignerInfo version")
	}
	if version != 3 {
		return nil, nil, nil, nil, fail("cms_version", "SignerInfo version %d, want 3", version)
	}
	if !si.ReadASN1((*cryptobyte.String)(&kid), cbasn1.Tag(0).ContextSpecific()) {
		return nil, nil, nil, nil, malformed("SignerInfo sid is not a subjectKeyIdentifier")
	}
	var salg cryptobyte.String
	if !si.ReadASN1(&salg, cbasn1.SEQUENCE) || !salg.ReadASN1ObjectIdentifier(&alg) {
		return nil, nil, nil, nil, malformed("SignerInfo digestAlgorithm")
	}
	if !alg.Equal(oidSHA256) {
		return nil, nil, nil, nil, fail("digest_algorithm", "SignerInfo digest algorithm %v, want SHA-256", alg)
	}
	if si.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, nil, nil, nil, fail("signed_attributes", "signed attributes are not allowed in a CD")
	}
	if !si.ReadASN1(&salg, cbasn1.SEQUENCE) || !salg.ReadASN1ObjectIdentifier(&sigAlg) {
		return nil, nil, nil, nil, malformed("SignerInfo signatureAlgorithm")
	}
	if !si.ReadASN1((*cryptobyte.String)(&sig), cbasn1.OCTET_STRING) {
		return nil, nil, nil, nil, malformed("SignerInfo signature")
	}
	return content, kid, sigAlg, sig, nil
}

// decodeElements reads the certification-elements TLV structure
// (Matter Core Specification 6.3.1) and applies its field constraints.
func decodeElements(b []byte) (*Declaration, *Failure) {
	root, err := decodeTLV(b)
	if err != nil {
		return nil, fail("malformed", "content: %v", err)
	}
	if root.Type != tlvStruct || root.Tag != tagAnonymous {
		return nil, fail("malformed", "content is not an anonymous structure")
	}
	fields := map[int]tlvElement{}
	for _, c := range root.Children {
		if c.Tag < 0 {
			return nil, fail("malformed", "element without context tag")
		}
		if _, dup := fields[c.Tag]; dup {
			return nil, fail("malformed", "field %d appears twice", c.Tag)
		}
		fields[c.Tag] = c
	}
	uintField := func(tag int, name string, max uint64) (uint64, *Failure) {
		e, ok := fields[tag]
		if !ok {
			return 0, fail(name, "%s is missing", name)
		}
		v, ok := e.unsigned()
		if !ok || v > max {
			return 0, fail(name, "%s is not an integer in 0..%d", name, max)
		}
		return v, nil
	}
	d := &Declaration{}
	var f *Failure
	var v uint64
	if d.FormatVersion, f = uintField(0, "format_version", 0xffff); f != nil {
		return nil, f
	}
	if d.FormatVersion != 1 {
		return nil, fail("format_version", "format_version %d, want 1", d.FormatVersion)
	}
	if v, f = uintField(1, "vendor_id", 0xffff); f != nil {
		return nil, f
	}
	d.VendorID = uint16(v)
	pids, ok := fields[2]
	if !ok || pids.Type != tlvArray {
		return nil, fail("product_id_array", "product_id_array is missing or not an array")
	}
	if n := len(pids.Children); n < 1 || n > 100 {
		return nil, fail("product_id_array", "product_id_array has %d entries, want 1..100", n)
	}
	for _, p := range pids.Children {
		v, ok := p.unsigned()
		if !ok || v > 0xffff || p.Tag != tagAnonymous {
			return nil, fail("product_id_array", "product_id_array entry is not an integer in 0..65535")
		}
		d.ProductIDs = append(d.ProductIDs, uint16(v))
	}
	if v, f = uintField(3, "device_type_id", 0xffffffff); f != nil {
		return nil, f
	}
	d.DeviceTypeID = uint32(v)
	cid, ok := fields[4]
	if !ok || cid.Type != tlvUTF8 {
		return nil, fail("certificate_id", "certificate_id is missing or not a string")
	}
	if len(cid.Bytes) != 19 {
		return nil, fail("certificate_id", "certificate_id %q has %d characters, want 19", cid.Bytes, len(cid.Bytes))
	}
	d.CertificateID = string(cid.Bytes)
	if d.SecurityLevel, f = uintField(5, "security_level", 0xff); f != nil {
		return nil, f
	}
	if d.SecurityLevel != 0 {
		return nil, fail("security_level", "security_level %d, want 0", d.SecurityLevel)
	}
	if d.SecurityInformation, f = uintField(6, "security_information", 0xffff); f != nil {
		return nil, f
	}
	if d.SecurityInformation != 0 {
		return nil, fail("security_information", "security_information %d, want 0", d.SecurityInformation)
	}
	if d.VersionNumber, f = uintField(7, "version_number", 0xffff); f != nil {
		return nil, f
	}
	if d.CertificationType, f = uintField(8, "certification_type", 0xff); f != nil {
		return nil, f
	}
	if d.CertificationType > 2 {
		return nil, fail("certification_type", "certification_type %d, want 0 (development), 1 (provisional) or 2 (official)", d.CertificationType)
	}
	_, hasOV := fields[9]
	_, hasOP := fields[10]
	if hasOV != hasOP {
		return nil, fail("dac_origin", "dac_origin_vendor_id and dac_origin_product_id must be present together")
	}
	if hasOV {
		ov, f := uintField(9, "dac_origin", 0xffff)
		if f != nil {
			return nil, f
		}
		op, f := uintField(10, "dac_origin", 0xffff)
		if f != nil {
			return nil, f
		}
		d.DACOrigin = &IDs{VID: uint16(ov), PID: uint16(op), HasVID: true, HasPID: true}
	}
	if paas, ok := fields[11]; ok {
		if paas.Type != tlvArray || len(paas.Children) < 1 || len(paas.Children) > 10 {
			return nil, fail("authorized_paa_list", "authorized_paa_list must be an array of 1..10 key IDs")
		}
		for _, p := range paas.Children {
			if p.Type != tlvBytes || len(p.Bytes) != 20 {
				return nil, fail("authorized_paa_list", "authorized_paa_list entry is not a 20-byte key ID")
			}
			d.AuthorizedPAAs = append(d.AuthorizedPAAs, p.Bytes)
		}
	}
	return d, nil
}

// Device is what a commissioner knows when it checks a declaration: the
// Basic Information cluster's IDs and what the attestation chain says.
type Device struct {
	VendorID, ProductID uint16 // Basic Information cluster
	DAC, PAI            IDs
	PAAKeyID            []byte
}

// Check applies the rules that tie a declaration to a device (Matter Core
// Specification 6.3.1, as implemented by the chip SDK's
// DefaultDACVerifier::ValidateCertificateDeclarationPayload). It returns
// every rule that fails.
func (d *Declaration) Check(dev Device) []Failure {
	var out []Failure
	add := func(reason, format string, a ...any) { out = append(out, *fail(reason, format, a...)) }
	if d.VendorID != dev.VendorID {
		add("vendor_mismatch", "vendor_id %04X differs from Basic Information VendorID %04X", d.VendorID, dev.VendorID)
	}
	if !slices.Contains(d.ProductIDs, dev.ProductID) {
		add("product_mismatch", "product_id_array lacks Basic Information ProductID %04X", dev.ProductID)
	}
	if o := d.DACOrigin; o != nil {
		if dev.DAC.VID != o.VID || dev.PAI.VID != o.VID {
			add("vendor_mismatch", "dac_origin_vendor_id %04X differs from DAC %04X or PAI %04X", o.VID, dev.DAC.VID, dev.PAI.VID)
		}
		if dev.DAC.PID != o.PID || dev.PAI.HasPID && dev.PAI.PID != o.PID {
			add("product_mismatch", "dac_origin_product_id %04X differs from the DAC or PAI product ID", o.PID)
		}
	} else {
		if dev.DAC.VID != d.VendorID || dev.PAI.VID != d.VendorID {
			add("vendor_mismatch", "vendor_id %04X differs from DAC %04X or PAI %04X", d.VendorID, dev.DAC.VID, dev.PAI.VID)
		}
		if !slices.Contains(d.ProductIDs, dev.DAC.PID) || dev.PAI.HasPID && !slices.Contains(d.ProductIDs, dev.PAI.PID) {
			add("product_mismatch", "product_id_array lacks the DAC or PAI product ID")
		}
	}
	if d.AuthorizedPAAs != nil && !slices.ContainsFunc(d.AuthorizedPAAs, func(k []byte) bool { return bytes.Equal(k, dev.PAAKeyID) }) {
		add("paa_not_authorized", "PAA key ID %s is not in authorized_paa_list", hex.EncodeToString(dev.PAAKeyID))
	}
	return out
}
