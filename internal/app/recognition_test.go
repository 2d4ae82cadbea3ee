package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/storetest"
)

// TestRecognitionRequestLife is the whole life of recognition requests
// across three organisations, on each database: the owner of kr-cic asks
// the owner of jp-jc-star to recognise kr-cic standard as JC-STAR level
// 2; a third organisation sees nothing of it; a refusal needs a reason;
// a second request is agreed, and then both parties' catalogs list the
// agreement (in the scheme's detail and in the recognition answer for a
// kr-cic label), cited to the request, while the third's catalog answers
// as before.
func TestRecognitionRequestLife(t *testing.T) {
	clock := storetest.NewClock(storetest.Start)
	for name, store := range apptest.Stores(t, clock.Now) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			svcs, err := app.NewServices(store, config.Default(), nil, app.Options{Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			org := func(name string) iotsec.Actor {
				u := iotsec.User{Email: strings.ToLower(name) + "@" + strings.ToLower(name) + ".example"}
				apptest.Must(t, store.CreateUser(ctx, "system:test", &u))
				o := iotsec.Organisation{Name: name, Kind: iotsec.OrgGovernment, Country: "KR"}
				apptest.Must(t, store.CreateOrg(ctx, "system:test", &o, u.ID))
				return iotsec.Actor{OrgID: o.ID, UserID: u.ID, Role: iotsec.RoleOwner, Label: u.Email}
			}
			kisa, ipa, third := org("KISA"), org("IPA"), org("Third")
			reg := svcs.Registry
			apptest.Must(t, reg.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: kisa.OrgID, Scheme: "kr-cic", Role: iotsec.OperatorOwner}))
			apptest.Must(t, reg.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: ipa.OrgID, Scheme: "jp-jc-star", Role: iotsec.OperatorOwner}))

			// What each catalog says of a kr-cic standard label before.
			held := catalog.RecogniseQuery{Slug: "kr-cic", Level: "standard", Date: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
			counts := func(a iotsec.Actor) (agreements []string, jcstar bool) {
				t.Helper()
				v, err := svcs.Catalog.For(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				d, err := v.Scheme("kr-cic")
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Recognise(held)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range res.Counts {
					if strings.HasPrefix(c.Agreement, "recognition-") && c.Scheme == "jp-jc-star" && c.Level == "2" &&
						strings.Contains(c.Source.Title, "agreed recognition request") {
						jcstar = true
					}
				}
				return d.Agreements, jcstar
			}
			before, _ := counts(third)

			req := iotsec.RecognitionRequest{FromScheme: "kr-cic", FromLevel: "standard", ToScheme: "jp-jc-star", ToLevel: "2",
				Rationale: "KC standard tests every JC-STAR level 2 requirement"}
			bad := req
			bad.ToLevel = "9"
			_, err = reg.RequestRecognition(ctx, kisa, bad)
			if iotsec.Kind(err) != iotsec.ErrInvalid {
				t.Fatalf("request for a level the catalog lacks: %v, want invalid", err)
			}
			_, err = reg.RequestRecognition(ctx, third, req)
			if iotsec.Kind(err) != iotsec.ErrForbidden {
				t.Fatalf("request by a non-owner: %v, want forbidden", err)
			}
			r1, err := reg.RequestRecognition(ctx, kisa, req)
			apptest.Must(t, err)
			if l, err := reg.Recognitions(ctx, third); err != nil || len(l) != 0 {
				t.Fatalf("third lists %v, %v", l, err)
			}
			if _, err := reg.Recognition(ctx, third, r1.ID); iotsec.Kind(err) != iotsec.ErrNotFound {
				t.Fatalf("third reads the request: %v", err)
			}
			if _, err := reg.AgreeRecognition(ctx, third, r1.ID); iotsec.Kind(err) != iotsec.ErrNotFound {
				t.Fatalf("third agrees: %v", err)
			}
			if _, err := reg.RefuseRecognition(ctx, ipa, r1.ID, ""); iotsec.Kind(err) != iotsec.ErrInvalid {
				t.Fatalf("refusal without a reason: %v", err)
			}
			r1, err = reg.RefuseRecognition(ctx, ipa, r1.ID, "level 2 asks for a security update policy KC standard lacks")
			apptest.Must(t, err)
			if r1.Status != iotsec.RecognitionRefused {
				t.Fatalf("refused %+v", r1)
			}
			for _, a := range []iotsec.Actor{kisa, ipa, third} {
				if _, jc := counts(a); jc {
					t.Fatalf("%s's catalog recognises after a refusal", a.Label)
				}
			}

			r2, err := reg.RequestRecognition(ctx, kisa, req)
			apptest.Must(t, err)
			if _, err := reg.AgreeRecognition(ctx, kisa, r2.ID); iotsec.Kind(err) != iotsec.ErrForbidden {
				t.Fatalf("requester agrees: %v", err)
			}
			r2, err = reg.AgreeRecognition(ctx, ipa, r2.ID)
			apptest.Must(t, err)
			if r2.Status != iotsec.RecognitionAgreed || len(r2.Imports) != 2 {
				t.Fatalf("agreed %+v", r2)
			}
			for _, a := range []iotsec.Actor{kisa, ipa} {
				ags, jc := counts(a)
				if !jc || !slices.Contains(ags, "recognition-"+r2.ID) {
					t.Errorf("%s's catalog: agreements %v, recognised as JC-STAR 2 %v; want the agreed recognition", a.Label, ags, jc)
				}
			}
			after, jc := counts(third)
			if jc || !slices.Equal(before, after) {
				t.Errorf("third's catalog changed: agreements %v -> %v, recognised %v", before, after, jc)
			}
			// The regulator dashboards list the requests as the registry does.
			for _, c := range []struct {
				a                           iotsec.Actor
				pending, answered, outgoing int
			}{{kisa, 0, 0, 2}, {ipa, 0, 2, 0}, {third, 0, 0, 0}} {
				d, err := svcs.Dashboard.Regulator(ctx, c.a)
				apptest.Must(t, err)
				q := d.Requests
				if len(q.Pending) != c.pending || len(q.Answered) != c.answered || len(q.Outgoing) != c.outgoing {
					t.Errorf("%s's dashboard requests: %d pending, %d answered, %d sent; want %d, %d, %d", c.a.Label,
						len(q.Pending), len(q.Answered), len(q.Outgoing), c.pending, c.answered, c.outgoing)
				}
			}
			// The agreement stays private.
			if err := svcs.Catalog.SetVisibility(ctx, kisa, r2.Imports[0], iotsec.VisibilityShared); iotsec.Kind(err) != iotsec.ErrConflict {
				t.Errorf("sharing the agreement import: %v, want conflict", err)
			}
		})
	}
}
