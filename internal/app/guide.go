package app

import (
	"context"
	"slices"
	"time"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/policy"
)

// specSlug is the assessment specification whose test groups and IXIT
// categories say what evidence a lab asks for.
const specSlug = "etsi-ts-103-701"

// hubSlug is the scheme the firmware rules' provisions belong to.
const hubSlug = assess.Hub

// catalogGuide gives the policy service's guides the embedded catalog's
// harmonised baseline for a product, the schemes behind it with their
// dates, and the assessment specification's test groups.
func catalogGuide(c *catalog.Service) func(ctx context.Context, q policy.GuideQuery) (*policy.GuideCatalog, error) {
	return func(ctx context.Context, q policy.GuideQuery) (*policy.GuideCatalog, error) {
		v := c.Base()
		cat := v.Catalog()
		ap, err := v.Applies(catalog.AppliesQuery{Class: q.Class, Sector: q.Sector, Markets: q.Markets, Date: q.Date})
		if err != nil {
			return nil, err
		}
		bl, err := v.Baseline(catalog.BaselineQuery{Class: q.Class, Sector: q.Sector, Markets: q.Markets, Date: q.Date, Voluntary: true})
		if err != nil {
			// Markets with no scheme of their own (only international
			// standards apply): the baseline of the standards that apply.
			var refs []catalog.SchemeRef
			for _, a := range ap.Schemes {
				if a.Available {
					refs = append(refs, catalog.ParseRef(a.Slug))
				}
			}
			if len(refs) == 0 {
				return nil, err
			}
			if bl, err = v.Baseline(catalog.BaselineQuery{Schemes: refs, Class: q.Class, Sector: q.Sector, Date: q.Date}); err != nil {
				return nil, err
			}
			bl.Query.Markets = ap.Query.Markets
		}
		out := &policy.GuideCatalog{Class: bl.Query.Class, ClassTitle: bl.Query.Class, Sector: bl.Query.Sector, Markets: bl.Query.Markets, Hub: bl.Hub}
		for _, cl := range cat.Vocabulary().Classes {
			if cl.ID == out.Class {
				out.ClassTitle = cl.Title
			}
		}
		schemeRef := func(slug string) policy.CatalogRef {
			s, err := cat.Scheme(slug)
			if err != nil {
				return policy.CatalogRef{Scheme: slug, Title: slug}
			}
			return policy.CatalogRef{Scheme: slug, Title: s.Title, URL: s.Source.URL, Clause: s.Source.Clause}
		}
		for _, a := range ap.Schemes {
			if !a.Available {
				continue
			}
			ref := schemeRef(a.Slug)
			if a.Source.URL != "" {
				ref.URL, ref.Clause = a.Source.URL, a.Source.Clause
			}
			out.Schemes = append(out.Schemes, policy.GuideScheme{Ref: ref, Type: a.Type, Status: a.Status, Markets: a.Markets,
				From: string(a.From), InForce: a.InForce, Level: a.Level})
		}
		spec, specErr := cat.Scheme(specSlug)
		for _, l := range bl.Lines {
			ref := schemeRef(l.Scheme)
			ref.ID, ref.Title = l.ID, ref.Title+" "+l.ID+": "+l.Title
			gl := policy.GuideLine{Ref: ref, Statement: l.Statement, Kind: l.Kind}
			if s, err := cat.Scheme(l.Scheme); err == nil {
				if p, ok := s.Provision(l.ID); ok {
					gl.TextKind = p.TextKind
				}
			}
			gl.Title = l.Title
			for _, sv := range l.Serves {
				gl.Serves = append(gl.Serves, policy.GuideServed{Scheme: sv.Scheme, ID: sv.ID, Title: sv.Title, Kind: sv.Kind, Coverage: sv.Coverage})
			}
			if specErr == nil && spec.Profile != nil && spec.Profile.Of == l.Scheme {
				i := slices.IndexFunc(spec.Provisions, func(p crosswalk.Provision) bool { return p.Ref == l.ID })
				if i >= 0 {
					p := spec.Provisions[i]
					gl.Group = &policy.CatalogRef{Scheme: spec.Slug, ID: p.ID, Title: spec.Title + ": " + p.Title, URL: spec.Source.URL}
					for _, t := range p.Tests {
						gl.Tests = append(gl.Tests, policy.GuideTest{ID: t.ID, Type: t.Type})
					}
				}
			}
			out.Lines = append(out.Lines, gl)
		}
		if specErr == nil {
			ref := schemeRef(specSlug)
			out.Spec = &ref
			for _, x := range spec.IXIT {
				out.IXIT = append(out.IXIT, policy.IXITCategory{ID: x.ID, Title: x.Title})
			}
		}
		return out, nil
	}
}

// checkRules lists iotsec's automated checks for the guides: the firmware
// rules' EN 303 645 provisions and the assessment's direct table.
func checkRules(hub string) func() []policy.CheckRule {
	return func() []policy.CheckRule {
		var out []policy.CheckRule
		for _, r := range inspect.Rules() {
			for _, p := range r.Provisions {
				out = append(out, policy.CheckRule{Rule: r.Rule, Scheme: hub, Provision: p, Basis: "indicative",
					Source: "docs/evaluation.md, rule table (inspect.Rules)"})
			}
		}
		for _, d := range assess.DirectRules() {
			out = append(out, policy.CheckRule{Rule: d.Rule, Scheme: d.Scheme, Provision: d.Provision, Basis: "direct",
				Source: "docs/evaluation.md, direct evidence table (assess.DirectRules): " + d.Reason})
		}
		return out
	}
}

// catalogCalls gives the policy service the embedded catalog's gap
// matrix of every market and sector on a date, grouped into calls.
func catalogCalls(c *catalog.Service) func(ctx context.Context, date time.Time) (*policy.CallsCatalog, error) {
	return func(ctx context.Context, date time.Time) (*policy.CallsCatalog, error) {
		v := c.Base()
		g, err := v.Gaps(catalog.GapQuery{Date: date})
		if err != nil {
			return nil, err
		}
		cat := v.Catalog()
		out := &policy.CallsCatalog{Markets: g.Markets, Matrix: policy.CatalogRef{Scheme: "gaps:" + date.UTC().Format("2006-01-02"),
			Title:  "iotsec catalog gap matrix (sector × product class × market) on " + date.UTC().Format("2006-01-02"),
			Clause: "iotsec scheme gaps --date " + date.UTC().Format("2006-01-02") + "; GET /api/v1/schemes/gaps"}}
		for _, gr := range g.Groups {
			in := policy.CallGroupIn{Kind: gr.Kind, Markets: gr.Markets, Sectors: gr.Sectors, Classes: gr.Classes, Text: gr.Text}
			for _, slug := range gr.Schemes {
				ref := policy.CatalogRef{Scheme: slug, Title: slug}
				if s, err := cat.Scheme(slug); err == nil {
					ref.Title, ref.URL, ref.Clause = s.Title, s.Source.URL, s.Source.Clause
				}
				in.Schemes = append(in.Schemes, ref)
			}
			for _, cell := range gr.Cells {
				in.Cells = append(in.Cells, policy.CallCellIn{Sector: cell.Sector, Class: cell.Class, Title: cell.Title})
			}
			out.Groups = append(out.Groups, in)
		}
		return out, nil
	}
}
