package matter

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strconv"
	"strings"
)

// Subject attribute OIDs for the Matter vendor and product ID
// (Matter Core Specification, section 6.1.1: 1.3.6.1.4.1.37244.2.1 and .2).
var (
	OIDVendorID  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 37244, 2, 1}
	OIDProductID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 37244, 2, 2}
)

// IDs holds the vendor and product ID found in one certificate subject.
// HasVID/HasPID say whether each was present; a certificate may carry
// neither (a non-vendor-scoped PAA) or only a VID (a PAI for all products).
type IDs struct {
	VID, PID       uint16
	HasVID, HasPID bool
	// Fallback is true when the IDs came from the common-name fallback
	// encoding ("Mvid:FFF1 Mpid:8000") rather than the Matter attributes.
	Fallback bool
}

// ParseIDs extracts the vendor and product ID from a subject name.
//
// The Matter attributes win: when either attribute is present the common
// name is not consulted (the chip generator's fallback cases 15-17 rely on
// this). A malformed attribute value (anything but exactly four upper-case
// hexadecimal digits) is an error. In the common-name fallback a prefix
// followed by anything but four upper-case hex digits counts as absent, as
// in the chip SDK; the caller then reports the missing ID.
func ParseIDs(name pkix.Name) (IDs, error) {
	var ids IDs
	for _, atv := range name.Names {
		var dst *uint16
		var has *bool
		var what string
		switch {
		case atv.Type.Equal(OIDVendorID):
			dst, has, what = &ids.VID, &ids.HasVID, "vendor ID"
		case atv.Type.Equal(OIDProductID):
			dst, has, what = &ids.PID, &ids.HasPID, "product ID"
		default:
			continue
		}
		s, ok := atv.Value.(string)
		if !ok {
			return IDs{}, fmt.Errorf("%s attribute: not a string", what)
		}
		v, ok := parseHex4(s)
		if !ok || len(s) != 4 {
			return IDs{}, fmt.Errorf("%s attribute %q: want four upper-case hex digits", what, s)
		}
		if *has {
			return IDs{}, fmt.Errorf("%s attribute: appears twice", what)
		}
		*dst, *has = v, true
	}
	if ids.HasVID || ids.HasPID {
		return ids, nil
	}
	for _, atv := range name.Names {
		if !atv.Type.Equal(oidCommonName) {
			continue
		}
		cn, ok := atv.Value.(string)
		if !ok {
			continue
		}
		if v, ok := fallback(cn, "Mvid:"); ok {
			ids.VID, ids.HasVID = v, true
		}
		if v, ok := fallback(cn, "Mpid:"); ok {
			ids.PID, ids.HasPID = v, true
		}
		ids.Fallback = ids.HasVID || ids.HasPID
		break
	}
	return ids, nil
}

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// fallback finds the first occurrence of prefix in cn and reads the four
// characters after it. Only the first occurrence counts, so a later valid
// copy cannot override a malformed first one.
func fallback(cn, prefix string) (uint16, bool) {
	i := strings.Index(cn, prefix)
	if i < 0 {
		return 0, false
	}
	rest := cn[i+len(prefix):]
	if len(rest) < 4 {
		return 0, false
	}
	return parseHex4(rest[:4])
}

func parseHex4(s string) (uint16, bool) {
	if len(s) < 4 {
		return 0, false
	}
	for _, r := range s[:4] {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'F') {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s[:4], 16, 16)
	if err != nil {
		return 0, false
	}
	return uint16(v), true
}
