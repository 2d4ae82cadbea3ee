package app

import (
	"context"
	"fmt"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// DemoAuthority is the demo's scheme owner: it operates Singapore's CLS.
const DemoAuthority = "Cyber Security Agency (demo)"

// seedRegistry gives the demo a scheme owner that granted CLS level 2 to
// two camera firmware versions; one of them carries a known exploited
// vulnerability, so matching it again puts its label under review, as
// market surveillance does after a KEV import.
func (a *App) seedRegistry(ctx context.Context) error {
	csa := iotsec.Organisation{Name: DemoAuthority, Kind: iotsec.OrgGovernment, Country: "SG"}
	if err := a.Store.CreateOrg(ctx, "system:demo", &csa, ""); err != nil {
		return err
	}
	if err := a.Registry.AddOperator(ctx, "system:demo", &iotsec.SchemeOperator{OrgID: csa.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}); err != nil {
		return err
	}
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return err
	}
	var maker iotsec.Actor
	for _, o := range orgs {
		if o.Name == DemoOrg {
			maker = iotsec.System(o.ID, "demo")
		}
	}
	fws, err := a.Store.ListFirmware(ctx, maker, "")
	if err != nil {
		return err
	}
	owner := iotsec.System(csa.ID, "demo")
	granted := 0
	for _, f := range fws {
		if f.Version != "2.5.1" && f.Version != "2.4.3" {
			continue
		}
		c, err := a.Registry.Apply(ctx, maker, f.ID, "sg-cls", "2", "")
		if err != nil {
			return err
		}
		if _, err := a.Registry.Grant(ctx, owner, c.ID, registry.GrantInput{Reason: "evaluation report of the demo lab"}); err != nil {
			return err
		}
		// Matching again runs market surveillance on the new label.
		if _, err := a.Supply.Rematch(ctx, maker, f.ID); err != nil && iotsec.Kind(err) != iotsec.ErrNotFound {
			return err
		}
		granted++
	}
	if granted != 2 {
		return fmt.Errorf("demo registry: granted %d labels, want 2", granted)
	}
	return nil
}
