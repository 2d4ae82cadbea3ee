package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// TestSurveillanceFromKEVImport is the first path through every
// capability: a scheme owner certifies a camera's firmware; one KEV import
// and the re-match that follows it (as `iotsec vulndb import` runs them)
// put the record under review in the same run, and the public label
// document says so.
func TestSurveillanceFromKEVImport(t *testing.T) {
	for name, st := range apptest.Stores(t, nil) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := config.Default()
			cfg.Data, cfg.CAKey = t.TempDir(), config.Secret(testKEK)
			sv, err := app.NewServices(st, cfg, quietLog(), app.Options{})
			must(t, err)

			maker, csa := iotsec.Organisation{Name: "Acme Cameras", Country: "SG"}, iotsec.Organisation{Name: "CSA", Country: "SG"}
			must(t, st.CreateOrg(ctx, "t", &maker, ""))
			must(t, st.CreateOrg(ctx, "t", &csa, ""))
			a, judge := iotsec.System(maker.ID, "t"), iotsec.System(csa.ID, "t")
			must(t, sv.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: csa.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
			p := iotsec.Product{Name: "Camera", Model: "CAM-1", Class: "camera"}
			must(t, st.CreateProduct(ctx, a, &p))
			fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.4.0", SupportEnd: iotsec.NewDate(2035, 12, 31)}
			must(t, st.CreateFirmware(ctx, a, &fw))
			if _, err := sv.Supply.Import(ctx, "t", filepath.Join("..", "vuln", "testdata", "labelled", "nvd", "CVE-2023-28450.json"), ""); err != nil {
				t.Fatal(err)
			}
			if _, _, err := sv.Supply.ImportSBOM(ctx, a, fw.ID, "fw.cdx.json", []byte(apptest.SBOM)); err != nil {
				t.Fatal(err)
			}
			c, err := sv.Registry.Apply(ctx, a, fw.ID, "sg-cls", "2", "")
			must(t, err)
			c, err = sv.Registry.Grant(ctx, judge, c.ID, registry.GrantInput{Reason: "tested"})
			must(t, err)
			if c.Status != iotsec.StatusCertified {
				t.Fatalf("granted record is %s", c.Status)
			}

			kev := filepath.Join(t.TempDir(), "kev.json")
			must(t, os.WriteFile(kev, []byte(kevFile), 0o600))
			if _, err := sv.Supply.Import(ctx, "t", kev, ""); err != nil {
				t.Fatal(err)
			}
			sum, err := sv.Supply.RematchAll(ctx)
			if err != nil || sum.Failed != 0 {
				t.Fatalf("re-match after the KEV import: %+v, %v", sum, err)
			}
			got, err := sv.Registry.Get(ctx, judge, c.ID)
			must(t, err)
			if got.Status != iotsec.StatusUnderReview || len(got.Reasons) != 1 || !strings.Contains(got.Reasons[0], "CVE-2023-28450") {
				t.Fatalf("after the KEV import the record is %s for %q, want under review for CVE-2023-28450", got.Status, got.Reasons)
			}
			doc, err := sv.Registry.Document(ctx, got.LabelID)
			must(t, err)
			if doc.Status != "under_review" {
				t.Errorf("public label document status %q, want under_review", doc.Status)
			}
			// The firmware's SBOM is on file: the label says so (CTA-2120
			// sbom_hbom_available), and why it is under review.
			b, err := json.Marshal(doc)
			must(t, err)
			if r := registry.VerifyLabel(b, registry.VerifyOptions{}); r.Label == nil || !r.Label.SBOMAvailable || len(r.Reasons) != 1 {
				t.Errorf("label under review: %+v", r)
			}
		})
	}
}

// TestSurveillanceFromEvaluation: a certified CLS level 2 record goes under
// review in the same request when an assessor's evidence makes a mandatory
// provision of that level fail, with the failing provision as its reason;
// the public document and both sides' notifications say so.
func TestSurveillanceFromEvaluation(t *testing.T) {
	for name, st := range apptest.Stores(t, nil) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := config.Default()
			cfg.Data, cfg.CAKey = t.TempDir(), config.Secret(testKEK)
			sv, err := app.NewServices(st, cfg, quietLog(), app.Options{})
			must(t, err)
			maker, csa := iotsec.Organisation{Name: "Acme Cameras", Country: "SG"}, iotsec.Organisation{Name: "CSA", Country: "SG"}
			must(t, st.CreateOrg(ctx, "t", &maker, ""))
			must(t, st.CreateOrg(ctx, "t", &csa, ""))
			a, judge := iotsec.System(maker.ID, "t"), iotsec.System(csa.ID, "t")
			must(t, sv.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: csa.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
			p := iotsec.Product{Name: "Camera", Model: "CAM-1", Class: "camera"}
			must(t, st.CreateProduct(ctx, a, &p))
			fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.4.0", SupportEnd: iotsec.NewDate(2035, 12, 31)}
			must(t, st.CreateFirmware(ctx, a, &fw))
			c, err := sv.Registry.Apply(ctx, a, fw.ID, "sg-cls", "2", "")
			must(t, err)
			c, err = sv.Registry.Grant(ctx, judge, c.ID, registry.GrantInput{Reason: "tested"})
			must(t, err)

			// Evidence that passes changes nothing.
			_, err = sv.Evaluation.RecordEvidence(ctx, a, fw.ID, evaluation.EvidenceInput{Provision: "5.1-1", Verdict: "PASS", Rationale: "unique passwords per device"})
			must(t, err)
			if got, _ := sv.Registry.Get(ctx, judge, c.ID); got.Status != iotsec.StatusCertified {
				t.Fatalf("after passing evidence the record is %s for %q", got.Status, got.Reasons)
			}
			_, err = sv.Evaluation.RecordEvidence(ctx, a, fw.ID, evaluation.EvidenceInput{Provision: "5.1-1", Verdict: "FAIL", Rationale: "a default password admin/admin on every unit"})
			must(t, err)
			got, err := sv.Registry.Get(ctx, judge, c.ID)
			must(t, err)
			if got.Status != iotsec.StatusUnderReview || len(got.Reasons) == 0 || !strings.Contains(strings.Join(got.Reasons, "; "), "of sg-cls now fails") {
				t.Fatalf("after failing evidence the record is %s for %q, want under review for a failing sg-cls provision", got.Status, got.Reasons)
			}
			doc, err := sv.Registry.Document(ctx, got.LabelID)
			must(t, err)
			if doc.Status != "under_review" {
				t.Errorf("public label document status %q, want under_review", doc.Status)
			}
			for _, org := range []string{maker.ID, csa.ID} {
				notes, err := st.ListNotifications(ctx, iotsec.System(org, "t"), false, 10)
				must(t, err)
				if len(notes) == 0 || notes[0].Kind != "label-under-review" || !strings.Contains(notes[0].Body, "after an evaluation") {
					t.Errorf("org %s notifications %+v", org, notes)
				}
			}
			// Running it again (another evidence record) changes nothing.
			_, err = sv.Evaluation.RecordEvidence(ctx, a, fw.ID, evaluation.EvidenceInput{Provision: "5.1-1", TestCase: "5.1-1-2", Verdict: "FAIL", Rationale: "again"})
			if err != nil && !strings.Contains(err.Error(), "test case") {
				t.Fatal(err)
			}
			hist, err := sv.Registry.History(ctx, judge, c.ID)
			must(t, err)
			if n := len(hist); hist[n-1].To != iotsec.StatusUnderReview || hist[n-2].To != iotsec.StatusCertified {
				t.Errorf("history %+v, want one review after the grant", hist)
			}
		})
	}
}
