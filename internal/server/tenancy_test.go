package server_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestTenancyEveryRoute walks every API route with organisation A's token
// aimed at organisation B's things, and proves A can neither read nor
// change them: addressed things are 404 (never 403, so existence does not
// leak), lists hold none of B's things, and B's data is unchanged after.
// A route added to the API without a case here fails the test.
func TestTenancyEveryRoute(t *testing.T) {
	f := apptest.New(t)
	f.SupplyRecords(&f.A)
	f.SupplyRecords(&f.B)
	f.RegistryRecords(&f.A)
	f.RegistryRecords(&f.B)
	a, b := f.A, f.B
	// B's proposal to the policy dataset, stored as the service would
	// (the service also requires a government organisation).
	bProposal := iotsec.PolicyProposal{Jurisdiction: "NL", Action: iotsec.PolicyWithdraw, EntryID: "nl-msa-red", Rationale: "B's proposal"}
	apptest.Must(t, f.App.Store.CreatePolicyProposal(context.Background(), b.Actor(), &bProposal))
	// B's workspace (A is no member) and a proposal in it, stored as the
	// service would (the service also checks it against B's catalog).
	bWS := iotsec.Workspace{Name: "B's SIG", Focus: "B's focus"}
	apptest.Must(t, f.App.Store.CreateWorkspace(context.Background(), b.Actor(), &bWS))
	bMP := iotsec.MappingProposal{WorkspaceID: bWS.ID, Kind: iotsec.ProposalNew, From: "uk-psti", To: "etsi-en-303-645", Sources: []string{"1"},
		Targets: []string{"5.1-1"}, Relationship: "intersects-with", Confidence: "low", Rationale: "B's rationale"}
	apptest.Must(t, f.App.Store.CreateMappingProposal(context.Background(), b.Actor(), &bMP))
	bInv, err := f.App.Auth.Invite(context.Background(), b.Actor(), "carol@b.example", iotsec.RoleViewer)
	apptest.Must(t, err)
	bPolicy := iotsec.ProcurementPolicy{Name: "B's policy", NoKEV: true}
	apptest.Must(t, f.App.Store.CreateProcurementPolicy(context.Background(), b.Actor(), &bPolicy))
	// B's recognition request to a third organisation C (the owner of
	// jp-jc-star), stored as the service would (the service also checks
	// it against B's catalog): A is a party to neither side.
	cOrg := iotsec.Organisation{Name: "Org C", Kind: iotsec.OrgGovernment, Country: "JP"}
	apptest.Must(t, f.App.Store.CreateOrg(context.Background(), "test", &cOrg, ""))
	apptest.Must(t, f.App.Registry.AddOperator(context.Background(), "system:test", &iotsec.SchemeOperator{OrgID: cOrg.ID, Scheme: "jp-jc-star", Role: iotsec.OperatorOwner}))
	bRR := iotsec.RecognitionRequest{FromScheme: b.Scheme, ToScheme: "jp-jc-star", ToLevel: "1", Rationale: "B's recognition rationale"}
	apptest.Must(t, f.App.Store.CreateRecognitionRequest(context.Background(), b.Actor(), &bRR))
	before := snapshot(f, b)

	// What each path parameter of each route is set to: one of B's things.
	ids := map[string]string{
		"/api/v1/products/{id}":                      b.Product.ID,
		"/api/v1/products/{id}/firmware":             b.Product.ID,
		"/api/v1/firmware/{id}":                      b.Firmware.ID,
		"/api/v1/devices/{id}":                       b.Device.ID,
		"/api/v1/jobs/{id}":                          b.Job.ID,
		"/api/v1/tokens/{id}":                        b.TokenID,
		"/api/v1/members/{user_id}":                  b.Owner.ID,
		"/api/v1/invitations/{id}":                   bInv.ID,
		"/api/v1/schemes/imports/{id}":               b.Import,
		"/api/v1/schemes/{slug}":                     b.Scheme,
		"/api/v1/identity/devices/{id}/certificates": b.Device.ID,
		"/api/v1/identity/roots/{id}":                b.AnchorID,
		"/api/v1/identity/roots/{id}/crl":            b.AnchorID,
		"/api/v1/identity/devices/{id}":              b.Device.ID,
		"/api/v1/identity/devices/{id}/idevid":       b.Device.ID,
		"/api/v1/identity/devices/{id}/tokens":       b.Device.ID,
		"/api/v1/identity/devices/{id}/transitions":  b.Device.ID,
		"/api/v1/identity/devices/{id}/transfer":     b.Device.ID,
		"/api/v1/identity/certificates/{id}":         b.CertID,
		"/api/v1/identity/certificates/{id}/revoke":  b.CertID,
		"/api/v1/procurement/policies/{id}":          bPolicy.ID,
		// Routes with two parameters take a whole path.
		"/api/v1/schemes/{slug}/provisions/{id}": "/api/v1/schemes/" + b.Scheme + "/provisions/1",
		"/api/v1/firmware/{id}/image":            b.Firmware.ID,
		"/api/v1/firmware/{id}/scan":             b.Firmware.ID,
		"/api/v1/firmware/{id}/findings":         b.Firmware.ID,
		"/api/v1/firmware/{id}/components":       b.Firmware.ID,
		"/api/v1/firmware/{id}/verdicts":         b.Firmware.ID,
		"/api/v1/firmware/{id}/evidence":         b.Firmware.ID,
		"/api/v1/firmware/{id}/ics":              b.Firmware.ID,
		"/api/v1/firmware/{id}/ixit":             b.Firmware.ID,
		"/api/v1/firmware/{id}/report":           b.Firmware.ID,
		"/api/v1/firmware/{id}/sbom":             b.Firmware.ID,
		"/api/v1/firmware/{id}/vulnerabilities":  b.Firmware.ID,
		"/api/v1/firmware/{id}/rematch":          b.Firmware.ID,
		"/api/v1/firmware/{id}/vex":              b.Firmware.ID,
		"/api/v1/firmware/{id}/vex/export":       b.Firmware.ID,
		"/api/v1/products/{id}/vulnerabilities":  b.Product.ID,
		"/api/v1/products/{id}/csaf":             b.Product.ID,
		"/api/v1/cra-reports/{id}":               b.CRA,
		// Vulnerability data is shared and none is loaded here, so this is
		// 404 for everyone; internal/app's supply test checks that B's
		// matches stay out of A's answer.
		"/api/v1/vulnerabilities/{id}": "CVE-2023-28450",
		// The registry: B's record, which B made and granted itself, so
		// A is a third party to it.
		"/api/v1/registry/{id}":          b.Certification,
		"/api/v1/registry/{id}/history":  b.Certification,
		"/api/v1/registry/{id}/label":    b.Certification,
		"/api/v1/registry/{id}/grant":    b.Certification,
		"/api/v1/registry/{id}/suspend":  b.Certification,
		"/api/v1/registry/{id}/revoke":   b.Certification,
		"/api/v1/registry/{id}/review":   b.Certification,
		"/api/v1/registry/{id}/clear":    b.Certification,
		"/api/v1/registry/{id}/withdraw": b.Certification,
		"/api/v1/registry/{id}/renewal":  b.Certification,
		"/api/v1/labels/{id}":            b.LabelID,
		// Countries are public data, no organisation's: an unknown code is 404.
		"/api/v1/policy/countries/{code}":       "/api/v1/policy/countries/ZZ",
		"/api/v1/policy/countries/{code}/brief": "/api/v1/policy/countries/ZZ/brief",
		"/api/v1/policy/proposals/{id}":         bProposal.ID,
		"/api/v1/policy/proposals/{id}/review":  bProposal.ID,
		// B's workspace: A is no member, so everything of it is 404.
		"/api/v1/workspaces/{id}":                               bWS.ID,
		"/api/v1/workspaces/{id}/invitations":                   bWS.ID,
		"/api/v1/workspaces/{id}/accept":                        bWS.ID,
		"/api/v1/workspaces/{id}/proposals":                     bWS.ID,
		"/api/v1/workspaces/{id}/reports":                       bWS.ID,
		"/api/v1/workspaces/{id}/proposals/{proposal}":          "/api/v1/workspaces/" + bWS.ID + "/proposals/" + bMP.ID,
		"/api/v1/workspaces/{id}/proposals/{proposal}/comments": "/api/v1/workspaces/" + bWS.ID + "/proposals/" + bMP.ID + "/comments",
		"/api/v1/workspaces/{id}/proposals/{proposal}/approve":  "/api/v1/workspaces/" + bWS.ID + "/proposals/" + bMP.ID + "/approve",
		"/api/v1/workspaces/{id}/proposals/{proposal}/merge":    "/api/v1/workspaces/" + bWS.ID + "/proposals/" + bMP.ID + "/merge",
		"/api/v1/workspaces/{id}/proposals/{proposal}/withdraw": "/api/v1/workspaces/" + bWS.ID + "/proposals/" + bMP.ID + "/withdraw",
		"/api/v1/workspaces/{id}/proposals/{proposal}/reject":   "/api/v1/workspaces/" + bWS.ID + "/proposals/" + bMP.ID + "/reject",
		"/api/v1/workspaces/{id}/members/{org}":                 "/api/v1/workspaces/" + bWS.ID + "/members/" + b.Org.ID,
		"/api/v1/workspaces/{id}/leave":                         bWS.ID,
		// B's recognition request to C: A is neither party, so 404.
		"/api/v1/recognitions/{id}":          bRR.ID,
		"/api/v1/recognitions/{id}/agree":    bRR.ID,
		"/api/v1/recognitions/{id}/refuse":   bRR.ID,
		"/api/v1/recognitions/{id}/withdraw": bRR.ID,
	}
	// Bodies for writes, each aimed at B where a body can aim.
	bodies := map[string]string{
		"POST /api/v1/products":               `{"name":"A's","model_number":"CAM-B"}`,
		"PATCH /api/v1/products/{id}":         `{"name":"pwned"}`,
		"POST /api/v1/products/{id}/firmware": `{"version":"6.6.6"}`,
		"PATCH /api/v1/firmware/{id}":         `{"version":"6.6.6"}`,
		"POST /api/v1/devices":                `{"uid":"SN-CAM-B","product_id":"` + b.Product.ID + `"}`,
		"PATCH /api/v1/devices/{id}":          `{"state":"disposed"}`,
		"POST /api/v1/tokens":                 `{"name":"x","role":"viewer"}`,
		"POST /api/v1/members":                `{"email":"nobody@b.example","role":"viewer"}`,
		"PATCH /api/v1/members/{user_id}":     `{"role":"viewer"}`,
		"POST /api/v1/devices/import":         "uid,product\nSN-CAM-B," + b.Product.ID + "\n",
		"POST /api/v1/schemes/imports": "from,to,sources,relationship,targets,rationale,citation_url\n" +
			b.Scheme + ",uk-psti,1,equal-to,1,same,https://a.example\n",
		"PATCH /api/v1/schemes/imports/{id}":    `{"visibility":"private"}`,
		"POST /api/v1/procurement/policies":     `{"name":"A's","labels":[{"market":"EU","scheme":"eu-cra"}]}`,
		"PUT /api/v1/procurement/policies/{id}": `{"name":"pwned"}`,
		"POST /api/v1/procurement/check":        `{"policy_id":"` + bPolicy.ID + `","product_id":"` + b.Product.ID + `"}`,
		// Identity: B's device, certificate and anchor addressed with
		// bodies that would work on A's own.
		"POST /api/v1/identity/roots":                                apptest.JSONString(map[string]string{"pem": apptest.NewRootPEM(t)}),
		"POST /api/v1/identity/roots/{id}/crl":                       `{"pem":"x"}`,
		"POST /api/v1/identity/ca":                                   `{}`,
		"POST /api/v1/identity/devices":                              `{"uid":"SN-NEW","product_id":"` + b.Product.ID + `"}`,
		"POST /api/v1/identity/devices/{id}/idevid":                  apptest.JSONString(map[string]string{"pem": string(apptest.IDevID(t, a.Root, a.IDevKey, b.Device.UID))}),
		"POST /api/v1/identity/devices/{id}/certificates":            apptest.JSONString(map[string]string{"csr": apptest.CSRPEM(t, b.Device.UID)}),
		"POST /api/v1/identity/devices/{id}/tokens":                  `{}`,
		"POST /api/v1/identity/devices/{id}/transitions":             `{"to":"provisioned"}`,
		"POST /api/v1/identity/devices/{id}/transfer":                `{}`,
		"POST /api/v1/identity/transfers/claim":                      `{"code":"iotsec_xfr_unknown","product_id":"` + a.Product.ID + `"}`,
		"POST /api/v1/identity/certificates/{id}/revoke":             `{"reason":"keyCompromise"}`,
		"POST /api/v1/firmware/{id}/evidence":                        `{"provision":"5.1-1","verdict":"PASS","rationale":"x"}`,
		"PUT /api/v1/firmware/{id}/ics":                              `{"entries":[{"provision":"5.1-1","support":"N/A"}]}`,
		"PUT /api/v1/firmware/{id}/ixit":                             `[{"category":"1-AuthMech","text":"x"}]`,
		"POST /api/v1/workspaces":                                    `{"name":"A's SIG","focus":"x"}`,
		"POST /api/v1/workspaces/{id}/invitations":                   `{"org_id":"` + a.Org.ID + `","role":"reviewer"}`,
		"POST /api/v1/workspaces/{id}/proposals":                     `{"kind":"new","from":"uk-psti","to":"etsi-en-303-645","sources":["1"],"targets":["5.1-1"],"relationship":"equal-to","confidence":"low","rationale":"x"}`,
		"POST /api/v1/workspaces/{id}/proposals/{proposal}/comments": `{"body":"x"}`,
		"POST /api/v1/workspaces/{id}/proposals/{proposal}/reject":   `{"reason":"x"}`,
		"POST /api/v1/workspaces/{id}/reports":                       `{"title":"x","from":"2026-01-01","to":"2026-01-31"}`,
		"POST /api/v1/firmware/{id}/image":                           "not really firmware",
		"PUT /api/v1/firmware/{id}/sbom":                             apptest.SBOM,
		"POST /api/v1/firmware/{id}/vex":                             `{"vulnerability":"CVE-2023-28450","status":"affected","action":"update"}`,
		"PATCH /api/v1/cra-reports/{id}":                             `{"sent":["early warning"],"fields":{"general_nature":"pwned"}}`,
		"POST /api/v1/notifications/read":                            `{"ids":["` + b.Notice + `"]}`,
		"PUT /api/v1/notify-settings":                                `{"webhook_url":"http://127.0.0.1:9/hook","webhook_secret":"s"}`,
		// The registry: an application for B's firmware under B's scheme,
		// and moves of B's record that would work on A's own.
		"POST /api/v1/registry":                     `{"firmware_id":"` + b.Firmware.ID + `","scheme":"` + b.Scheme + `","level":"2"}`,
		"POST /api/v1/registry/{id}/grant":          `{"valid_until":"2029-12-31"}`,
		"POST /api/v1/registry/{id}/suspend":        `{"reasons":["pwned"]}`,
		"POST /api/v1/registry/{id}/revoke":         `{"reason":"pwned"}`,
		"POST /api/v1/registry/{id}/review":         `{"reasons":["pwned"]}`,
		"POST /api/v1/registry/{id}/clear":          `{}`,
		"POST /api/v1/registry/{id}/withdraw":       `{"reason":"pwned"}`,
		"POST /api/v1/policy/proposals":             `{"action":"withdraw","entry_id":"nl-msa-red","rationale":"x"}`,
		"POST /api/v1/policy/proposals/{id}/review": `{"accept":true}`,
		"POST /api/v1/recognitions":                 `{"from_scheme":"` + b.Scheme + `","to_scheme":"jp-jc-star","rationale":"x"}`,
		"POST /api/v1/recognitions/{id}/refuse":     `{"reason":"x"}`,
	}
	// Routes without a path parameter: their statuses, and that B's IDs
	// stay out of what they return.
	collection := map[string]int{
		"GET /api/v1/me":       200,
		"GET /api/v1/overview": 200,
		// The dashboards: A's figures, never B's things.
		"GET /api/v1/dashboards/ciso":      200,
		"GET /api/v1/dashboards/executive": 200,
		"GET /api/v1/dashboards/regulator": 200,
		"GET /api/v1/dashboards/policy":    200,
		// Procurement: A's policies only; B's policy and product are not found.
		"GET /api/v1/procurement/policies":  200,
		"POST /api/v1/procurement/policies": 201, // A's own policy
		"POST /api/v1/procurement/check":    404, // B's policy, B's product
		"GET /api/v1/products":              200,
		"POST /api/v1/products":             201, // creates A's own product
		"GET /api/v1/devices":               200,
		"POST /api/v1/devices":              400, // B's product is not A's: a body reference, not an addressed thing
		"POST /api/v1/devices/import":       400,
		"GET /api/v1/jobs":                  200,
		"GET /api/v1/tokens":                200,
		"POST /api/v1/tokens":               201,
		"GET /api/v1/members":               200,
		"POST /api/v1/members":              201, // an invitation to A, whoever the address is
		"GET /api/v1/invitations":           200,
		"GET /api/v1/audit":                 200,
		"GET /api/v1/audit/head":            200, // A's own chain's head
		// The catalog: B's private scheme is in none of these answers.
		"GET /api/v1/schemes":                   200,
		"GET /api/v1/schemes/compare":           400, // no a and b
		"GET /api/v1/schemes/baseline":          400, // no scheme selected
		"GET /api/v1/schemes/applies":           400, // no market
		"GET /api/v1/schemes/gaps":              200,
		"GET /api/v1/schemes/recognise":         400, // no slug
		"GET /api/v1/schemes/agreements":        200,
		"GET /api/v1/schemes/export":            400, // no slug
		"GET /api/v1/schemes/imports":           200,
		"POST /api/v1/schemes/imports":          400, // a mapping onto B's private scheme, which A cannot see
		"GET /api/v1/identity/roots":            200,
		"POST /api/v1/identity/roots":           201, // A registers a root of its own
		"POST /api/v1/identity/ca":              201, // A's own CA (routes run in order: this before GET)
		"GET /api/v1/identity/ca":               200,
		"POST /api/v1/identity/devices":         400, // B's product is not A's
		"POST /api/v1/identity/transfers/claim": 404, // no such code
		"GET /api/v1/identity/certificates":     200,
		"GET /api/v1/identity/audit":            200,
		"GET /api/v1/scans":                     200,
		// The supply chain: A's own, never B's.
		"GET /api/v1/vulndb":              200,
		"GET /api/v1/components/exposure": 200,
		"GET /api/v1/cra-reports":         200,
		"GET /api/v1/notifications":       200,
		"POST /api/v1/notifications/read": 204, // naming B's notification marks nothing
		"GET /api/v1/notify-settings":     200,
		"PUT /api/v1/notify-settings":     200,
		"GET /api/v1/support":             200,
		// How A's notifications went out: A's deliveries, never B's.
		"GET /api/v1/notifications/deliveries": 200,
		// The registry: A's own records, schemes and keys, never B's.
		"GET /api/v1/registry":              200,
		"POST /api/v1/registry":             400, // B's firmware is not A's: a body reference
		"GET /api/v1/registry/operators":    200,
		"POST /api/v1/registry/keys/rotate": 201, // A's own key
		"GET /api/v1/labels":                200, // A's own labels
		"GET /api/v1/policy/countries":      200,
		"GET /api/v1/policy/measures":       200,
		"GET /api/v1/policy/matrix":         200,
		"GET /api/v1/policy/proposals":      200,
		"POST /api/v1/policy/proposals":     403, // A is no government organisation
		// Guides and calls come from the embedded catalog only (never an
		// organisation's imported schemes).
		"GET /api/v1/guides":          400, // no class, sector or market
		"GET /api/v1/standards/calls": 200,
		"GET /api/v1/workspaces":      200, // A's own: none of B's
		"POST /api/v1/workspaces":     201, // A's own workspace
		// Recognition requests: none of B's in A's list; A does not own
		// B's scheme, so it cannot ask in its name.
		"GET /api/v1/recognitions":  200,
		"POST /api/v1/recognitions": 403,
	}
	bIDs := []string{b.Org.ID, b.Product.ID, b.Firmware.ID, b.Device.ID, b.Job.ID, b.TokenID, b.Owner.ID, b.Owner.Email, b.Scheme, b.Import, b.AnchorID, b.CertID,
		b.CRA, b.Notice, b.Delivery, b.Certification, b.LabelID, bProposal.ID, bInv.ID, bWS.ID, bMP.ID, "B's SIG", "carol@b.example", bPolicy.ID, bRR.ID, "B's recognition rationale"}

	for _, r := range api.New(nil).Routes() {
		key := r.Method + " " + r.Path
		t.Run(key, func(t *testing.T) {
			path, ok := r.Path, true
			if strings.Contains(path, "{") {
				var id string
				if id, ok = ids[r.Path]; !ok {
					t.Fatalf("no tenancy case for %s: add B's ID for its path parameter to the ids table", key)
				}
				if strings.HasPrefix(id, "/") {
					path = id
				} else {
					path = path[:strings.Index(path, "{")] + id + path[strings.Index(path, "}")+1:]
				}
			}
			ct := "application/json"
			if strings.HasSuffix(r.Path, "/import") || strings.HasSuffix(r.Path, "/imports") {
				ct = "text/csv"
			}
			body := bodies[key]
			resp, got := f.Do(r.Method, path, a.Token, ct, bytes.NewReader([]byte(body)))
			if strings.Contains(r.Path, "{") {
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("%s %s with A's token = %d %s, want 404", r.Method, path, resp.StatusCode, got)
				}
				return
			}
			want, ok := collection[key]
			if !ok {
				t.Fatalf("no tenancy case for %s: add its expected status to the collection table", key)
			}
			if resp.StatusCode != want {
				t.Fatalf("%s %s with A's token = %d %s, want %d", r.Method, path, resp.StatusCode, got, want)
			}
			for _, id := range bIDs {
				// An ID A sent may be echoed back in an error; anything
				// else of B's must not appear.
				if bytes.Contains(got, []byte(id)) && !strings.Contains(body, id) {
					t.Errorf("%s %s shows B's %s: %s", r.Method, path, id, got)
				}
			}
		})
	}
	if after := snapshot(f, b); after != before {
		t.Errorf("B's data changed:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot renders everything of an organisation, for before/after checks.
func snapshot(f *apptest.Fixture, g apptest.Tenant) string {
	f.T.Helper()
	ctx, s := context.Background(), f.App.Store
	a := iotsec.System(g.Org.ID, "test")
	var buf strings.Builder
	ps, err1 := s.ListProducts(ctx, a)
	fws, err2 := s.ListFirmware(ctx, a, "")
	ds, err3 := s.ListDevices(ctx, a, iotsec.DeviceFilter{})
	ts, err4 := s.ListTokens(ctx, a)
	ms, err5 := s.ListMembers(ctx, a)
	js, err6 := s.ListJobs(ctx, a, 0)
	ims, err7 := s.LoadSchemeImports(ctx, a)
	sb, err8 := s.GetSBOM(ctx, a, g.Firmware.ID)
	vx, err9 := s.ListVEX(ctx, a, "")
	cr, err10 := s.ListCRAReports(ctx, a)
	ns, err11 := s.ListNotifications(ctx, a, false, 1000)
	set, err12 := s.NotifySettings(ctx, a)
	vm, err13 := s.ListMatches(ctx, a, iotsec.MatchFilter{Suppressed: true})
	cs, err14 := s.ListCertifications(ctx, a, iotsec.CertificationFilter{})
	ca, err15 := s.ListCertifications(ctx, a, iotsec.CertificationFilter{AsAuthority: true})
	rk, err16 := s.ListRegistryKeys(ctx, g.Org.ID)
	invs, err18 := s.ListInvitations(ctx, a)
	pps, err19 := s.ListProcurementPolicies(ctx, a)
	rrs, err20 := s.ListRecognitionRequests(ctx, a)
	var hist []iotsec.CertificationEvent
	var err17 error
	if g.Certification != "" {
		hist, err17 = s.CertificationHistory(ctx, a, g.Certification)
	}
	if errors.Is(err8, iotsec.ErrNotFound) {
		err8 = nil // fixtures without supply-chain records
	}
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11, err12, err13, err14, err15, err16, err17, err18, err19, err20} {
		apptest.Must(f.T, err)
	}
	for _, v := range []any{ps, fws, ds, ts, ms, js, ims, sb, string(sb.Document), vx, cr, ns, set, set.WebhookSecret, vm, cs, ca, rk, hist, invs, pps, rrs} {
		buf.WriteString(apptest.JSONString(v))
	}
	return buf.String()
}
