package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func TestRegistryCommands(t *testing.T) {
	dir := t.TempDir()
	kek := strings.Repeat("07", 32)
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		var out, errOut bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string {
			switch k {
			case "IOTSEC_DATA":
				return dir
			case "IOTSEC_CA_KEY":
				return kek
			}
			return ""
		}}
		code := run(context.Background(), args, e)
		return out.String(), errOut.String(), code
	}
	want := func(code int, args ...string) string {
		t.Helper()
		out, errOut, got := cli(args...)
		if got != code {
			t.Fatalf("iotsec %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, out, errOut)
		}
		return out
	}
	want(0, "admin", "org", "create", "Acme", "--country", "SG")
	want(0, "admin", "org", "create", "CSA", "--country", "SG")

	cfg := config.Default()
	cfg.Data = dir
	s, err := app.OpenDatabase(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := s.ListOrgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var acme string
	for _, o := range orgs {
		if o.Name == "Acme" {
			acme = o.ID
		}
	}
	a := iotsec.System(acme, "t")
	p := iotsec.Product{Name: "Cam", Model: "CAM-1"}
	if err := s.CreateProduct(context.Background(), a, &p); err != nil {
		t.Fatal(err)
	}
	fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.4.0", SupportEnd: iotsec.NewDate(2035, 12, 31)}
	if err := s.CreateFirmware(context.Background(), a, &fw); err != nil {
		t.Fatal(err)
	}
	s.Close()

	want(0, "registry", "operator", "add", "--org", "CSA", "--scheme", "sg-cls")
	want(ExitConflict, "registry", "operator", "add", "--org", "Acme", "--scheme", "sg-cls")
	id := strings.Fields(want(0, "registry", "apply", "--org", "Acme", "--firmware", fw.ID, "--scheme", "sg-cls", "--level", "2"))[0]
	want(ExitForbidden, "registry", "grant", id, "--org", "Acme")
	if out := want(0, "registry", "grant", id, "--org", "CSA"); !strings.Contains(out, " certified: sg-cls 2 ") {
		t.Errorf("grant: %s", out)
	}
	var list []iotsec.Certification
	if err := json.Unmarshal([]byte(want(0, "registry", "list", "--org", "CSA", "--as-authority")), &list); err != nil || len(list) != 1 {
		t.Fatalf("list: %v %+v", err, list)
	}
	doc := filepath.Join(dir, "LABEL.json")
	want(0, "label", "show", list[0].LabelID, "--out", doc)
	want(0, "label", "verify", doc, "-o", "json")
	for _, q := range []struct{ file, magic string }{{"label.png", "\x89PNG"}, {"label.svg", "<svg"}} {
		args := []string{"label", "qr", list[0].LabelID, "--out", filepath.Join(dir, q.file)}
		if strings.HasSuffix(q.file, ".svg") {
			args = append(args, "--svg")
		}
		if out := want(0, args...); !strings.Contains(out, "/l/"+list[0].LabelID) {
			t.Errorf("label qr: %s", out)
		}
		if b, err := os.ReadFile(filepath.Join(dir, q.file)); err != nil || !strings.Contains(string(b[:min(len(b), 200)]), q.magic) {
			t.Errorf("label qr --out %s: %v, starts %q", q.file, err, b[:min(len(b), 20)])
		}
	}
	want(ExitNotFound, "label", "qr", "no-such-label", "--out", filepath.Join(dir, "x.png"))
	cp := want(0, "log", "checkpoint")
	if !strings.HasPrefix(cp, "localhost:8080/registry\n1\n") {
		t.Errorf("checkpoint:\n%s", cp)
	}
	if out := want(0, "log", "proof", "--index", "0"); !strings.Contains(out, `"tree_size": 1`) {
		t.Errorf("proof: %s", out)
	}
	// The maker issues the signed bundle of its certified record, and it
	// verifies offline; another organisation cannot.
	bundle := filepath.Join(dir, "BUNDLE.json")
	if out := want(0, "label", "issue", id, "--org", "Acme", "-o", bundle); !strings.Contains(out, "(certified)") {
		t.Errorf("label issue: %s", out)
	}
	if out := want(0, "label", "verify", bundle, "-o", "json"); !strings.Contains(out, `"valid": true`) {
		t.Errorf("issued bundle: %s", out)
	}
	want(0, "admin", "org", "create", "Other", "--country", "SG")
	want(ExitNotFound, "label", "issue", id, "--org", "Other", "-o", bundle)
	want(0, "registry", "review", id, "--org", "CSA", "--reason", "KEV matched")
	want(ExitConflict, "label", "issue", id, "--org", "Acme", "-o", bundle)
	want(0, "label", "show", list[0].LabelID, "--out", doc)
	if out := want(ExitFailed, "label", "verify", doc, "-o", "json"); !strings.Contains(out, `"status": "under_review"`) || !strings.Contains(out, `"reason": "KEV matched"`) {
		t.Errorf("label under review: %s", out)
	}
	if out := want(ExitFailed, "label", "verify", doc, "-o", "text"); !strings.Contains(out, "why: KEV matched") {
		t.Errorf("label under review (text): %s", out)
	}
	want(0, "registry", "clear", id, "--org", "CSA", "--reason", "patched")
	if out := want(0, "log", "proof", "--old", "1", "--size", "3"); !strings.Contains(out, `"old_size": 1`) {
		t.Errorf("consistency: %s", out)
	}
	want(0, "registry", "revoke", id, "--org", "CSA", "--reason", "breach")
	want(0, "label", "show", list[0].LabelID, "--out", doc)
	if out := want(ExitFailed, "label", "verify", doc, "-o", "json"); !strings.Contains(out, `"status": "revoked"`) {
		t.Errorf("revoked label: %s", out)
	}
	var shown struct {
		History []iotsec.CertificationEvent `json:"history"`
	}
	if err := json.Unmarshal([]byte(want(0, "registry", "show", id, "--org", "Acme")), &shown); err != nil || len(shown.History) != 5 {
		t.Errorf("show: %v %d events", err, len(shown.History))
	}
}
