package registry_test

import (
	"slices"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// TestRenewal: a record enters its renewal window (the catalog's sg-cls
// rule: 36 months, 90 days), the maker applies, the authority grants and
// the new period continues the old one.
func TestRenewal(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.clock.Set(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		c, err := e.svc.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", "")
		must(t, err)
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		must(t, err)
		if c.ValidUntil != iotsec.NewDate(2029, 2, 28) {
			t.Fatalf("valid until %s", c.ValidUntil)
		}
		_, err = e.svc.ApplyRenewal(e.ctx, e.maker, c.ID)
		wantKind(t, "ApplyRenewal before the window", err, iotsec.ErrConflict)
		_, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		wantKind(t, "Grant of a certified record nobody applied to renew", err, iotsec.ErrConflict)
		v, _, err := e.svc.Record(e.ctx, e.maker, c.ID)
		must(t, err)
		if v.RenewalDue || v.RenewalOpens != iotsec.NewDate(2028, 11, 30) {
			t.Errorf("before the window: due %v, opens %s", v.RenewalDue, v.RenewalOpens)
		}

		e.clock.Set(time.Date(2028, 12, 1, 9, 0, 0, 0, time.UTC))
		v, _, err = e.svc.Record(e.ctx, e.judge, c.ID)
		must(t, err)
		if !v.RenewalDue || slices.Contains(v.Moves, iotsec.StatusCertified) {
			t.Errorf("in the window, not applied: due %v, authority's moves %v", v.RenewalDue, v.Moves)
		}
		_, err = e.svc.ApplyRenewal(e.ctx, e.judge, c.ID)
		wantKind(t, "ApplyRenewal by the authority", err, iotsec.ErrForbidden)
		got, err := e.svc.ApplyRenewal(e.ctx, e.maker, c.ID)
		must(t, err)
		if got.RenewalRequestedAt.IsZero() {
			t.Fatal("no renewal application recorded")
		}
		v, _, err = e.svc.Record(e.ctx, e.judge, c.ID)
		must(t, err)
		if !slices.Contains(v.Moves, iotsec.StatusCertified) {
			t.Errorf("applied: the authority's moves %v lack the renewal", v.Moves)
		}
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{Reason: "renewed"})
		must(t, err)
		// The new period runs 36 months from the day after the old one
		// ended; the label stays valid from its first day, without a gap.
		if c.ValidFrom != iotsec.NewDate(2026, 3, 1) || c.ValidUntil != iotsec.NewDate(2032, 2, 29) || !c.RenewalRequestedAt.IsZero() {
			t.Errorf("renewed: %s .. %s, requested %v; want 2026-03-01 .. 2032-02-29, answered", c.ValidFrom, c.ValidUntil, c.RenewalRequestedAt)
		}
		r := e.verify(e.doc(c), registry.VerifyOptions{})
		if !r.Valid || !r.Label.ValidUntil.Equal(time.Date(2032, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("renewed label: %+v", r)
		}
		hist, err := e.svc.History(e.ctx, e.maker, c.ID)
		must(t, err)
		if last := hist[len(hist)-1]; last.From != iotsec.StatusCertified || last.To != iotsec.StatusCertified || last.LogIndex < 0 {
			t.Errorf("renewal event %+v", last)
		}
	})
}

// TestExpire: a clock moved past a record's period expires it; past its
// firmware version's support end it lapses with the reason "maker support
// ended"; each is logged, shown by the label and told to both sides, and a
// second run changes nothing.
func TestExpire(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.clock.Set(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		// One record runs to the end of its period (2029-02-28); one is on
		// a version whose support ends 2027-06-30, shortened after the
		// grant so the period outlives it.
		c1, err := e.svc.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", "")
		must(t, err)
		c1, err = e.svc.Grant(e.ctx, e.judge, c1.ID, registry.GrantInput{})
		must(t, err)
		p := iotsec.Product{Name: "Doorbell", Model: "DB-2"}
		must(t, e.store.CreateProduct(e.ctx, e.maker, &p))
		fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "2.0", SupportEnd: iotsec.NewDate(2030, 12, 31)}
		must(t, e.store.CreateFirmware(e.ctx, e.maker, &fw))
		c2, err := e.svc.Apply(e.ctx, e.maker, fw.ID, "sg-cls", "1", "")
		must(t, err)
		c2, err = e.svc.Grant(e.ctx, e.judge, c2.ID, registry.GrantInput{})
		must(t, err)
		c2, err = e.svc.Review(e.ctx, e.judge, c2.ID, []string{"a question"})
		must(t, err)
		fw.SupportEnd = iotsec.NewDate(2027, 6, 30)
		must(t, e.store.UpdateFirmware(e.ctx, e.maker, &fw))

		if n, err := e.svc.Expire(e.ctx, e.clock.Now()); n != 0 || err != nil {
			t.Fatalf("Expire on the grant day = %d, %v", n, err)
		}
		e.clock.Set(time.Date(2027, 7, 1, 0, 5, 0, 0, time.UTC))
		if n, err := e.svc.Expire(e.ctx, e.clock.Now()); n != 1 || err != nil {
			t.Fatalf("Expire after the support end = %d, %v; want 1", n, err)
		}
		got, err := e.svc.Get(e.ctx, e.maker, c2.ID)
		must(t, err)
		hist, err := e.svc.History(e.ctx, e.maker, c2.ID)
		must(t, err)
		last := hist[len(hist)-1]
		if got.Status != iotsec.StatusExpired || last.From != iotsec.StatusUnderReview || last.Reason != "maker support ended on 2027-06-30" ||
			last.Actor != "system:expiry" || last.ActorOrgID != e.authOrg || last.LogIndex < 0 {
			t.Errorf("lapse: status %s, event %+v", got.Status, last)
		}
		if r := e.verify(e.doc(got), registry.VerifyOptions{Now: e.clock.Now()}); r.Valid || string(r.Status) != "expired" {
			t.Errorf("lapsed label verifies as %+v", r)
		}
		if c, _ := e.svc.Get(e.ctx, e.maker, c1.ID); c.Status != iotsec.StatusCertified {
			t.Errorf("the other record is %s, want certified", c.Status)
		}
		for _, org := range []string{e.makerOrg, e.authOrg} {
			notes, err := e.store.ListNotifications(e.ctx, iotsec.System(org, "t"), false, 10)
			must(t, err)
			if !slices.ContainsFunc(notes, func(n iotsec.Notification) bool {
				return n.Kind == "label-lapsed" && n.Link == "/l/"+c2.LabelID+".json"
			}) {
				t.Errorf("org %s was not told of the lapse: %+v", org, notes)
			}
		}

		e.clock.Set(time.Date(2029, 3, 1, 0, 0, 1, 0, time.UTC))
		size, err := e.store.LogSize(e.ctx)
		must(t, err)
		if n, err := e.svc.Expire(e.ctx, e.clock.Now()); n != 1 || err != nil {
			t.Fatalf("Expire after the period = %d, %v; want 1", n, err)
		}
		if n, err := e.svc.Expire(e.ctx, e.clock.Now()); n != 0 || err != nil {
			t.Fatalf("Expire again = %d, %v; want 0", n, err)
		}
		if after, _ := e.store.LogSize(e.ctx); after != size+1 {
			t.Errorf("log grew from %d to %d, want one entry", size, after)
		}
		hist, err = e.svc.History(e.ctx, e.judge, c1.ID)
		must(t, err)
		if last := hist[len(hist)-1]; last.To != iotsec.StatusExpired || last.Reason != "the validity period ended on 2029-02-28" {
			t.Errorf("expiry event %+v", last)
		}
		// Expired: due for renewal; the renewal is a new grant from today.
		v, _, err := e.svc.Record(e.ctx, e.maker, c1.ID)
		must(t, err)
		if !v.RenewalDue {
			t.Error("an expired record is not due for renewal")
		}
	})
}

// TestLabelConsumerFields: the product's update delivery and security
// contact go into the signed claims and the public view; a suspended
// record's label, document and verification say why.
func TestLabelConsumerFields(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.clock.Set(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		p := iotsec.Product{Name: "Hub", Model: "HUB-7", UpdateDelivery: "automatic_may_opt_out", SecurityContact: "https://acme.example/security"}
		must(t, e.store.CreateProduct(e.ctx, e.maker, &p))
		bad := iotsec.Product{Name: "Hub", Model: "HUB-8", UpdateDelivery: "by pigeon"}
		wantKind(t, "a product with an unknown update delivery", e.store.CreateProduct(e.ctx, e.maker, &bad), iotsec.ErrInvalid)
		bad = iotsec.Product{Name: "Hub", Model: "HUB-8", SecurityContact: "call us"}
		wantKind(t, "a product with a contact that is neither URL nor e-mail", e.store.CreateProduct(e.ctx, e.maker, &bad), iotsec.ErrInvalid)
		fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "7.0", SupportEnd: iotsec.NewDate(2031, 12, 31)}
		must(t, e.store.CreateFirmware(e.ctx, e.maker, &fw))
		c, err := e.svc.Apply(e.ctx, e.maker, fw.ID, "sg-cls", "1", "")
		must(t, err)
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		must(t, err)
		r := e.verify(e.doc(c), registry.VerifyOptions{})
		if !r.Valid || r.Label.UpdateDelivery != "automatic_may_opt_out" || r.Label.SecurityContact != "https://acme.example/security" ||
			r.Label.SBOMAvailable || len(r.Label.Reasons) != 0 || len(r.Reasons) != 0 {
			t.Errorf("certified label: %+v %+v", r, r.Label)
		}
		pub, err := e.svc.Public(e.ctx, c.LabelID)
		must(t, err)
		if pub.UpdateDelivery != p.UpdateDelivery || pub.SecurityContact != p.SecurityContact || pub.SBOM {
			t.Errorf("public view %+v", pub)
		}

		c, err = e.svc.Suspend(e.ctx, e.judge, c.ID, "the declared update server is offline", "no answer to the security contact")
		must(t, err)
		r = e.verify(e.doc(c), registry.VerifyOptions{})
		want := []string{"the declared update server is offline", "no answer to the security contact"}
		if r.Valid || string(r.Status) != "suspended" || !slices.Equal(r.Reasons, want) || !slices.Equal(r.Label.Reasons, want) {
			t.Errorf("suspended label: status %s, reasons %q, signed reasons %q", r.Status, r.Reasons, r.Label.Reasons)
		}
		d, err := e.svc.Document(e.ctx, c.LabelID)
		must(t, err)
		if !slices.Equal(d.Reasons, want) {
			t.Errorf("document reasons %q", d.Reasons)
		}
		// Reinstated: no reasons any more.
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{Reason: "fixed"})
		must(t, err)
		if r := e.verify(e.doc(c), registry.VerifyOptions{}); !r.Valid || len(r.Reasons) != 0 || len(r.Label.Reasons) != 0 {
			t.Errorf("reinstated label: %+v", r)
		}
	})
}
