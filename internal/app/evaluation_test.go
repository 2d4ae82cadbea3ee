package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/storetest"
)

// call sends a request and returns the response with its body read.
func call(t testing.TB, method, url, token, ct string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, b
}

// firmwareID returns the one firmware version seed made.
func firmwareID(t testing.TB, a *app.App, actor iotsec.Actor) string {
	fws, err := a.Store.ListFirmware(context.Background(), actor, "")
	if err != nil || len(fws) != 1 {
		t.Fatalf("ListFirmware = %v, %v", fws, err)
	}
	return fws[0].ID
}

// TestScanEndToEnd uploads the router image through the API, lets a worker
// scan it, and reads the findings, components and verdicts back through
// the API, each response checked against the OpenAPI document. Then an
// assessor records evidence and the verdicts move.
func TestScanEndToEnd(t *testing.T) {
	v := openAPIValidator(t)
	for name, cfgFor := range databases(t) {
		t.Run(name, func(t *testing.T) {
			cfg := cfgFor(t)
			cfg.Workers = 1
			a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			actor, token := seed(t, a)
			url, _ := serve(t, a)
			fw := firmwareID(t, a, actor)
			check := func(method, path, ct string, body []byte, want int) []byte {
				t.Helper()
				resp, got := call(t, method, url+path, token, ct, body)
				if resp.StatusCode != want {
					t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, got, want)
				}
				req, _ := http.NewRequest(method, url+path, nil)
				req.Header.Set("Content-Type", ct)
				if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
					for _, e := range verrs {
						t.Errorf("%s %s: response does not match openapi.json: %s: %s %v", method, path, e.Message, e.Reason, e.SchemaValidationErrors)
					}
				}
				return got
			}

			// Before any image: "no image uploaded", not a page of
			// "incomplete", in the verdicts and in every report format.
			var none struct {
				Scanned    bool
				Verdicts   map[string]any
				Provisions []any
				NoVerdicts string `json:"no_verdicts"`
			}
			json.Unmarshal(check("GET", "/api/v1/firmware/"+fw+"/verdicts", "", nil, 200), &none)
			if none.Scanned || len(none.Verdicts) != 0 || len(none.Provisions) != 0 || !strings.HasPrefix(none.NoVerdicts, "No image uploaded") {
				t.Errorf("verdicts without an image: scanned %v, %d schemes, %d provisions, no_image %q", none.Scanned, len(none.Verdicts), len(none.Provisions), none.NoVerdicts)
			}
			for _, format := range []string{"json", "sarif", "html"} {
				body := check("GET", "/api/v1/firmware/"+fw+"/report?format="+format, "", nil, 200)
				if !bytes.Contains(body, []byte("No image uploaded")) || bytes.Contains(body, []byte("incomplete")) {
					t.Errorf("%s report without an image does not say so, or has incomplete verdicts:\n%.600s", format, body)
				}
			}

			img := firmwaretest.Router()
			sum := sha256.Sum256(img)
			var job iotsec.Job
			json.Unmarshal(check("POST", "/api/v1/firmware/"+fw+"/image?name=router.bin", "application/octet-stream", img, 202), &job)
			if job.Kind != "firmware-scan" {
				t.Fatalf("upload job = %+v", job)
			}
			j := waitJob(t, url, token, job.ID, func(j iotsec.Job) bool { return j.State.Done() })
			if j.State != iotsec.JobSucceeded || j.Done != j.Total {
				t.Fatalf("scan job = %+v", j)
			}
			var fwv iotsec.FirmwareVersion
			json.Unmarshal(check("GET", "/api/v1/firmware/"+fw, "", nil, 200), &fwv)
			if fwv.ImageDigest != "sha256:"+hex.EncodeToString(sum[:]) {
				t.Errorf("image digest = %q, want the upload's sha256", fwv.ImageDigest)
			}
			var sc iotsec.Scan
			json.Unmarshal(check("GET", "/api/v1/firmware/"+fw+"/scan", "", nil, 200), &sc)
			if sc.State != iotsec.ScanSucceeded || sc.Findings < 10 || sc.Components < 5 || sc.Image.Name != "router.bin" {
				t.Errorf("scan = %+v", sc)
			}
			var findings api.List[iotsec.Finding]
			json.Unmarshal(check("GET", "/api/v1/firmware/"+fw+"/findings", "", nil, 200), &findings)
			rules := map[string]bool{}
			for _, f := range findings.Items {
				rules[f.Rule] = true
			}
			for _, r := range []string{"credentials.default-password", "surface.telnet", "crypto.short-private-key", "binary.no-canary"} {
				if !rules[r] {
					t.Errorf("findings lack %s", r)
				}
			}
			var comps api.List[iotsec.Component]
			json.Unmarshal(check("GET", "/api/v1/firmware/"+fw+"/components", "", nil, 200), &comps)
			if len(comps.Items) < 5 || comps.Items[0].CPE == "" {
				t.Errorf("components = %+v", comps.Items)
			}
			var vs struct {
				Scanned  bool
				Verdicts map[string]struct {
					Status, Summary string
				}
				NoVerdicts string `json:"no_verdicts"`
			}
			json.Unmarshal(check("GET", "/api/v1/firmware/"+fw+"/verdicts", "", nil, 200), &vs)
			if !vs.Scanned || len(vs.Verdicts) != 24 || vs.NoVerdicts != "" || vs.Verdicts["sg-cls"].Status != "not-met" ||
				!strings.Contains(vs.Verdicts["sg-cls"].Summary, "5.1-1 FAIL") {
				t.Errorf("verdicts: scanned %v, %d schemes, CLS %+v", vs.Scanned, len(vs.Verdicts), vs.Verdicts["sg-cls"])
			}
			check("GET", "/api/v1/scans", "", nil, 200)
			sarif := check("GET", "/api/v1/firmware/"+fw+"/report?format=sarif", "", nil, 200)
			if !bytes.Contains(sarif, []byte(`"credentials.default-password"`)) {
				t.Error("SARIF report lacks the default password")
			}
			resp, html := call(t, "GET", url+"/api/v1/firmware/"+fw+"/report?format=html", token, "", nil)
			if resp.StatusCode != 200 || !bytes.Contains(html, []byte("<svg")) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "style-src 'sha256-") {
				t.Errorf("HTML report = %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
			}

			// A maker may not assess; an assessor may.
			ev := []byte(`{"provision":"5.1-3","verdict":"pass","rationale":"passwords are hashed with yescrypt in the shipped build"}`)
			check("POST", "/api/v1/firmware/"+fw+"/evidence", "application/json", ev, 403)
			secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
			if err := a.Store.CreateToken(context.Background(), actor, &iotsec.Token{Name: "lab", Role: iotsec.RoleAssessor, Hash: hash}); err != nil {
				t.Fatal(err)
			}
			maker := token
			token = secret
			check("POST", "/api/v1/firmware/"+fw+"/evidence", "application/json", []byte(`{"provision":"5.2-1","verdict":"PASS","rationale":"security.txt and a disclosure policy are published"}`), 201)
			check("POST", "/api/v1/firmware/"+fw+"/evidence", "application/json", []byte(`{"provision":"5.1-1","verdict":"PASS","rationale":"looks fine"}`), 201)
			check("POST", "/api/v1/firmware/"+fw+"/evidence", "application/json", []byte(`{"provision":"9.9","verdict":"PASS","rationale":"x"}`), 400)
			check("PUT", "/api/v1/firmware/"+fw+"/ics", "text/csv", []byte("provision,support,detail\n5.3-13,N/A,no updates are offered\n"), 200)
			check("PUT", "/api/v1/firmware/"+fw+"/ixit", "application/json", []byte(`[{"category":"1-AuthMech","text":"root password set at the factory"}]`), 200)
			check("GET", "/api/v1/firmware/"+fw+"/ics", "", nil, 200)
			check("GET", "/api/v1/firmware/"+fw+"/evidence", "", nil, 200)
			var after struct {
				Provisions []struct{ Provision, Verdict, Source string }
				Verdicts   map[string]struct {
					Status     string
					Provisions []struct{ ID, Verdict string }
				}
			}
			json.Unmarshal(check("GET", "/api/v1/firmware/"+fw+"/verdicts?scheme=uk-psti,etsi-en-303-645", "", nil, 200), &after)
			by := map[string]string{}
			for _, p := range after.Provisions {
				by[p.Provision] = p.Verdict + " " + p.Source
			}
			// The assessor's PASS on 5.1-1 does not beat the default
			// password; 5.2-1 passes on evidence; 5.3-13 does not apply by
			// the ICS.
			for id, want := range map[string]string{"5.1-1": "FAIL automated", "5.2-1": "PASS assessor", "5.3-13": "NOT-APPLICABLE ics"} {
				if by[id] != want {
					t.Errorf("%s = %q, want %q", id, by[id], want)
				}
			}
			if len(after.Verdicts) != 2 || after.Verdicts["uk-psti"].Provisions[1].Verdict != "PASS" {
				t.Errorf("PSTI after evidence = %+v", after.Verdicts["uk-psti"])
			}
			token = maker
			check("GET", "/api/v1/firmware/"+fw+"/verdicts?scheme=nope", "", nil, 400)
		})
	}
}

// BenchmarkAPIScan is the server path end to end: upload an image to a
// firmware version through the API and poll the scan job until it has
// succeeded. Images: the router image (77 KB) and, with mksquashfs, a
// 64 MiB generated tree packed as xz squashfs.
func BenchmarkAPIScan(b *testing.B) {
	images := map[string][]byte{"router-77KB": firmwaretest.Router()}
	if _, err := exec.LookPath("mksquashfs"); err == nil {
		// A 64 MiB tree packed as xz squashfs: about 33 MiB.
		sq, err := os.ReadFile(firmwaretest.Squashfs(b, b.TempDir(), firmwaretest.Tree(1, 64<<20), "xz"))
		if err != nil {
			b.Fatal(err)
		}
		images["squashfs-xz-64MiB-tree"] = sq
	} else {
		b.Log("mksquashfs not installed (Debian package squashfs-tools): only the router image")
	}
	for _, db := range []string{"sqlite", "postgres"} {
		for _, name := range []string{"router-77KB", "squashfs-xz-64MiB-tree"} {
			img, ok := images[name]
			if !ok {
				continue
			}
			b.Run(db+"/"+name, func(b *testing.B) {
				cfg := config.Default()
				cfg.Workers = 1
				if db == "sqlite" {
					cfg.Data = b.TempDir()
				} else {
					cfg.Database = storetest.PostgresDSN(b)
				}
				a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { a.Close() })
				actor, token := seed(b, a)
				url, _ := serve(b, a)
				fw := firmwareID(b, a, actor)
				b.SetBytes(int64(len(img)))
				b.ResetTimer()
				for i := range b.N {
					resp, body := call(b, "POST", url+"/api/v1/firmware/"+fw+"/image?name=img.bin", token, "application/octet-stream", img)
					if resp.StatusCode != 202 {
						b.Fatalf("upload = %d %s", resp.StatusCode, body)
					}
					var job iotsec.Job
					json.Unmarshal(body, &job)
					for {
						j := getJob(b, url, token, job.ID)
						if j.State == iotsec.JobSucceeded {
							break
						}
						if j.State == iotsec.JobFailed {
							b.Fatalf("round %d: scan failed: %s", i, j.Error)
						}
						time.Sleep(5 * time.Millisecond)
					}
				}
			})
		}
	}
}
