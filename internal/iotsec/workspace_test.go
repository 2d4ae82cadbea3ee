package iotsec

import (
	"strings"
	"testing"
)

func validProposal() MappingProposal {
	return MappingProposal{Kind: ProposalNew, From: "uk-psti", To: "etsi-en-303-645", Sources: []string{"1"}, Targets: []string{"5.1-1"},
		Relationship: "intersects-with", Confidence: "low", Rationale: "r"}
}

func TestMappingProposalNormalize(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*MappingProposal)
		field string // "" when valid
	}{
		{"valid", func(*MappingProposal) {}, ""},
		{"trimmed IDs", func(p *MappingProposal) { p.Sources = []string{" 1 ", "", "2"} }, ""},
		{"kind", func(p *MappingProposal) { p.Kind = "delete" }, "kind"},
		{"no from", func(p *MappingProposal) { p.From = " " }, "from"},
		{"no sources", func(p *MappingProposal) { p.Sources = []string{" "} }, "sources"},
		{"separator in an ID", func(p *MappingProposal) { p.Targets = []string{"5.1-1;5.1-2"} }, "targets"},
		{"too many IDs", func(p *MappingProposal) { p.Targets = strings.Split(strings.Repeat("x,", MaxProposalIDs+1)+"x", ",") }, "targets"},
		{"relationship", func(p *MappingProposal) { p.Relationship = "same-as" }, "relationship"},
		{"confidence", func(p *MappingProposal) { p.Confidence = "sure" }, "confidence"},
		{"rationale too long", func(p *MappingProposal) { p.Rationale = strings.Repeat("x", MaxWorkspaceText+1) }, "rationale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validProposal()
			tt.edit(&p)
			err := p.Normalize()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Normalize: %v", err)
				}
				return
			}
			if Kind(err) != ErrInvalid || FieldOf(err) != tt.field {
				t.Fatalf("Normalize = %v (field %q), want invalid %s", err, FieldOf(err), tt.field)
			}
		})
	}
}

// FuzzMappingProposalNormalize: whatever comes in, an accepted proposal
// has 1 to MaxProposalIDs trimmed IDs a side with no separator in them,
// so it round-trips through the store's semicolon-joined columns.
func FuzzMappingProposalNormalize(f *testing.F) {
	f.Add("uk-psti", "1", "5.1-1;x", "intersects-with", "r")
	f.Add(" ", "", "\n", "equal-to", "")
	f.Fuzz(func(t *testing.T, from, src, tgt, rel, why string) {
		p := validProposal()
		p.From, p.Sources, p.Targets, p.Relationship, p.Rationale = from, strings.Split(src, "|"), strings.Split(tgt, "|"), rel, why
		if p.Normalize() != nil {
			return
		}
		for _, ids := range [][]string{p.Sources, p.Targets} {
			if len(ids) == 0 || len(ids) > MaxProposalIDs {
				t.Fatalf("accepted %d IDs", len(ids))
			}
			joined := strings.Join(ids, ";")
			if got := strings.Split(joined, ";"); len(got) != len(ids) {
				t.Fatalf("IDs %q do not round-trip", ids)
			}
			for _, id := range ids {
				if id == "" || id != strings.TrimSpace(id) {
					t.Fatalf("accepted ID %q", id)
				}
			}
		}
		if p.From == "" || p.From != strings.TrimSpace(p.From) || p.Rationale == "" {
			t.Fatalf("accepted %+v", p)
		}
	})
}
