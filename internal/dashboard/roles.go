package dashboard

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Market is one target market of the portfolio and what stands between
// the portfolio and its deadlines.
type Market struct {
	Code      string     `json:"code"`
	Products  int        `json:"products"`
	Labelled  int        `json:"labelled"` // products with a certified record
	AtRisk    int        `json:"at_risk"`
	Deadlines []Deadline `json:"deadlines"`
	// Ready is the share of the market's products with a label, in
	// percent.
	Ready int `json:"ready_percent"`
}

// ProductRisk is a product and why it is at risk.
type ProductRisk struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Reasons []string `json:"reasons"`
}

// SupportEnd is a firmware version whose support period ends soon.
type SupportEnd struct {
	ProductID  string      `json:"product_id"`
	Product    string      `json:"product_name"`
	FirmwareID string      `json:"firmware_id"`
	Version    string      `json:"firmware_version"`
	End        iotsec.Date `json:"support_end"`
	Days       int         `json:"days_left"`
}

// Executive is the maker's portfolio readiness per market and deadline.
type Executive struct {
	Day         iotsec.Date   `json:"day"`
	Markets     []Market      `json:"markets"`
	Upcoming    []Deadline    `json:"upcoming"` // the portfolio's markets' dates from today on
	AtRisk      []ProductRisk `json:"products_at_risk"`
	CRA         []CRAClock    `json:"open_cra_reports"`
	SupportEnds []SupportEnd  `json:"support_ending"`
	Figures     []Figure      `json:"figures"`
}

// Executive computes the maker's dashboard.
func (s *Service) Executive(ctx context.Context, a iotsec.Actor) (Executive, error) {
	day := iotsec.DateOf(s.Now())
	out := Executive{Day: day}
	ps, err := s.Store.ListProducts(ctx, a)
	if err != nil {
		return out, err
	}
	fws, err := s.Store.ListFirmware(ctx, a, "")
	if err != nil {
		return out, err
	}
	recs, err := s.Store.ListCertifications(ctx, a, iotsec.CertificationFilter{})
	if err != nil {
		return out, err
	}
	sup, err := s.Sources.Supply(ctx, a)
	if err != nil {
		return out, err
	}
	kev := sup.KEV
	out.CRA = sup.CRA
	deadlines, err := s.Sources.Deadlines(ctx, a)
	if err != nil {
		return out, err
	}
	labelled := map[string]bool{}
	for _, r := range recs {
		if r.Status == iotsec.StatusCertified {
			labelled[r.ProductID] = true
		}
	}
	reasons := map[string][]string{}
	for _, k := range kev {
		reasons[k.ProductID] = appendOnce(reasons[k.ProductID], "known exploited vulnerability in "+k.Version)
	}
	for _, c := range out.CRA {
		reasons[c.ProductID] = appendOnce(reasons[c.ProductID], "CRA report open for "+c.VulnID)
	}
	names := map[string]string{}
	current := map[string]bool{} // products with a version still supported
	for _, p := range ps {
		names[p.ID] = p.Name
		if p.SupportMonths == 0 {
			reasons[p.ID] = appendOnce(reasons[p.ID], "no support period stated")
		}
	}
	soon := day.AddDays(s.SupportDays)
	for _, f := range fws {
		if f.SupportEnd.IsZero() {
			continue
		}
		if !f.SupportEnd.Before(day) {
			current[f.ProductID] = true
			if f.SupportEnd.Before(soon) {
				out.SupportEnds = append(out.SupportEnds, SupportEnd{f.ProductID, names[f.ProductID], f.ID, f.Version, f.SupportEnd,
					int(f.SupportEnd.Time().Sub(day.Time()).Hours() / 24)})
			}
		}
	}
	sort.Slice(out.SupportEnds, func(i, j int) bool { return out.SupportEnds[i].End.Before(out.SupportEnds[j].End) })
	for _, p := range ps {
		if !current[p.ID] && hasVersions(fws, p.ID) {
			reasons[p.ID] = appendOnce(reasons[p.ID], "no firmware version in support")
		}
		if len(reasons[p.ID]) > 0 {
			out.AtRisk = append(out.AtRisk, ProductRisk{p.ID, p.Name, reasons[p.ID]})
		}
	}
	byMarket := map[string]*Market{}
	var codes []string
	for _, p := range ps {
		for _, m := range p.Markets {
			mk := byMarket[m]
			if mk == nil {
				mk = &Market{Code: m}
				byMarket[m] = mk
				codes = append(codes, m)
			}
			mk.Products++
			if labelled[p.ID] {
				mk.Labelled++
			}
			if len(reasons[p.ID]) > 0 {
				mk.AtRisk++
			}
		}
	}
	sort.Strings(codes)
	for _, c := range codes {
		mk := byMarket[c]
		for _, d := range deadlines {
			if d.Market == c {
				mk.Deadlines = append(mk.Deadlines, d)
				if !d.Date.Before(day) {
					out.Upcoming = append(out.Upcoming, d)
				}
			}
		}
		if mk.Products > 0 {
			mk.Ready = 100 * mk.Labelled / mk.Products
		}
		out.Markets = append(out.Markets, *mk)
	}
	sort.SliceStable(out.Upcoming, func(i, j int) bool { return out.Upcoming[i].Date.Before(out.Upcoming[j].Date) })
	out.Figures = []Figure{
		{"products", "Products", len(ps), "/products"},
		{"at-risk", "Products at risk", len(out.AtRisk), "/products"},
		{"open-cra", "Open CRA reports", len(out.CRA), "/supply/cra"},
		{"support-ending", "Versions whose support ends within a year", len(out.SupportEnds), "/supply/support"},
	}
	return out, nil
}

func hasVersions(fws []iotsec.FirmwareVersion, productID string) bool {
	return slices.ContainsFunc(fws, func(f iotsec.FirmwareVersion) bool { return f.ProductID == productID })
}

func appendOnce(ss []string, s string) []string {
	if slices.Contains(ss, s) {
		return ss
	}
	return append(ss, s)
}

// Review is a record under review or suspended, and why.
type Review struct {
	ID       string              `json:"id"`
	Scheme   string              `json:"scheme"`
	Level    string              `json:"level"`
	Status   iotsec.RecordStatus `json:"status"`
	Reasons  []string            `json:"reasons"`
	Since    time.Time           `json:"since"`
	DaysOpen int                 `json:"days_open"`
}

// LevelCount counts the records of a scheme's level.
type LevelCount struct {
	Scheme string `json:"scheme"`
	Level  string `json:"level"`
	Count  int    `json:"count"`
}

// Regulator is a scheme owner's labels and their surveillance.
type Regulator struct {
	Day      iotsec.Date  `json:"day"`
	ByStatus []Figure     `json:"by_status"`
	ByLevel  []LevelCount `json:"by_level"`
	Reviews  []Review     `json:"under_review"`
	// Surveillance counts the records that market surveillance moved
	// (under review or suspended with reasons) by reason kind.
	Surveillance []Figure `json:"surveillance"`
	// KEVReactionDays is, over records under review for a known
	// exploited vulnerability, the median number of days from the
	// vulnerability's first match in the maker's firmware to now
	// (records still open); -1 when there is none.
	KEVReviewDays int `json:"kev_review_median_days"`
}

// Regulator computes the scheme owner's dashboard: the records it grants.
func (s *Service) Regulator(ctx context.Context, a iotsec.Actor) (Regulator, error) {
	now := s.Now()
	out := Regulator{Day: iotsec.DateOf(now), KEVReviewDays: -1}
	recs, err := s.Store.ListCertifications(ctx, a, iotsec.CertificationFilter{AsAuthority: true})
	if err != nil {
		return out, err
	}
	out.ByStatus = byStatus(recs, "/registry")
	levels := map[[2]string]int{}
	kinds := map[string]int{}
	var days []int
	for _, r := range recs {
		levels[[2]string{r.Scheme, r.Level}]++
		if r.Status != iotsec.StatusUnderReview && !(r.Status == iotsec.StatusSuspended && len(r.Reasons) > 0) {
			continue
		}
		d := int(now.Sub(r.UpdatedAt).Hours() / 24)
		out.Reviews = append(out.Reviews, Review{r.ID, r.Scheme, r.Level, r.Status, r.Reasons, r.UpdatedAt, d})
		kev := false
		for _, why := range r.Reasons {
			k := reasonKind(why)
			kinds[k]++
			kev = kev || k == "known exploited vulnerability"
		}
		if kev && r.Status == iotsec.StatusUnderReview {
			days = append(days, d)
		}
	}
	for k, n := range levels {
		out.ByLevel = append(out.ByLevel, LevelCount{k[0], k[1], n})
	}
	sort.Slice(out.ByLevel, func(i, j int) bool {
		if out.ByLevel[i].Scheme != out.ByLevel[j].Scheme {
			return out.ByLevel[i].Scheme < out.ByLevel[j].Scheme
		}
		return out.ByLevel[i].Level < out.ByLevel[j].Level
	})
	for _, k := range sortedKeys(kinds) {
		out.Surveillance = append(out.Surveillance, Figure{k, k, kinds[k], "/registry"})
	}
	if len(days) > 0 {
		sort.Ints(days)
		out.KEVReviewDays = days[len(days)/2]
	}
	return out, nil
}

// reasonKind sorts a review reason into a kind for counting.
func reasonKind(why string) string {
	switch {
	case strings.Contains(strings.ToLower(why), "exploited") || strings.Contains(why, "KEV"):
		return "known exploited vulnerability"
	case strings.Contains(strings.ToLower(why), "provision") || strings.Contains(strings.ToLower(why), "fail"):
		return "failing provision"
	}
	return "other"
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Policy is the policy maker's country matrix and its market's gaps.
type Policy struct {
	Day       iotsec.Date `json:"day"`
	Market    string      `json:"market"`
	Countries []Country   `json:"countries"`
	Gaps      []Gap       `json:"gaps"`
	// Neighbours are the countries compared with the market: every row
	// with its measure count, the market first.
	Figures []Figure `json:"figures"`
}

// Policy computes the policy maker's dashboard for a market ("" means the
// organisation's products' first market, or EU).
func (s *Service) Policy(ctx context.Context, a iotsec.Actor, market string) (Policy, error) {
	now := s.Now()
	out := Policy{Day: iotsec.DateOf(now)}
	if market == "" {
		market = "EU"
		ps, err := s.Store.ListProducts(ctx, a)
		if err != nil {
			return out, err
		}
		for _, p := range ps {
			if len(p.Markets) > 0 {
				market = p.Markets[0]
				break
			}
		}
	}
	cs, err := s.Sources.Countries(ctx, now)
	if err != nil {
		return out, err
	}
	found := false
	for _, c := range cs {
		found = found || c.Code == market
	}
	if !found {
		return out, iotsec.Invalid("market", "no jurisdiction %q in the policy dataset", market)
	}
	out.Market, out.Countries = market, cs
	if out.Gaps, err = s.Sources.Gaps(ctx, market, now); err != nil {
		return out, err
	}
	for _, c := range cs {
		out.Figures = append(out.Figures, Figure{c.Code, c.Name, c.Entries, "/policy/" + c.Code})
	}
	return out, nil
}
