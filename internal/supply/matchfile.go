package supply

import (
	"context"

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
	for _, f := range vexPaths {
		lim := vex.DefaultLimits()
		lim.Warn = func(msg string) { s.Log.Warn("VEX entry skipped", "detail", msg) }
		st, err := vex.ReadFile(f, lim)
		if err != nil {
			return SBOMMatches{}, iotsec.Invalid("vex", "%v", err)
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
