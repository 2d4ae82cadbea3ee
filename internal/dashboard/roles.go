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
	// Trends are weekly series from the daily snapshots (products at
	// risk, open CRA reports, readiness per market), each ending with
	// today's figure.
	Trends []Trend `json:"trends"`
}

// Executive computes the maker's dashboard.
func (s *Service) Executive(ctx context.Context, a iotsec.Actor) (Executive, error) {
	return s.executive(ctx, a, true)
}

// executive computes the maker's dashboard, with trends when history is
// set.
func (s *Service) executive(ctx context.Context, a iotsec.Actor, history bool) (Executive, error) {
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
	if history {
		snaps, err := s.Store.DashboardSnapshots(ctx, a, day.AddDays(-7*TrendWeeks))
		if err != nil {
			return out, err
		}
		out.Trends = trends(out, snaps)
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
	ID      string              `json:"id"`
	Scheme  string              `json:"scheme"`
	Level   string              `json:"level"`
	Status  iotsec.RecordStatus `json:"status"`
	Reasons []string            `json:"reasons"`
	// Since is when the record moved to its status (its history's
	// event; the record's last change when the history has none).
	Since    time.Time `json:"since"`
	DaysOpen int       `json:"days_open"`
	// KEVAdded is, for a review for known exploited vulnerabilities, the
	// earliest day one of them entered CISA's KEV catalogue (null when
	// none or the vulnerability data lacks the date); ReactionDays the
	// days from it to Since (-1 without a date).
	KEVAdded     *iotsec.Date `json:"kev_added"`
	ReactionDays int          `json:"reaction_days"`
}

// LevelCount counts the records of a scheme's level.
type LevelCount struct {
	Scheme string `json:"scheme"`
	Level  string `json:"level"`
	Count  int    `json:"count"`
}

// KEVReaction is, for one scheme, how fast its records went under review
// after a known exploited vulnerability in them entered CISA's KEV
// catalogue: every review for one in the records' history (cleared ones
// too), and the reviews still open.
type KEVReaction struct {
	Scheme string `json:"scheme"`
	// Reviews counts the reviews for a known exploited vulnerability
	// whose KEV date is known; MedianDays is the median of their days
	// from the earliest KEV date among their vulnerabilities to the
	// review (-1 when there is none).
	Reviews    int `json:"reviews"`
	MedianDays int `json:"median_days"`
	// NoDate counts the reviews whose vulnerabilities have no KEV date
	// in the vulnerability data.
	NoDate int `json:"no_kev_date"`
	// Open counts the records still under review for a known exploited
	// vulnerability; OpenMedianAgeDays is the median of the days since
	// they went under review (-1 when none is open).
	Open              int `json:"open"`
	OpenMedianAgeDays int `json:"open_median_age_days"`
}

// Recognition is one mutual recognition agreement, from the catalog, in
// which one of the organisation's schemes takes part: what the scheme's
// holders get abroad and what foreign labels count as at home.
type Recognition struct {
	Agreement string `json:"agreement"`
	Title     string `json:"title"`
	// Status is the catalog's: active (in force), dormant or pending.
	Status    string   `json:"status"`
	Signed    string   `json:"signed,omitempty"`
	Effective string   `json:"effective,omitempty"`
	Scheme    string   `json:"scheme"` // the organisation's scheme
	Parties   []string `json:"parties"`
	// Counterparts are the other schemes of the agreement's edges that
	// touch Scheme ("name (outside the catalog)" for an external one).
	Counterparts []string `json:"counterparts"`
	Kinds        []string `json:"kinds"` // deemed-equivalence, simplified-route
	SourceTitle  string   `json:"source_title"`
	SourceURL    string   `json:"source_url"`
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
	// KEVReviewDays is the median, over every review for a known
	// exploited vulnerability in the history of the records it grants,
	// of the days from the vulnerability's KEV date (the earliest, when
	// a review names several) to the review; -1 when there is none.
	// KEVReaction says the same per scheme, with the open reviews' age.
	KEVReviewDays int           `json:"kev_review_median_days"`
	KEVReaction   []KEVReaction `json:"kev_reaction"`
	// Schemes are the schemes the organisation owns; Recognitions the
	// catalog's recognition agreements they take part in (an agreed
	// recognition request among them).
	Schemes      []string      `json:"schemes"`
	Recognitions []Recognition `json:"recognitions"`
	// Requests are the organisation's recognition requests (the
	// registry's): received and awaiting its answer, received and
	// answered lately, and sent.
	Requests RecognitionRequests `json:"recognition_requests"`
}

// RecognitionRequests are the recognition requests a scheme owner sent
// or received, as the registry lists them, newest first.
type RecognitionRequests struct {
	Pending  []iotsec.RecognitionRequest `json:"incoming_pending"`
	Answered []iotsec.RecognitionRequest `json:"incoming_recent"`
	Outgoing []iotsec.RecognitionRequest `json:"outgoing"`
}

// RecentRequests is how many answered incoming requests, and how many
// sent ones, the regulator's dashboard shows.
const RecentRequests = 20

func recognitionRequests(org string, rs []iotsec.RecognitionRequest) RecognitionRequests {
	out := RecognitionRequests{Pending: []iotsec.RecognitionRequest{}, Answered: []iotsec.RecognitionRequest{}, Outgoing: []iotsec.RecognitionRequest{}}
	for _, r := range rs {
		switch {
		case r.FromOrgID == org:
			if len(out.Outgoing) < RecentRequests {
				out.Outgoing = append(out.Outgoing, r)
			}
		case r.Status == iotsec.RecognitionSubmitted:
			out.Pending = append(out.Pending, r)
		case len(out.Answered) < RecentRequests:
			out.Answered = append(out.Answered, r)
		}
	}
	return out
}

// Regulator computes the scheme owner's dashboard: the records it grants.
func (s *Service) Regulator(ctx context.Context, a iotsec.Actor) (Regulator, error) {
	now := s.Now()
	out := Regulator{Day: iotsec.DateOf(now), KEVReviewDays: -1, KEVReaction: []KEVReaction{}, Schemes: []string{}, Recognitions: []Recognition{},
		Requests: recognitionRequests(a.OrgID, nil)}
	recs, err := s.Store.ListCertifications(ctx, a, iotsec.CertificationFilter{AsAuthority: true, Limit: 1000})
	if err != nil {
		return out, err
	}
	reqs, err := s.Store.ListRecognitionRequests(ctx, a)
	if err != nil {
		return out, err
	}
	out.Requests = recognitionRequests(a.OrgID, reqs)
	events, err := s.Store.AuthorityEvents(ctx, a, iotsec.CertEventFilter{To: iotsec.StatusUnderReview, Limit: 10000})
	if err != nil {
		return out, err
	}
	ops, err := s.Store.ListSchemeOperators(ctx, a)
	if err != nil {
		return out, err
	}
	for _, o := range ops {
		if o.OrgID == a.OrgID && o.Role == iotsec.OperatorOwner && !slices.Contains(out.Schemes, o.Scheme) {
			out.Schemes = append(out.Schemes, o.Scheme)
		}
	}
	sort.Strings(out.Schemes)
	if s.Sources.Recognitions != nil && len(out.Schemes) > 0 {
		if out.Recognitions, err = s.Sources.Recognitions(ctx, a, out.Schemes); err != nil {
			return out, err
		}
	}
	// The KEV dates of every vulnerability a review names.
	var ids []string
	for _, ev := range events {
		ids = append(ids, kevIDs(ev.Reason)...)
	}
	added := map[string]time.Time{}
	if len(ids) > 0 && s.Sources.KEVAdded != nil {
		slices.Sort(ids)
		if added, err = s.Sources.KEVAdded(ctx, slices.Compact(ids)); err != nil {
			return out, err
		}
	}
	earliest := func(reason string) (time.Time, bool) {
		var t time.Time
		for _, id := range kevIDs(reason) {
			if d, ok := added[id]; ok && (t.IsZero() || d.Before(t)) {
				t = d
			}
		}
		return t, !t.IsZero()
	}
	scheme := map[string]string{}
	for _, r := range recs {
		scheme[r.ID] = r.Scheme
	}
	lastReview := map[string]iotsec.CertificationEvent{} // record -> its latest move to under review
	type acc struct {
		days, open []int
		noDate     int
	}
	per := map[string]*acc{}
	get := func(sc string) *acc {
		if per[sc] == nil {
			per[sc] = &acc{}
		}
		return per[sc]
	}
	var all []int
	for _, ev := range events {
		lastReview[ev.CertificationID] = ev
		if len(kevIDs(ev.Reason)) == 0 {
			continue
		}
		sc, ok := scheme[ev.CertificationID]
		if !ok {
			continue // a record beyond the list's page
		}
		t, ok := earliest(ev.Reason)
		if !ok {
			get(sc).noDate++
			continue
		}
		d := max(0, days(ev.At.Sub(t)))
		get(sc).days = append(get(sc).days, d)
		all = append(all, d)
	}
	out.KEVReviewDays = median(all)

	out.ByStatus = byStatus(recs, "/registry")
	levels := map[[2]string]int{}
	kinds := map[string]int{}
	for _, r := range recs {
		levels[[2]string{r.Scheme, r.Level}]++
		if r.Status != iotsec.StatusUnderReview && !(r.Status == iotsec.StatusSuspended && len(r.Reasons) > 0) {
			continue
		}
		rv := Review{ID: r.ID, Scheme: r.Scheme, Level: r.Level, Status: r.Status, Reasons: r.Reasons, Since: r.UpdatedAt, ReactionDays: -1}
		ev, reviewed := lastReview[r.ID]
		if reviewed && r.Status == iotsec.StatusUnderReview {
			rv.Since = ev.At
			if t, ok := earliest(ev.Reason); ok {
				d := iotsec.DateOf(t)
				rv.KEVAdded, rv.ReactionDays = &d, max(0, days(ev.At.Sub(t)))
			}
		}
		rv.DaysOpen = days(now.Sub(rv.Since))
		out.Reviews = append(out.Reviews, rv)
		kev := false
		for _, why := range r.Reasons {
			k := reasonKind(why)
			kinds[k]++
			kev = kev || k == "known exploited vulnerability"
		}
		if kev && r.Status == iotsec.StatusUnderReview {
			get(r.Scheme).open = append(get(r.Scheme).open, rv.DaysOpen)
		}
	}
	for _, sc := range sortedKeys(per) {
		x := per[sc]
		out.KEVReaction = append(out.KEVReaction, KEVReaction{Scheme: sc, Reviews: len(x.days), MedianDays: median(x.days), NoDate: x.noDate,
			Open: len(x.open), OpenMedianAgeDays: median(x.open)})
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
	return out, nil
}

// kevIDs are the vulnerability IDs of a review's known exploited reasons
// (market surveillance writes "ID in component is known to be exploited
// (CISA KEV)", reasons joined by "; ").
func kevIDs(reason string) []string {
	var out []string
	for _, why := range strings.Split(reason, "; ") {
		if reasonKind(why) != "known exploited vulnerability" {
			continue
		}
		if f := strings.Fields(why); len(f) > 0 && len(f[0]) <= 100 && strings.ContainsRune(f[0], '-') {
			out = append(out, strings.TrimSuffix(f[0], ":"))
		}
	}
	return out
}

func days(d time.Duration) int { return int(d.Hours() / 24) }

// median is the middle of ns (the upper one of an even count); -1 for
// none.
func median(ns []int) int {
	if len(ns) == 0 {
		return -1
	}
	ns = slices.Clone(ns)
	slices.Sort(ns)
	return ns[len(ns)/2]
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

func sortedKeys[V any](m map[string]V) []string {
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
