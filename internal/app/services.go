package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/dashboard"
	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/policy"
	"github.com/iotsec/iotsec/internal/registry"
	"github.com/iotsec/iotsec/internal/supply"
	"github.com/iotsec/iotsec/internal/workspace"
)

// Services are the capability services, built once by NewServices for the
// server (App.New) and the command line alike, so a command and a request
// are answered by the same objects wired the same way.
type Services struct {
	// Catalog is the catalog service: the embedded schemes, loaded once,
	// and each organisation's imports, merged per organisation and cached.
	Catalog *catalog.Service
	// Identity is the device identity service (CA, EST, CRL, OCSP); nil
	// without a store.
	Identity *identity.Service
	// Supply is the supply-chain service (vulnerability data, SBOMs,
	// matching, VEX, CRA reports, notifications); nil without a store.
	Supply *supply.Service
	// Evaluation is the evaluation service (uploads, scans, evidence, ICS,
	// IXIT, verdicts); without a store it scans for the command line.
	Evaluation *evaluation.Service
	// Registry is the registry service (certification records, labels,
	// the transparency log); nil without a store.
	Registry *registry.Service
	// Policy is the policy service (national measures dataset, proposals
	// and their review); without a store it serves the embedded dataset.
	Policy *policy.Service
	// Workspace is the workspace service (organisations working together,
	// mapping proposals merged into the members' catalogs, reports).
	Workspace *workspace.Service
	// Dashboard computes the role dashboards from the other services'
	// answers; nil without a store.
	Dashboard *dashboard.Service
}

// NewServices builds the services over store and the configuration. A nil
// store (offline commands: scheme queries without --org, sbom, scan)
// builds only what needs no database: Catalog (embedded schemes) and
// Evaluation (database-less scans). opts.Now and opts.Rand, when set, replace the clock and the
// randomness of every service.
func NewServices(store iotsec.Store, cfg config.Config, log *slog.Logger, opts Options) (*Services, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	base, err := crosswalk.Load()
	if err != nil {
		return nil, err
	}
	s := &Services{}
	if store == nil {
		// As for the catalog: a nil store reaches policy.New as a nil interface.
		if s.Policy, err = policy.New(nil); err != nil {
			return nil, err
		}
		s.Policy.Now = now
		if s.Evaluation, err = newEvaluation(nil, base); err != nil {
			return nil, err
		}
		// A nil iotsec.Store must reach catalog.New as a nil interface,
		// or the library would think it has a database.
		s.Catalog = catalog.New(nil, base)
		s.Catalog.Now = now
		s.Policy.CatalogGaps = catalogGaps(s.Catalog)
		s.Policy.CatalogGuide, s.Policy.CheckRules = catalogGuide(s.Catalog), checkRules(hubSlug)
		s.Policy.CatalogCalls = catalogCalls(s.Catalog)
		return s, nil
	}
	s.Catalog = catalog.New(store, base)
	s.Catalog.Now = now
	if s.Policy, err = policy.New(store); err != nil {
		return nil, err
	}
	s.Policy.Now = now
	s.Policy.CatalogGaps = catalogGaps(s.Catalog)
	s.Policy.CatalogGuide, s.Policy.CheckRules = catalogGuide(s.Catalog), checkRules(hubSlug)
	s.Policy.CatalogCalls = catalogCalls(s.Catalog)
	s.Workspace = workspace.New(store)
	s.Workspace.Now, s.Workspace.BaseURL = now, cfg.URL()
	s.Workspace.PrepareMappings = workspaceCatalog(s.Catalog)
	if s.Evaluation, err = newEvaluation(store, base); err != nil {
		return nil, err
	}
	s.Evaluation.MaxImage = cfg.MaxImage

	kek, err := cfg.KEK()
	if err != nil {
		return nil, iotsec.Errorf(iotsec.ErrInvalid, "%v", err)
	}
	s.Identity = identity.New(store, kek, log)
	s.Identity.Now, s.Identity.BaseURL = now, cfg.URL()
	if opts.Rand != nil {
		s.Identity.Rand = opts.Rand
	}

	s.Registry = registry.New(store, kek, cfg.URL(), log)
	s.Registry.Now = now
	s.Registry.Rules = validityRules(base)
	s.Registry.PrepareRecognition = s.Catalog.PrepareRecognition
	if opts.Rand != nil {
		s.Registry.Rand = opts.Rand
	}

	s.Supply = supply.New(store, log)
	s.Supply.KEK, s.Supply.Rand = kek, opts.Rand
	// Market surveillance: a certified version that a match finds known
	// exploited goes under review in the same run.
	s.Supply.AfterMatch = s.Registry.Surveil
	// And one whose evaluation now fails a provision its level depends on.
	s.Registry.Failing = s.Evaluation.Failing
	s.Evaluation.AfterEvaluate = s.Registry.SurveilEvaluation
	s.Supply.Now = now
	s.Supply.Tool = "iotsec " + Version()
	s.Supply.Publisher = supply.Publisher{Name: cfg.CSAFPublisherName, Namespace: cfg.PublisherNamespace(), Category: cfg.CSAFPublisherCategory}
	s.Supply.SourceDate = cfg.SourceDate
	s.Dashboard = newDashboard(store, s, now)
	if cfg.SMTPAddr != "" {
		s.Supply.Mail = supply.SMTP{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, User: cfg.SMTPUser, Password: string(cfg.SMTPPassword)}
	}
	return s, nil
}

// validityRules hands the registry the catalog's validity rules (each
// scheme's months and renewal window, as data in the scheme files).
func validityRules(cat *crosswalk.Catalog) func(string) (registry.ValidityRule, bool) {
	return func(slug string) (registry.ValidityRule, bool) {
		sc, err := cat.Scheme(slug)
		if err != nil || sc.Validity == nil {
			return registry.ValidityRule{}, false
		}
		v := sc.Validity
		return registry.ValidityRule{Scheme: slug, Months: v.Months, RenewalWindowDays: v.RenewalWindowDays, Source: v.Source}, true
	}
}

// workspaceCatalog gives the workspace service the catalog's check of a
// mapping spreadsheet: the private import it would make in an
// organisation's catalog (superseding the maps it changes, for a change
// proposal), stored by the workspace's merge in one transaction.
func workspaceCatalog(c *catalog.Service) func(context.Context, iotsec.Actor, string, []byte, bool) (iotsec.SchemeImport, error) {
	return func(ctx context.Context, a iotsec.Actor, name string, data []byte, supersedes bool) (iotsec.SchemeImport, error) {
		return c.Prepare(ctx, a, catalog.ImportRequest{Name: name, Format: iotsec.SchemeFormatCSV, Visibility: iotsec.VisibilityPrivate,
			Data: data, Supersedes: supersedes})
	}
}

// catalogGaps gives the policy service's briefs the embedded catalog's
// cells of one market with nothing, or international standards only.
func catalogGaps(c *catalog.Service) func(ctx context.Context, market string, date time.Time) ([]policy.GapCell, error) {
	return func(ctx context.Context, market string, date time.Time) ([]policy.GapCell, error) {
		g, err := c.Base().Gaps(catalog.GapQuery{Markets: []string{market}, Date: date})
		if err != nil {
			return nil, err
		}
		var out []policy.GapCell
		for _, r := range g.Rows {
			for _, cell := range r.Cells {
				if cell.Level == catalog.GapNone || cell.Level == catalog.GapStandard {
					out = append(out, policy.GapCell{Sector: r.Sector, Class: r.Class, Title: r.Title, Level: cell.Level})
				}
			}
		}
		return out, nil
	}
}
