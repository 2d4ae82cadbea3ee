package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// labelFixture grants a label on a real store and writes its document,
// the registry's JWKS, the checkpoint it was proved against and a later
// one, and another authority's JWKS.
func labelFixture(t *testing.T, dir string) map[string]string {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) }
	var s iotsec.Store = apptest.Stores(t, now)["sqlite"]
	svc := registry.New(s, bytes.Repeat([]byte{7}, 32), "https://registry.example", nil)
	svc.Now = now
	// The rule internal/app takes from the catalog's sg-cls data.
	svc.Rules = func(string) (registry.ValidityRule, bool) {
		return registry.ValidityRule{Months: 36, RenewalWindowDays: 90, Source: "test"}, true
	}
	org := func(name string) iotsec.Actor {
		o := iotsec.Organisation{Name: name, Country: "SG"}
		if err := s.CreateOrg(ctx, "t", &o, ""); err != nil {
			t.Fatal(err)
		}
		return iotsec.System(o.ID, "t")
	}
	maker, csa, other := org("Acme Cameras"), org("CSA"), org("Other")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(svc.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: csa.OrgID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
	must(svc.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: other.OrgID, Scheme: "de-it-sik", Role: iotsec.OperatorOwner}))
	p := iotsec.Product{Name: "Cam", Model: "CAM-1"}
	must(s.CreateProduct(ctx, maker, &p))
	fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.4.0", SupportEnd: iotsec.NewDate(2035, 12, 31)}
	must(s.CreateFirmware(ctx, maker, &fw))
	c, err := svc.Apply(ctx, maker, fw.ID, "sg-cls", "2", "")
	must(err)
	c, err = svc.Grant(ctx, csa, c.ID, registry.GrantInput{})
	must(err)
	doc, err := svc.Document(ctx, c.LabelID)
	must(err)
	held, err := svc.Checkpoint(ctx)
	must(err)

	c2, err := svc.Apply(ctx, maker, fw.ID, "de-it-sik", "", "")
	must(err)
	_, err = svc.Grant(ctx, other, c2.ID, registry.GrantInput{})
	must(err)
	later, err := svc.Checkpoint(ctx)
	must(err)
	otherJWKS, err := svc.JWKS(ctx, other.OrgID)
	must(err)

	files := map[string][]byte{"held.txt": []byte(held.Text), "later.txt": []byte(later.Text), "other-jwks.json": otherJWKS, "jwks.json": doc.JWKS}
	files["label.json"], _ = json.Marshal(doc)
	bad := doc
	b := []byte(bad.Label)
	i := strings.IndexByte(bad.Label, '.') + 20
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	bad.Label = string(b)
	files["tampered.json"], _ = json.Marshal(bad)
	revoked := doc
	revoked.Status = "revoked"
	files["revoked.json"], _ = json.Marshal(revoked)
	files["garbage.json"] = []byte(`{"label": 1}`)
	out := map[string]string{}
	for name, data := range files {
		path := filepath.Join(dir, name)
		must(os.WriteFile(path, data, 0o600))
		out[name] = path
	}
	return out
}

func TestLabelVerify(t *testing.T) {
	dir := t.TempDir()
	f := labelFixture(t, dir)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := os.ReadFile(f["jwks.json"])
		w.Write(b)
	}))
	defer srv.Close()
	for _, tt := range []struct {
		name  string
		args  []string
		code  int
		valid bool
		codes []string
	}{
		{"valid", []string{f["label.json"]}, ExitOK, true, nil},
		{"valid at a date", []string{f["label.json"], "--at", "2027-06-01"}, ExitOK, true, nil},
		{"expired", []string{f["label.json"], "--at", "2029-03-01"}, ExitFailed, false, []string{"label.expired"}},
		{"jwks file", []string{f["label.json"], "--jwks", f["jwks.json"]}, ExitOK, true, nil},
		{"jwks URL", []string{f["label.json"], "--jwks", srv.URL}, ExitOK, true, nil},
		{"another authority's jwks", []string{f["label.json"], "--jwks", f["other-jwks.json"]}, ExitFailed, false, []string{"label.unknown-key"}},
		{"one changed byte", []string{f["tampered.json"]}, ExitFailed, false, []string{"label.signature"}},
		{"revoked now", []string{f["revoked.json"]}, ExitFailed, false, []string{"label.status"}},
		{"held checkpoint", []string{f["label.json"], "--checkpoint", f["held.txt"]}, ExitOK, true, nil},
		{"later checkpoint", []string{f["label.json"], "--checkpoint", f["later.txt"]}, ExitFailed, false, []string{"log.consistency-needed"}},
		{"not a document", []string{f["garbage.json"]}, ExitFailed, false, []string{"label.document"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, dir, append([]string{"label", "verify", "-o", "json"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			var v struct {
				Valid    bool   `json:"valid"`
				Status   string `json:"status"`
				Problems []struct {
					Code, Detail string
				} `json:"problems"`
			}
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			got := []string{}
			for _, p := range v.Problems {
				got = append(got, p.Code)
			}
			if v.Valid != tt.valid || strings.Join(got, " ") != strings.Join(tt.codes, " ") && !(tt.codes == nil && len(got) == 0) {
				t.Errorf("valid %v, problems %v; want %v, %v\n%s", v.Valid, got, tt.valid, tt.codes, out)
			}
		})
	}
	out, _, code := runCLI(t, dir, "label", "verify", "-o", "text", f["label.json"])
	if code != ExitOK || !strings.HasPrefix(out, "VALID (status: certified)\n") || !strings.Contains(out, "firmware 1.4.0 by Acme Cameras: sg-cls level 2") {
		t.Errorf("text output (exit %d):\n%s", code, out)
	}
	_, _, code = runCLI(t, dir, "label", "verify", filepath.Join(dir, "none.json"))
	if code != ExitUsage {
		t.Errorf("a missing file: exit %d, want %d", code, ExitUsage)
	}
}
