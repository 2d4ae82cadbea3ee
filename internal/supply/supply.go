// Package supply is the supply-chain service: it stores vulnerability data
// (internal/vuln readers) and SBOMs (internal/sbom) through iotsec.Store,
// matches each firmware version's components against the data, keeps the
// matches, VEX statements, notifications and CRA report drafts, and writes
// SBOM, VEX and CSAF documents. The CLI, API, UI and job handlers all go
// through it.
//
// Every question the API and the UI both answer (overview, vulnerabilities,
// exposure, CRA reports, support periods, a firmware version's view) is
// one method here, and so is every rule (a fix time is never in the
// future, a VEX statement applies at once); the doors decode, call one
// method and render, and name the engine's types through this package's
// aliases (Match, Statement, CVSS, KEV, EPSS), never importing vuln.
//
// Like the identity service, it sits over the store interfaces: it never
// imports storage, HTTP server packages or the doors.
package supply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/package-url/packageurl-go"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sbom"
	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

// Service is the supply-chain service.
type Service struct {
	Store iotsec.Store
	// KEK is the key-encryption key that seals webhook secrets at rest
	// (the CA keys' key); Rand is for its nonces (nil: crypto/rand).
	KEK  []byte
	Rand io.Reader
	// MaxSBOM is the largest SBOM document ImportSBOM takes, in bytes:
	// the one limit the API, the UI and the OpenAPI description state.
	MaxSBOM int64
	Now     func() time.Time
	Log     *slog.Logger
	Aliases []cpe.Alias
	// HTTP posts webhooks; nil means a client with the policy's timeout.
	HTTP *http.Client
	// Mail sends e-mail notifications; nil means none are sent.
	Mail Mailer
	// Delivery bounds the attempts of webhook and e-mail deliveries.
	Delivery DeliveryPolicy
	// IndexLimit, when above zero, lets Match keep an index of all the
	// data in memory, rebuilt after each import, while the data holds at
	// most that many advisories (some 600 bytes each); above it, and when
	// zero, Match loads the candidates of each SBOM from the store.
	IndexLimit int
	// FeedLimits bound every vulnerability data file Import reads, whatever
	// its kind; zero means vuln.DefaultFeedLimits.
	FeedLimits vuln.FeedLimits
	// Tool names iotsec, with its version, in the documents it writes.
	Tool string
	// Publisher is who the CSAF and OpenVEX documents say published them
	// (internal/config: csaf_publisher_*, csaf_namespace, by default the
	// base URL).
	Publisher Publisher
	// SourceDate, when set (SOURCE_DATE_EPOCH), is the creation time
	// written documents carry instead of Now: reproducible output.
	SourceDate time.Time
	// AfterMatch, if set, runs after every match of a firmware version
	// with all its matches as stored (the registry puts certified versions
	// that carry known exploited vulnerabilities under review). It gets the
	// state, not the change, so a retried match repeats it safely; its
	// error is the match's. A func, not an import: services stay apart.
	AfterMatch func(ctx context.Context, a iotsec.Actor, firmwareID string, matches []iotsec.VulnMatch) error
	// MatchSlot, if set, takes one of the organisation's slots for a
	// re-match asked for by a person or a token (the API's and the UI's
	// re-match, VEX and SBOM changes), so that one organisation runs at
	// most its share of matches at once across replicas, like its queued
	// re-match jobs (internal/app wires the queue's slot table). It
	// returns the function that gives the slot back, or an error of kind
	// ErrRateLimited when every slot is taken. The command line and the
	// server's own re-matches after an import run without it.
	MatchSlot func(ctx context.Context, org string) (release func(), err error)

	mu    sync.Mutex
	index cachedIndex
}

type cachedIndex struct {
	rev string
	ix  *vuln.Index // nil when the data is over IndexLimit
}

// errTooBig stops building an index over IndexLimit.
var errTooBig = errors.New("over the index limit")

// fullIndex returns the index of all the data, building it when the data
// changed since; nil when the data is over IndexLimit.
func (s *Service) fullIndex(ctx context.Context) (*vuln.Index, error) {
	rev, err := s.Store.VulnRevision(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.index.rev == rev {
		return s.index.ix, nil
	}
	b := vuln.NewBuilder(s.Aliases)
	n := 0
	d, err := s.Store.EachVuln(ctx, func(r iotsec.VulnRecord) error {
		if n++; n > s.IndexLimit {
			return errTooBig
		}
		a, err := vuln.UnmarshalAdvisory(r.Data)
		if err != nil {
			return fmt.Errorf("stored advisory %s %s: %w", r.Source, r.ID, err)
		}
		b.AddAdvisory(a)
		return nil
	})
	if errors.Is(err, errTooBig) {
		s.Log.Info("vulnerability data over the in-memory index limit; matching loads candidates per SBOM", "limit", s.IndexLimit)
		s.index = cachedIndex{rev: rev}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := addRest(b, d); err != nil {
		return nil, err
	}
	start := s.Now()
	s.index = cachedIndex{rev: rev, ix: b.Build()}
	// Building left the decoded records and rows as garbage, several
	// times the index; give it back now rather than keep it resident.
	debug.FreeOSMemory()
	s.Log.Debug("built the vulnerability index", "advisories", n, "revision", rev, "took", s.Now().Sub(start))
	return s.index.ix, nil
}

// New returns a service over store.
func New(store iotsec.Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Store: store, MaxSBOM: DefaultMaxSBOM, Now: time.Now, Log: log, Aliases: cpe.DefaultAliases(), Tool: "iotsec",
		Delivery: DefaultDeliveryPolicy(), Publisher: Publisher{Namespace: DefaultNamespace, Category: "vendor"}}
}

// Publisher is the publisher of the documents the service writes.
type Publisher struct {
	Name      string // "" for the organisation's own name
	Namespace string // absolute http(s) URL: CSAF document.publisher.namespace, base of OpenVEX @id
	Category  string // CSAF publisher category; "vendor" when empty
}

// DefaultNamespace is New's publisher namespace: the server's default
// base URL (config.Default's address). The app sets the configured one.
const DefaultNamespace = "http://localhost:8080"

// DocumentTime is the creation time of a document written now:
// SourceDate when set, else Now.
func (s *Service) DocumentTime() time.Time {
	if !s.SourceDate.IsZero() {
		return s.SourceDate.UTC()
	}
	return s.Now().UTC()
}

// DefaultMaxSBOM is the default of Service.MaxSBOM: 32 MiB.
const DefaultMaxSBOM = 32 << 20

// Target is what is matched: a firmware version and its components.
type Target struct {
	Firmware   vuln.Firmware
	Components []vuln.Component
	Source     string // "sbom" (imported) or "scan"
	Document   *sbom.Document
	firmwareID string
}

// Components returns a firmware version's components: those of its
// imported SBOM if it has one, else those its scan identified.
func (s *Service) Components(ctx context.Context, a iotsec.Actor, firmwareID string) (Target, error) {
	fw, err := s.Store.GetFirmware(ctx, a, firmwareID)
	if err != nil {
		return Target{}, err
	}
	p, err := s.Store.GetProduct(ctx, a, fw.ProductID)
	if err != nil {
		return Target{}, err
	}
	t := Target{Firmware: vuln.Firmware{Ref: FirmwareRef(p, fw)}, firmwareID: firmwareID}
	doc := &sbom.Document{Firmware: sbom.Firmware{Product: p.Name, Model: p.Model, Name: p.Name + " firmware", Version: fw.Version}}
	b, err := s.Store.GetSBOM(ctx, a, firmwareID)
	switch {
	case err == nil:
		d, _, derr := sbom.Decode(bytes.NewReader(b.Document), b.Name, sbom.DefaultLimits())
		if derr != nil {
			return Target{}, fmt.Errorf("stored SBOM of %s: %w", firmwareID, derr)
		}
		t.Source, doc = "sbom", d
		if d.Firmware.PURL != "" {
			t.Firmware.Ref.PURL = d.Firmware.PURL
		}
		if d.Firmware.CPE != "" {
			t.Firmware.Ref.CPE = d.Firmware.CPE
		}
	case errors.Is(err, iotsec.ErrNotFound):
		cs, err := s.Store.ListComponents(ctx, a, firmwareID)
		if err != nil {
			return Target{}, err
		}
		t.Source = "scan"
		if fw.ImageDigest != "" {
			doc.Firmware.Hashes = []sbom.Hash{{Alg: "SHA-256", Value: strings.TrimPrefix(fw.ImageDigest, "sha256:")}}
		}
		for _, c := range cs {
			sc := sbom.Component{Type: sbom.TypeLibrary, Name: c.Name, Version: c.Version, PURL: c.PURL}
			if c.CPE != "" {
				sc.CPEs = []string{c.CPE}
			}
			if c.Path != "" {
				sc.Files = []string{c.Path}
			}
			if c.Evidence.SHA256 != "" {
				sc.Hashes = []sbom.Hash{{Alg: "SHA-256", Value: c.Evidence.SHA256}}
			}
			doc.Components = append(doc.Components, sc)
		}
	default:
		return Target{}, err
	}
	if doc.Firmware.Product == "" {
		doc.Firmware.Product = p.Name
	}
	if doc.Firmware.Model == "" {
		doc.Firmware.Model = p.Model
	}
	if doc.Firmware.Version == "" {
		doc.Firmware.Version = fw.Version
	}
	t.Document = doc
	t.Components = VulnComponents(doc)
	return t, nil
}

// FirmwareRef is how VEX statements name a firmware version: product name
// and firmware version, and a generic purl made of the model number (unique
// in the organisation) and the version, so OpenVEX documents carry an IRI.
func FirmwareRef(p iotsec.Product, fw iotsec.FirmwareVersion) vuln.Ref {
	r := vuln.Ref{Name: p.Name, Version: fw.Version}
	model := strings.ToLower(strings.Join(strings.Fields(p.Model), "-"))
	if model != "" {
		r.PURL = packageurl.NewPackageURL("generic", "", model, fw.Version, nil, "").ToString()
	}
	return r
}

// VulnComponents turns SBOM components into what the matcher takes.
func VulnComponents(d *sbom.Document) []vuln.Component {
	out := make([]vuln.Component, 0, len(d.Components))
	for _, c := range d.Components {
		out = append(out, vuln.Component{Ref: c.Ref, Name: c.Name, Version: c.Version, CPEs: c.CPEs, PURL: c.PURL})
	}
	return out
}

// Match matches components against the stored data, applying vendor VEX
// statements and the extra statements given (a firmware version's own).
func (s *Service) Match(ctx context.Context, fw vuln.Firmware, comps []vuln.Component, extra []vuln.Statement) ([]vuln.Match, error) {
	if s.IndexLimit > 0 {
		ix, err := s.fullIndex(ctx)
		if err != nil {
			return nil, err
		}
		if ix != nil {
			return vuln.ApplyVEX(fw.Ref, ix.Match(fw, comps), extra), nil
		}
	}
	var keys []iotsec.VulnKey
	for _, c := range comps {
		for _, k := range vuln.ComponentKeys(c, s.Aliases) {
			keys = append(keys, iotsec.VulnKey{Kind: k.Kind, A: k.A, B: k.B, C: k.C})
		}
	}
	data, err := s.Store.VulnData(ctx, keys)
	if err != nil {
		return nil, err
	}
	b, err := s.builder(data)
	if err != nil {
		return nil, err
	}
	for _, st := range extra {
		b.AddStatement(st)
	}
	return b.Build().Match(fw, comps), nil
}

func (s *Service) builder(d iotsec.VulnData) (*vuln.Builder, error) {
	b := vuln.NewBuilder(s.Aliases)
	for _, r := range d.Advisories {
		a, err := vuln.UnmarshalAdvisory(r.Data)
		if err != nil {
			return nil, fmt.Errorf("stored advisory %s %s: %w", r.Source, r.ID, err)
		}
		b.AddAdvisory(a)
	}
	return b, addRest(b, d)
}

// addRest adds KEV entries, EPSS scores and vendor statements.
func addRest(b *vuln.Builder, d iotsec.VulnData) error {
	for _, r := range d.KEV {
		var k vuln.KEV
		if err := json.Unmarshal(r.Data, &k); err != nil {
			return fmt.Errorf("stored KEV entry %s: %w", r.CVE, err)
		}
		b.AddKEV(k)
	}
	for _, r := range d.EPSS {
		b.AddEPSS(vuln.EPSS{CVE: r.CVE, Score: r.Score, Percentile: r.Percentile, Date: r.Date})
	}
	for _, r := range d.Statements {
		var st vuln.Statement
		if err := json.Unmarshal(r.Data, &st); err != nil {
			return fmt.Errorf("stored VEX statement: %w", err)
		}
		b.AddStatement(st)
	}
	return nil
}

// Statements turns a firmware version's own VEX statements into the
// engine's form.
func Statements(ref vuln.Ref, vs []iotsec.VEXStatement) []vuln.Statement {
	out := make([]vuln.Statement, 0, len(vs))
	for _, v := range vs {
		st := vuln.Statement{Vulnerability: v.VulnID, Product: ref, Status: v.Status, Justification: v.Justification,
			Impact: v.Impact, Action: v.Action, Timestamp: v.CreatedAt, Source: v.ID}
		if v.Component != "" {
			st.Component = vuln.Ref{Name: v.Component, Version: v.ComponentVersion}
		}
		out = append(out, st)
	}
	return out
}

// Result is what matching one firmware version found.
type Result struct {
	FirmwareID string             `json:"firmware_id"`
	Source     string             `json:"source"` // sbom or scan
	Components int                `json:"components"`
	Matches    int                `json:"matches"`
	New        []iotsec.VulnMatch `json:"new"`
	CRADrafts  []string           `json:"cra_drafts"` // IDs of report drafts created
}

// Rematch matches a firmware version again, stores the matches, and
// records what is newly affected: a notification per new vulnerability and
// a CRA report draft for each newly known exploited one.
func (s *Service) Rematch(ctx context.Context, a iotsec.Actor, firmwareID string) (Result, error) {
	// It writes matches: refuse a reader before matching, not after.
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return Result{}, err
	}
	if s.MatchSlot != nil && (a.UserID != "" || a.TokenID != "") && ctx.Value(slotHeld{}) == nil {
		release, err := s.MatchSlot(ctx, a.OrgID)
		if err != nil {
			return Result{}, err
		}
		defer release()
	}
	t, err := s.Components(ctx, a, firmwareID)
	if err != nil {
		return Result{}, err
	}
	own, err := s.Store.ListVEX(ctx, a, firmwareID)
	if err != nil {
		return Result{}, err
	}
	ms, err := s.Match(ctx, t.Firmware, t.Components, Statements(t.Firmware.Ref, own))
	if err != nil {
		return Result{}, err
	}
	rows := make([]iotsec.VulnMatch, 0, len(ms))
	for _, m := range ms {
		rows = append(rows, Row(m))
	}
	old, err := s.Store.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: firmwareID, Suppressed: true, Limit: 10000})
	if err != nil {
		return Result{}, err
	}
	wasKEV := map[string]bool{}
	for _, m := range old {
		wasKEV[m.Key()] = m.KEV && !m.Suppressed
	}
	fresh, err := s.Store.ReplaceMatches(ctx, a, firmwareID, rows)
	if err != nil {
		return Result{}, err
	}
	res := Result{FirmwareID: firmwareID, Source: t.Source, Components: len(t.Components), Matches: len(rows), New: fresh, CRADrafts: []string{}}
	if res.New == nil {
		res.New = []iotsec.VulnMatch{}
	}
	// Known exploited now and not before (new matches, or old ones whose
	// CVE was just added to KEV, or whose VEX was withdrawn) are told;
	// every open known-exploited match has its CRA report (the CRA report
	// rule, at recordNew).
	var exploited, open []iotsec.VulnMatch
	for _, r := range rows {
		if r.KEV && !r.Suppressed {
			open = append(open, r)
			if !wasKEV[r.Key()] {
				exploited = append(exploited, r)
			}
		}
	}
	if err := s.recordNew(ctx, a, t, fresh, exploited, open, &res); err != nil {
		return res, err
	}
	if s.AfterMatch != nil {
		if err := s.AfterMatch(ctx, a, firmwareID, rows); err != nil {
			return res, fmt.Errorf("after matching %s: %w", firmwareID, err)
		}
	}
	return res, nil
}

// Row is the stored form of a match.
func Row(m vuln.Match) iotsec.VulnMatch {
	data, _ := json.Marshal(m)
	r := iotsec.VulnMatch{VulnID: m.Vulnerability.ID, Component: m.Component.Name, ComponentVersion: m.Component.Version,
		Severity: strings.ToLower(m.Vulnerability.Severity), KEV: m.Vulnerability.KEV != nil, FixedVersion: m.FixedVersion,
		Suppressed: m.Suppressed(), Data: data}
	if m.Vulnerability.CVSS != nil {
		r.Score = m.Vulnerability.CVSS.Score
		if r.Severity == "" {
			r.Severity = strings.ToLower(m.Vulnerability.CVSS.Severity)
		}
	}
	if r.Severity == "" {
		r.Severity = "unknown"
	}
	if m.Vulnerability.EPSS != nil {
		r.EPSS = m.Vulnerability.EPSS.Score
	}
	if m.VEX != nil {
		r.VEXStatus = m.VEX.Status
	}
	return r
}

// MatchOf decodes a stored match.
func MatchOf(r iotsec.VulnMatch) (vuln.Match, error) {
	var m vuln.Match
	err := json.Unmarshal(r.Data, &m)
	return m, err
}

// The CRA report rule says when a firmware version has a CRA report draft, and so
// an Art. 14 clock: every version with an open known-exploited match (a
// match of a vulnerability in CISA's KEV catalogue that no VEX statement
// suppresses) is covered by a report, whether the match is new or the
// vulnerability was added to KEV later. The Regulation's obligations are
// the product's, so there is one report per product and vulnerability: a
// second version of the product with the same match is covered by the
// report of the version it was found in first, and its clock runs from
// then. recordNew applies it; Firmware says which report covers each
// match.

func (s *Service) recordNew(ctx context.Context, a iotsec.Actor, t Target, fresh, exploited, open []iotsec.VulnMatch, res *Result) error {
	fw := t.Firmware.Ref
	var notes []iotsec.Notification
	group := func(ms []iotsec.VulnMatch) ([]string, map[string][]iotsec.VulnMatch) {
		by := map[string][]iotsec.VulnMatch{}
		var order []string
		for _, m := range ms {
			if m.Suppressed {
				continue
			}
			if _, ok := by[m.VulnID]; !ok {
				order = append(order, m.VulnID)
			}
			by[m.VulnID] = append(by[m.VulnID], m)
		}
		return order, by
	}
	describe := func(ms []iotsec.VulnMatch) string {
		var comps []string
		for _, m := range ms {
			comps = append(comps, strings.TrimSpace(m.Component+" "+m.ComponentVersion))
		}
		m := ms[0]
		body := fmt.Sprintf("%s (severity %s) affects %s.", m.VulnID, m.Severity, strings.Join(comps, ", "))
		if m.FixedVersion != "" {
			body += " Fixed in " + m.FixedVersion + "."
		}
		return body
	}
	order, byVuln := group(fresh)
	for _, id := range order {
		ms := byVuln[id]
		kind, body := "newly-affected", describe(ms)
		if ms[0].KEV {
			kind = "newly-affected-kev"
			body += " It is known to be actively exploited (CISA KEV)."
		}
		notes = append(notes, iotsec.Notification{Kind: kind, Title: fmt.Sprintf("%s %s is affected by %s", fw.Name, fw.Version, id),
			Body: body, Link: "/supply/vulnerabilities/" + id})
	}
	order, byVuln = group(exploited)
	for _, id := range order {
		ms := byVuln[id]
		if !slices.ContainsFunc(fresh, func(m iotsec.VulnMatch) bool { return m.VulnID == id }) {
			notes = append(notes, iotsec.Notification{Kind: "now-exploited", Title: fmt.Sprintf("%s in %s %s is now known to be exploited", id, fw.Name, fw.Version),
				Body: describe(ms) + " CISA added it to the Known Exploited Vulnerabilities catalogue.", Link: "/supply/vulnerabilities/" + id})
		}
	}
	// The CRA report rule: the store creates the product's report unless it
	// has one for the vulnerability.
	order, _ = group(open)
	for _, id := range order {
		r := iotsec.CRAReport{FirmwareID: t.FirmwareID(), VulnID: id, AwareAt: s.Now().UTC()}
		created, err := s.Store.CreateCRAReport(ctx, a, &r)
		if err != nil {
			return err
		}
		if created {
			res.CRADrafts = append(res.CRADrafts, r.ID)
			due := r.AwareAt.Add(24 * time.Hour).UTC().Format("2 January 2006, 15:04 UTC")
			notes = append(notes, iotsec.Notification{Kind: "cra-draft",
				Title: fmt.Sprintf("CRA report draft for %s in %s", id, fw.Name),
				Body: fmt.Sprintf("%s is actively exploited and affects %s %s. The early warning to the CSIRT and ENISA is due by %s (Art. 14(2)(a) of Regulation (EU) 2024/2847).",
					id, fw.Name, fw.Version, due),
				Link: "/supply/cra/" + r.ID})
		}
	}
	if len(notes) == 0 {
		return nil
	}
	// Stored with their deliveries, which queued jobs send: no request
	// waits on the receiving end.
	return s.Store.AddNotifications(ctx, a, notes, s.deliveries(ctx, a))
}

// FirmwareID is the firmware version a target was read for.
func (t Target) FirmwareID() string { return t.firmwareID }

// Summary is what re-matching every stored firmware version found.
type Summary struct {
	Firmware   int      `json:"firmware_versions"`
	Matches    int      `json:"matches"`
	New        int      `json:"newly_affected"`
	CRADrafts  int      `json:"cra_drafts"`
	Failed     int      `json:"failed"`
	Errors     []string `json:"errors,omitempty"`
	NewDetails []Result `json:"details,omitempty"` // the versions with new matches
}

// RematchAll matches every firmware version of every organisation again,
// as after a data import: no image is scanned again.
func (s *Service) RematchAll(ctx context.Context) (Summary, error) {
	ts, err := s.Store.MatchTargets(ctx)
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		res, err := s.Rematch(ctx, iotsec.System(t.OrgID, "rematch"), t.FirmwareID)
		if err != nil {
			sum.Failed++
			if len(sum.Errors) < 20 {
				sum.Errors = append(sum.Errors, t.FirmwareID+": "+err.Error())
			}
			s.Log.Warn("re-match failed", "firmware", t.FirmwareID, "org", t.OrgID, "err", err)
			continue
		}
		sum.Firmware++
		sum.Matches += res.Matches
		sum.New += len(res.New)
		sum.CRADrafts += len(res.CRADrafts)
		if len(res.New) > 0 && len(sum.NewDetails) < 100 {
			sum.NewDetails = append(sum.NewDetails, res)
		}
	}
	return sum, nil
}

// slotHeld marks a context whose work already holds one of its
// organisation's match slots (a queued re-match job: the queue took it).
type slotHeld struct{}

// RematchOrg matches every firmware version of the actor's organisation
// again; progress, if set, hears of each one done.
func (s *Service) RematchOrg(ctx context.Context, a iotsec.Actor, progress func(done, total int, firmwareID string)) (Summary, error) {
	fws, err := s.Store.ListFirmware(ctx, a, "")
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	for i, f := range fws {
		res, err := s.Rematch(ctx, a, f.ID)
		if err != nil {
			return sum, err
		}
		sum.Firmware++
		sum.Matches += res.Matches
		sum.New += len(res.New)
		sum.CRADrafts += len(res.CRADrafts)
		if len(res.New) > 0 && len(sum.NewDetails) < 100 {
			sum.NewDetails = append(sum.NewDetails, res)
		}
		if progress != nil {
			progress(i+1, len(fws), f.ID)
		}
	}
	return sum, nil
}

// ImportSBOM validates a maker's SBOM, stores it for the firmware version
// and matches the version again.
func (s *Service) ImportSBOM(ctx context.Context, a iotsec.Actor, firmwareID, name string, data []byte) (iotsec.SBOM, Result, error) {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return iotsec.SBOM{}, Result{}, err
	}
	if s.MaxSBOM > 0 && int64(len(data)) > s.MaxSBOM {
		return iotsec.SBOM{}, Result{}, &iotsec.Error{Kind: iotsec.ErrTooLarge, Field: "sbom",
			Message: fmt.Sprintf("the SBOM is larger than %d MiB", s.MaxSBOM>>20)}
	}
	d, f, err := sbom.Decode(bytes.NewReader(data), name, sbom.DefaultLimits())
	if err != nil {
		return iotsec.SBOM{}, Result{}, invalidSBOM(err)
	}
	b := iotsec.SBOM{FirmwareID: firmwareID, Name: name, Format: string(f), Components: len(d.Components), Document: data}
	if err := s.Store.SaveSBOM(ctx, a, &b); err != nil {
		return b, Result{}, err
	}
	res, err := s.Rematch(ctx, a, firmwareID)
	return b, res, err
}

// invalidSBOM is the error of an SBOM that does not decode or validate;
// a validation error lists each located problem in Details.
func invalidSBOM(err error) error {
	e := &iotsec.Error{Kind: iotsec.ErrInvalid, Field: "sbom", Message: err.Error(), Err: err}
	var ve *sbom.ValidationError
	if errors.As(err, &ve) {
		e.Message = fmt.Sprintf("%s has %d problem(s)", ve.File, len(ve.Problems))
		for _, p := range ve.Problems {
			e.Details = append(e.Details, p.String())
		}
		if ve.More {
			e.Details = append(e.Details, "and more problems not listed")
		}
	}
	return e
}

// SeverityRank orders severities for --fail-on; unknown ranks lowest.
func SeverityRank(s string) int {
	return slices.Index([]string{"unknown", "none", "low", "medium", "high", "critical"}, strings.ToLower(s))
}
