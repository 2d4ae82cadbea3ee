package supply

import (
	"context"
	"os"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/vex"
)

// SBOMMatches is an SBOM file matched against the stored data.
type SBOMMatches struct {
	// Components is how many components the SBOM lists.
	Components int
	// Matches are the matches, VEX applied; never nil.
	Matches []Match
}

// MatchSBOMFile reads the SBOM at path (any format) and matches its
// components against the stored data, as the firmware the SBOM describes
// running on the platform CPEs given, applying vendor VEX from the store
// and the statements of the VEX documents at vexPaths (OpenVEX, CycloneDX
// VEX, CSAF). An unreadable SBOM or VEX document is invalid input. It
// stores nothing.
func (s *Service) MatchSBOMFile(ctx context.Context, path string, vexPaths, platform []string) (SBOMMatches, error) {
	doc, _, err := DecodeSBOMFile(path)
	if err != nil {
		return SBOMMatches{}, iotsec.Invalid("sbom", "%v", err)
	}
	var extra []Statement
	// A standalone CycloneDX VEX points into the SBOM by BOM-Link
	// (urn:cdx:SERIAL/VERSION#bom-ref): resolve its links against this
	// SBOM when it is CycloneDX JSON with a serial number.
	var resolve vex.BOMResolver
	if len(vexPaths) > 0 {
		if data, err := os.ReadFile(path); err == nil {
			if r, err := vex.ResolverFromSBOMs(vex.DefaultLimits(), data); err == nil {
				resolve = r
			}
		}
	}
	for _, f := range vexPaths {
		lim := vex.DefaultLimits()
		lim.Warn = func(msg string) { s.Log.Warn("VEX entry skipped", "file", f, "detail", msg) }
		st, warnings, err := vex.ReadFileResolved(f, lim, resolve)
		if err != nil {
			return SBOMMatches{}, iotsec.Invalid("vex", "%v", err)
		}
		for _, w := range warnings {
			s.Log.Warn("VEX statement", "file", f, "detail", w.String())
		}
		extra = append(extra, st...)
	}
	name := doc.Firmware.Name
	if name == "" {
		name = doc.Firmware.Product
	}
	fw := vuln.Firmware{Ref: vuln.Ref{Name: name, Version: doc.Firmware.Version, PURL: doc.Firmware.PURL, CPE: doc.Firmware.CPE}, Platform: platform}
	ms, err := s.Match(ctx, fw, VulnComponents(doc), extra)
	if err != nil {
		return SBOMMatches{}, err
	}
	if ms == nil {
		ms = []Match{}
	}
	return SBOMMatches{Components: len(doc.Components), Matches: ms}, nil
}
