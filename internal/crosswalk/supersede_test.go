package crosswalk

import (
	"errors"
	"strings"
	"testing"
)

// changeSet is an imported set that changes PSTI requirement 1's map onto
// EN 303 645 5.1-1 and 5.1-2, written from either side.
func changeSet(id, from, to string, sources, targets []string, rel string, supersedes bool) MappingSet {
	return MappingSet{ID: id, From: from, To: to, Provenance: ProvenanceExpert, Confidence: Medium, Imported: true, Supersedes: supersedes,
		Citation: Ref{Title: "workspace W", URL: "https://iotsec.example/workspaces/w"},
		Maps:     []Map{{Sources: sources, Targets: targets, Relationship: rel, Rationale: "reviewed", Confidence: Medium}}}
}

// TestSupersede: a superseding map replaces the catalog's map over the same
// provisions (whichever side it is written from), so compare follows the
// new relationship; a set that does not supersede sits beside the old map
// and leaves full coverage full; the last of two superseding sets wins; a
// superseding map that matches nothing is refused; the catalog it was
// added to keeps its answers.
func TestSupersede(t *testing.T) {
	base := mustLoad(t)
	psti, en := []string{"1"}, []string{"5.1-1", "5.1-2"}
	cases := []struct {
		name string
		sets []MappingSet
		want string // coverage of PSTI 1 by EN 303 645
	}{
		{"beside", []MappingSet{changeSet("a", "uk-psti", "etsi-en-303-645", psti, en, IntersectsWith, false)}, CoverFull},
		{"supersedes", []MappingSet{changeSet("a", "uk-psti", "etsi-en-303-645", psti, en, IntersectsWith, true)}, CoverPartial},
		{"targets in another order", []MappingSet{changeSet("a", "uk-psti", "etsi-en-303-645", psti, []string{"5.1-2", "5.1-1"}, IntersectsWith, true)}, CoverPartial},
		{"written from the other side", []MappingSet{changeSet("a", "etsi-en-303-645", "uk-psti", en, psti, IntersectsWith, true)}, CoverPartial},
		{"no relationship", []MappingSet{changeSet("a", "uk-psti", "etsi-en-303-645", psti, en, NoRelationship, true)}, CoverNone},
		{"the later of two wins", []MappingSet{
			changeSet("a", "uk-psti", "etsi-en-303-645", psti, en, IntersectsWith, true),
			changeSet("b", "uk-psti", "etsi-en-303-645", psti, en, SubsetOf, true)}, CoverFull},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := base.With(nil, tc.sets, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Compare(ParseRef("uk-psti"), ParseRef("etsi-en-303-645"))
			if err != nil {
				t.Fatal(err)
			}
			got := coverages(res)
			if got["1"] != tc.want {
				t.Errorf("PSTI 1 = %s, want %s", got["1"], tc.want)
			}
			for _, id := range []string{"2", "3"} {
				if got[id] != CoverFull {
					t.Errorf("PSTI %s = %s, want full (its map is not changed)", id, got[id])
				}
			}
			mapped, err := c.Mapped("uk-psti", "1")
			if err != nil {
				t.Fatal(err)
			}
			last := tc.sets[len(tc.sets)-1]
			for _, m := range mapped {
				if m.Scheme == "etsi-en-303-645" && last.Supersedes && m.MappingSet != last.ID {
					t.Errorf("provision page still shows the replaced map of %s", m.MappingSet)
				}
			}
		})
	}
	res, err := base.Compare(ParseRef("uk-psti"), ParseRef("etsi-en-303-645"))
	if err != nil {
		t.Fatal(err)
	}
	if coverages(res)["1"] != CoverFull {
		t.Error("the catalog a superseding set was added to changed its answer")
	}

	// A superseding map over provisions no map joins is refused.
	_, err = base.With(nil, []MappingSet{changeSet("a", "uk-psti", "etsi-en-303-645", psti, []string{"5.1-1"}, IntersectsWith, true)}, nil)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || !strings.Contains(ve.Problems[0], "replaces no map") {
		t.Fatalf("superseding an unknown map: %v, want one problem saying it replaces no map", err)
	}
}
