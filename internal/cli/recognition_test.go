package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestRecognitionCommands walks `iotsec registry recognition` across three
// organisations: KISA (owner of kr-cic) asks IPA (owner of jp-jc-star);
// a third organisation lists nothing and cannot answer; a refusal needs a
// reason; IPA agrees to a second request.
func TestRecognitionCommands(t *testing.T) {
	dir := t.TempDir()
	kek := strings.Repeat("07", 32)
	want := func(code int, args ...string) string {
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
		if got := run(context.Background(), args, e); got != code {
			t.Fatalf("iotsec %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, out.String(), errOut.String())
		}
		return out.String()
	}
	for _, o := range []string{"KISA", "IPA", "Third"} {
		want(0, "admin", "org", "create", o, "--country", "KR")
	}
	want(0, "registry", "operator", "add", "--org", "KISA", "--scheme", "kr-cic")
	want(0, "registry", "operator", "add", "--org", "IPA", "--scheme", "jp-jc-star")
	req := []string{"registry", "recognition", "request", "--org", "KISA", "--from", "kr-cic:standard", "--to", "jp-jc-star:2", "--rationale", "KC standard covers level 2"}
	want(ExitForbidden, append(append([]string{}, req[:4]...), append([]string{"Third"}, req[5:]...)...)...)
	out := want(0, req...)
	if !strings.Contains(out, " submitted: kr-cic:standard as jp-jc-star:2 (deemed-equivalence), KISA to IPA") {
		t.Fatalf("request: %s", out)
	}
	id := strings.Fields(out)[0]
	var list []iotsec.RecognitionRequest
	if err := json.Unmarshal([]byte(want(0, "registry", "recognition", "list", "--org", "Third")), &list); err != nil || len(list) != 0 {
		t.Fatalf("third lists %v, %v", list, err)
	}
	want(ExitNotFound, "registry", "recognition", "agree", id, "--org", "Third")
	want(ExitUsage, "registry", "recognition", "refuse", id, "--org", "IPA")
	if out := want(0, "registry", "recognition", "refuse", id, "--org", "IPA", "--reason", "not yet"); !strings.Contains(out, " refused: ") {
		t.Errorf("refuse: %s", out)
	}
	id2 := strings.Fields(want(0, req...))[0]
	want(ExitForbidden, "registry", "recognition", "agree", id2, "--org", "KISA")
	if out := want(0, "registry", "recognition", "agree", id2, "--org", "IPA"); !strings.Contains(out, " agreed: ") {
		t.Errorf("agree: %s", out)
	}
	if err := json.Unmarshal([]byte(want(0, "registry", "recognition", "list", "--org", "KISA")), &list); err != nil || len(list) != 2 ||
		list[0].Status != iotsec.RecognitionAgreed || len(list[0].Imports) != 2 {
		t.Fatalf("KISA lists %+v, %v", list, err)
	}
}
