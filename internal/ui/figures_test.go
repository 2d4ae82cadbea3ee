package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestUIFiguresMatchAPI compares the figures a page shows with the API's
// on the same data: a figure that the UI and the API both show comes from
// one service method, so they cannot disagree.
func TestUIFiguresMatchAPI(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	ctx := context.Background()

	apiJSON := func(path string, into any) {
		t.Helper()
		resp, body := f.JSON("GET", path, f.A.Token, "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d: %s", path, resp.StatusCode, body)
		}
		apptest.Must(t, json.Unmarshal(body, into))
	}
	number := func(page, body string, re *regexp.Regexp) int {
		t.Helper()
		m := re.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s shows no figure matching %s:\n%s", page, re, shorten(body))
		}
		n, err := strconv.Atoi(m[1])
		apptest.Must(t, err)
		return n
	}

	// Suspended devices: the identity page counts them as the overview does.
	d := f.A.Device
	d.State = iotsec.StateSuspended
	apptest.Must(t, f.App.Store.UpdateDevice(ctx, f.A.Actor(), &d))
	var ov iotsec.Overview
	apiJSON("/api/v1/overview", &ov)
	resp, body := b.get("/identity")
	wantStatus(t, "identity", resp, body, 200)
	ui := number("/identity", body, regexp.MustCompile(`href="/devices\?state=suspended"><div class="n">(\d+)</div>`))
	if api := ov.DevicesByState[iotsec.StateSuspended]; ui != api || api != 1 {
		t.Errorf("suspended devices: identity page %d, API overview %d, want 1", ui, api)
	}
	if strings.Contains(body, "on hold (suspended devices)") {
		t.Error("the identity page still calls certificates on hold suspended devices")
	}

	// Support period: the product states none, its one version has an
	// end, so the product page does not say "not stated".
	var sup struct {
		Items []struct {
			ProductID  string      `json:"product_id"`
			SupportEnd iotsec.Date `json:"support_end"`
		} `json:"items"`
	}
	apiJSON("/api/v1/support", &sup)
	var end iotsec.Date
	for _, it := range sup.Items {
		if it.ProductID == f.A.Product.ID {
			if it.SupportEnd.IsZero() {
				t.Fatalf("the fixture's version has no support end in the API")
			}
			end = it.SupportEnd
		}
	}
	resp, body = b.get("/products/" + f.A.Product.ID)
	wantStatus(t, "product", resp, body, 200)
	if strings.Contains(body, "not stated") || !strings.Contains(body, "until "+end.String()) {
		t.Errorf("product page's support period disagrees with the API's support end %s:\n%s", end, shorten(body))
	}

	// The SBOM upload limit: the UI's form, the OpenAPI description and
	// the service state one figure.
	mib := int(f.App.Supply.MaxSBOM >> 20)
	resp, body = b.get("/supply/firmware/" + f.A.Firmware.ID)
	wantStatus(t, "supply firmware", resp, body, 200)
	if ui := number("/supply/firmware", body, regexp.MustCompile(`up to (\d+) MiB`)); ui != mib {
		t.Errorf("SBOM limit: UI %d MiB, service %d MiB", ui, mib)
	}
	resp, doc := f.JSON("GET", "/api/openapi.json", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/openapi.json = %d", resp.StatusCode)
	}
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	apptest.Must(t, json.Unmarshal(doc, &spec))
	var put struct {
		Description string `json:"description"`
	}
	apptest.Must(t, json.Unmarshal(spec.Paths["/api/v1/firmware/{id}/sbom"]["put"], &put))
	desc := put.Description
	if !strings.Contains(desc, fmt.Sprintf("at most %d MiB", mib)) {
		t.Errorf("OpenAPI's SBOM upload says %q, want at most %d MiB", desc, mib)
	}

	// The Jobs page does not promise as future what already runs there.
	resp, body = b.get("/jobs")
	wantStatus(t, "jobs", resp, body, 200)
	if strings.Contains(body, "later") || !strings.Contains(body, "firmware scans") {
		t.Errorf("the Jobs page's lead is out of date")
	}
}
