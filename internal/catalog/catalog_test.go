package catalog_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlite"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

var july2026 = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

func loadBase(tb testing.TB) *crosswalk.Catalog {
	tb.Helper()
	c, err := crosswalk.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// env is a SQLite store with two organisations and a library over it.
type env struct {
	lib  *catalog.Service
	s    iotsec.Store
	A, B iotsec.Actor
	ctx  context.Context
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "iotsec.db"), sqlstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	e := &env{lib: catalog.New(s, loadBase(tb)), s: s, ctx: ctx}
	e.lib.Now = func() time.Time { return july2026 }
	for i, name := range []string{"Org A", "Org B"} {
		o := iotsec.Organisation{Name: name, Country: "NL"}
		if err := s.CreateOrg(ctx, "test", &o, ""); err != nil {
			tb.Fatal(err)
		}
		a := iotsec.Actor{OrgID: o.ID, Role: iotsec.RoleOwner, Label: name}
		if i == 0 {
			e.A = a
		} else {
			e.B = a
		}
	}
	return e
}

func (e *env) view(tb testing.TB, a iotsec.Actor) *catalog.View {
	tb.Helper()
	v, err := e.lib.For(e.ctx, a)
	if err != nil {
		tb.Fatalf("For(%s): %v", a.Label, err)
	}
	return v
}

func has(v *catalog.View, slug string) bool {
	_, err := v.Scheme(slug)
	return err == nil
}

func wantKind(tb testing.TB, what string, err, kind error) {
	tb.Helper()
	if got := iotsec.Kind(err); got != kind {
		tb.Fatalf("%s: error %v (kind %v), want kind %v", what, err, got, kind)
	}
}

// TestDetailContract pins what `scheme show -o json` and GET
// /api/v1/schemes/{slug} promise: slug, provisions (id, title, kind,
// category, levels, always present), levels, dates and source.
func TestDetailContract(t *testing.T) {
	lib := catalog.New(nil, loadBase(t))
	for _, slug := range []string{"etsi-en-303-645", "sg-cls", "uk-psti"} {
		d, err := lib.Base().Scheme(slug)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(d)
		var m map[string]any
		json.Unmarshal(b, &m)
		for _, k := range []string{"slug", "title", "version", "provisions", "levels", "dates", "source", "jurisdictions", "sectors", "status", "mapping_sets"} {
			if _, ok := m[k]; !ok {
				t.Errorf("Scheme(%s) JSON lacks %q", slug, k)
			}
		}
		provs := m["provisions"].([]any)
		if len(provs) == 0 {
			t.Fatalf("Scheme(%s) has no provisions", slug)
		}
		for _, p := range provs {
			pm := p.(map[string]any)
			for _, k := range []string{"id", "title", "kind", "category", "levels"} {
				if _, ok := pm[k]; !ok {
					t.Errorf("Scheme(%s) provision %v lacks %q", slug, pm["id"], k)
				}
			}
			if k := pm["kind"]; k != "mandatory" && k != "recommended" {
				t.Errorf("Scheme(%s) provision %v kind %v", slug, pm["id"], k)
			}
			if pm["levels"] == nil {
				t.Errorf("Scheme(%s) provision %v levels is null", slug, pm["id"])
			}
		}
	}
	// CLS is cumulative: a provision required at a level is required at
	// every level above it, so every list ends at 4, and level 1's run 1-4.
	d, _ := lib.Base().Scheme("sg-cls")
	all := 0
	for _, p := range d.Provisions {
		if len(p.Levels) == 0 || p.Levels[len(p.Levels)-1] != "4" {
			t.Errorf("sg-cls %s levels = %v, want a run up to 4", p.ID, p.Levels)
		}
		if cmp.Equal(p.Levels, []string{"1", "2", "3", "4"}) {
			all++
		}
	}
	if all == 0 {
		t.Errorf("no sg-cls provision is required at levels 1-4")
	}
	if len(d.Agreements) == 0 {
		t.Errorf("sg-cls lists no recognition agreements")
	}
	en, _ := lib.Base().Scheme("etsi-en-303-645")
	if len(en.Provisions) != 68 || len(en.MappingSets) < 10 {
		t.Errorf("EN 303 645: %d provisions, %d mapping sets; want 68 and the hub's sets", len(en.Provisions), len(en.MappingSets))
	}
}

func TestErrors(t *testing.T) {
	v := catalog.New(nil, loadBase(t)).Base()
	for _, tt := range []struct {
		name    string
		err     error
		kind    error
		field   string
		message string
	}{
		{"unknown slug", func() error { _, err := v.Scheme("sg-clss"); return err }(), iotsec.ErrNotFound, "", "did you mean sg-cls"},
		{"unknown compare slug", func() error { _, err := v.Compare("cra", "uk-psti"); return err }(), iotsec.ErrNotFound, "", "eu-cra"},
		{"unknown level", func() error { _, err := v.Compare("sg-cls:9", "uk-psti"); return err }(), iotsec.ErrNotFound, "", "its levels: 1, 2, 3, 4"},
		{"level of an unlevelled scheme", func() error { _, err := v.Compare("uk-psti:1", "sg-cls"); return err }(), iotsec.ErrNotFound, "", "no levels"},
		{"missing b", func() error { _, err := v.Compare("uk-psti", ""); return err }(), iotsec.ErrInvalid, "b", "required"},
		{"bad market", func() error {
			_, err := v.Applies(crosswalk.AppliesQuery{Markets: []string{"Atlantis"}, Date: july2026})
			return err
		}(), iotsec.ErrInvalid, "markets", "ATLANTIS"},
		{"unknown class", func() error {
			_, err := v.Applies(crosswalk.AppliesQuery{Class: "toaster", Date: july2026})
			return err
		}(), iotsec.ErrInvalid, "class", "toaster"},
		{"unknown provision", func() error { _, err := v.Provision("uk-psti", "99"); return err }(), iotsec.ErrNotFound, "", "provision"},
		{"bad filter", func() error { _, err := v.Schemes(crosswalk.SchemeFilter{Status: "optional"}); return err }(), iotsec.ErrInvalid, "status", ""},
		{"recognise unknown", func() error { _, err := v.Recognise(crosswalk.RecogniseQuery{Slug: "sg", Date: july2026}); return err }(), iotsec.ErrNotFound, "", "sg-cls"},
		{"baseline unknown", func() error {
			_, err := v.Baseline(crosswalk.BaselineQuery{Schemes: []crosswalk.SchemeRef{{Slug: "psti"}}, Date: july2026})
			return err
		}(), iotsec.ErrNotFound, "", "uk-psti"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := iotsec.Kind(tt.err); got != tt.kind {
				t.Fatalf("error %v (kind %v), want kind %v", tt.err, got, tt.kind)
			}
			if got := iotsec.FieldOf(tt.err); got != tt.field {
				t.Errorf("error %v names field %q, want %q", tt.err, got, tt.field)
			}
			if !strings.Contains(tt.err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", tt.err, tt.message)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	slugs := loadBase(t).Slugs()
	for _, tt := range []struct {
		in   string
		want string // must be among the suggestions
	}{
		{"sg-clss", "sg-cls"},
		{"psti", "uk-psti"},
		{"en-303-645", "etsi-en-303-645"},
		{"etsi-en-303-646", "etsi-en-303-645"},
		{"cyber-trust", "us-cyber-trust-mark"},
		{"18031", "en-18031-1"},
	} {
		got := catalog.Suggest(tt.in, slugs)
		if !slices.Contains(got, tt.want) || len(got) > 5 {
			t.Errorf("Suggest(%q) = %v, want it to include %s", tt.in, got, tt.want)
		}
	}
	if got := catalog.Suggest("zzzzzz-qqqq", slugs); len(got) != 0 {
		t.Errorf("Suggest(nonsense) = %v, want none", got)
	}
}

// TestProvisionMapped: a provision page shows every mapped provision, and
// what the hub provisions it maps to link on to.
func TestProvisionMapped(t *testing.T) {
	v := catalog.New(nil, loadBase(t)).Base()
	d, err := v.Provision("uk-psti", "1")
	if err != nil {
		t.Fatal(err)
	}
	var direct []string
	for _, m := range d.Mapped {
		direct = append(direct, m.Scheme+" "+m.ID)
		if m.Rationale == "" || m.Provenance == "" || m.Citation.URL == "" || m.SchemeTitle == "" {
			t.Errorf("mapped %s %s lacks rationale, provenance, source or scheme title: %+v", m.Scheme, m.ID, m)
		}
	}
	for _, want := range []string{"etsi-en-303-645 5.1-1", "etsi-en-303-645 5.1-2"} {
		if !slices.Contains(direct, want) {
			t.Errorf("Provision(uk-psti 1).Mapped = %v, want %s", direct, want)
		}
	}
	var through []string
	for _, th := range d.Through {
		for _, m := range th.Mapped {
			through = append(through, m.Scheme)
		}
	}
	for _, want := range []string{"sg-cls", "eu-cra"} {
		if !slices.Contains(through, want) {
			t.Errorf("Provision(uk-psti 1).Through reaches %v, want %s via EN 303 645", through, want)
		}
	}
	for _, s := range through {
		if s == "uk-psti" {
			t.Errorf("Through leads back to the asked scheme")
		}
	}
}

func TestImportShareDelete(t *testing.T) {
	e := newEnv(t)
	bundle := readFile(t, "acme-bundle.json")
	if has(e.view(t, e.A), "acme-iot") {
		t.Fatal("acme-iot is in the catalog before any import")
	}
	res, err := e.lib.Import(e.ctx, e.A, catalog.ImportRequest{Name: "acme.json", Data: bundle})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if res.Import.Format != iotsec.SchemeFormatOSCAL || res.Import.Visibility != iotsec.VisibilityPrivate ||
		!cmp.Equal(res.Import.Slugs, []string{"acme-iot"}) || len(res.MappingSets) != 1 || res.Import.Maps != 1 {
		t.Errorf("Import result = %+v", res)
	}
	va := e.view(t, e.A)
	if !has(va, "acme-iot") || has(e.view(t, e.B), "acme-iot") {
		t.Fatal("after a private import: A must see acme-iot and B must not")
	}
	if o := va.SchemeOrigin("acme-iot"); o == nil || o.Import != res.Import.ID || o.Org != "Org A" {
		t.Errorf("SchemeOrigin(acme-iot) = %+v", o)
	}
	if v2 := e.view(t, e.A); v2 != va {
		t.Errorf("For(A) twice with no change built a new view; want the cached one")
	}
	// The imported scheme takes part in the algebra.
	cmpr, err := va.Compare("acme-iot", "uk-psti")
	if err != nil {
		t.Fatalf("Compare(acme-iot, uk-psti): %v", err)
	}
	if cmpr.Provisions[0].Coverage == crosswalk.CoverNone || len(cmpr.Provisions[0].Path) != 3 {
		t.Errorf("Compare(acme-iot, uk-psti) A-1 = %+v, want a cover through EN 303 645", cmpr.Provisions[0])
	}

	// Shared: B sees it at its next request.
	if err := e.lib.SetVisibility(e.ctx, e.A, res.Import.ID, iotsec.VisibilityShared); err != nil {
		t.Fatal(err)
	}
	vb := e.view(t, e.B)
	if !has(vb, "acme-iot") {
		t.Fatal("B does not see acme-iot after A shared it")
	}
	for _, v := range []*catalog.View{vb, e.view(t, e.A)} {
		if o := v.SchemeOrigin("acme-iot"); o == nil || o.Visibility != iotsec.VisibilityShared {
			t.Errorf("after sharing, acme-iot's origin is %+v, want shared", o)
		}
	}
	// B maps its own view onto A's shared scheme with a spreadsheet.
	csv := "from,to,sources,relationship,targets,rationale,provenance,confidence,citation_title,citation_url\n" +
		"acme-iot,uk-psti,A-1,subset-of,1,Acme's password rule is PSTI's first requirement,expert,medium,B's mapping,https://b.example/map\n"
	mres, err := e.lib.Import(e.ctx, e.B, catalog.ImportRequest{Name: "b.csv", Data: []byte(csv)})
	if err != nil {
		t.Fatalf("Import(B's CSV onto A's shared scheme): %v", err)
	}
	if mres.Import.Format != iotsec.SchemeFormatCSV || len(mres.MappingSets) != 1 || !strings.HasPrefix(mres.MappingSets[0].ID, "acme-iot--uk-psti:csv-") {
		t.Errorf("CSV import result = %+v", mres)
	}
	vb = e.view(t, e.B)
	p, err := vb.Provision("acme-iot", "A-1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(p.Mapped, func(m catalog.MappedRow) bool { return m.Scheme == "uk-psti" && m.Relationship == crosswalk.SubsetOf }) {
		t.Errorf("B's view of acme-iot A-1 lacks B's own mapping: %+v", p.Mapped)
	}
	if pa, _ := e.view(t, e.A).Provision("acme-iot", "A-1"); slices.ContainsFunc(pa.Mapped, func(m catalog.MappedRow) bool { return m.Scheme == "uk-psti" }) {
		t.Errorf("A sees B's private mapping")
	}

	// B can neither unshare nor delete A's import.
	wantKind(t, "SetVisibility(B, A's)", e.lib.SetVisibility(e.ctx, e.B, res.Import.ID, iotsec.VisibilityPrivate), iotsec.ErrNotFound)
	wantKind(t, "Delete(B, A's)", e.lib.Delete(e.ctx, e.B, res.Import.ID), iotsec.ErrNotFound)

	// A unshares: B's mapping no longer fits B's catalog and is skipped,
	// with the reason, rather than breaking B's catalog.
	if err := e.lib.SetVisibility(e.ctx, e.A, res.Import.ID, iotsec.VisibilityPrivate); err != nil {
		t.Fatal(err)
	}
	vb = e.view(t, e.B)
	if has(vb, "acme-iot") || len(vb.Skipped) != 1 || vb.Skipped[0].Import.ID != mres.Import.ID || !strings.Contains(vb.Skipped[0].Reason, "acme-iot") {
		t.Errorf("B's view after A unshared: acme-iot %v, skipped %+v", has(vb, "acme-iot"), vb.Skipped)
	}
	if !has(vb, "uk-psti") {
		t.Errorf("B's view lost the embedded catalog")
	}

	// A's own mapping onto its scheme blocks deleting the scheme.
	acsv := strings.Replace(csv, "https://b.example/map", "https://a.example/map", 1)
	ares, err := e.lib.Import(e.ctx, e.A, catalog.ImportRequest{Name: "a.csv", Data: []byte(acsv)})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, "Delete(scheme with A's own mapping onto it)", e.lib.Delete(e.ctx, e.A, res.Import.ID), iotsec.ErrConflict)
	if err := e.lib.Delete(e.ctx, e.A, ares.Import.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.lib.Delete(e.ctx, e.A, res.Import.ID); err != nil {
		t.Fatal(err)
	}
	if has(e.view(t, e.A), "acme-iot") {
		t.Errorf("acme-iot still in A's catalog after delete")
	}
}

func TestImportRefused(t *testing.T) {
	e := newEnv(t)
	bundle := readFile(t, "acme-bundle.json")
	if _, err := e.lib.Import(e.ctx, e.A, catalog.ImportRequest{Name: "acme.json", Data: bundle}); err != nil {
		t.Fatal(err)
	}
	bigCSV := "from,to\n" + strings.Repeat("x", int(crosswalk.DefaultCSVLimits().MaxBytes))
	viewer := e.A
	viewer.Role = iotsec.RoleViewer
	for _, tt := range []struct {
		name    string
		a       iotsec.Actor
		req     catalog.ImportRequest
		kind    error
		details []string // each must appear in some detail
	}{
		{"broken bundle", e.B, catalog.ImportRequest{Data: readFile(t, "broken-bundle.json")}, iotsec.ErrInvalid,
			[]string{"duplicate control ID", "profile import cycle", "dangling reference"}},
		{"same slug again", e.A, catalog.ImportRequest{Data: bundle}, iotsec.ErrInvalid, []string{"acme-iot"}},
		{"reserved slug", e.B, catalog.ImportRequest{Data: []byte(strings.ReplaceAll(string(bundle), `"acme-iot"`, `"compare"`))}, iotsec.ErrInvalid,
			[]string{"reserved word"}},
		{"bad CSV", e.B, catalog.ImportRequest{Data: []byte("from,to,sources,relationship,targets,rationale\nuk-psti,etsi-en-303-645,1,kind-of,5.1-1,x\n")},
			iotsec.ErrInvalid, []string{"line 2", "kind-of"}},
		{"CSV onto a scheme B cannot see", e.B, catalog.ImportRequest{Data: []byte("from,to,sources,relationship,targets,rationale,citation_url\n" +
			"acme-iot,uk-psti,A-1,subset-of,1,r,https://x.example\n")}, iotsec.ErrInvalid, []string{"acme-iot"}},
		{"empty", e.B, catalog.ImportRequest{Data: []byte("  \n")}, iotsec.ErrInvalid, nil},
		{"too large CSV", e.B, catalog.ImportRequest{Data: []byte(bigCSV)}, iotsec.ErrTooLarge, nil},
		{"too large", e.B, catalog.ImportRequest{Data: make([]byte, catalog.MaxBytes()+1)}, iotsec.ErrTooLarge, nil},
		{"viewer", viewer, catalog.ImportRequest{Data: bundle}, iotsec.ErrForbidden, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.lib.Import(e.ctx, tt.a, tt.req)
			wantKind(t, "Import", err, tt.kind)
			ds := strings.Join(iotsec.DetailsOf(err), "\n")
			for _, d := range tt.details {
				if !strings.Contains(ds, d) {
					t.Errorf("Import error details do not name %q:\n%s", d, ds)
				}
			}
		})
	}
	if ims, _ := e.lib.Imports(e.ctx, e.B); len(ims) != 0 {
		t.Errorf("refused imports left %d rows", len(ims))
	}
}

// TestExportRoundTrip: an imported scheme exported as OSCAL (validated
// against the schema) imports again with the same provisions and levels.
func TestExportRoundTrip(t *testing.T) {
	e := newEnv(t)
	res, err := e.lib.Import(e.ctx, e.A, catalog.ImportRequest{Name: "acme.json", Data: readFile(t, "acme-bundle.json")})
	if err != nil {
		t.Fatal(err)
	}
	va := e.view(t, e.A)
	before, _ := va.Scheme("acme-iot")
	f, err := e.lib.Export(va, "acme-iot", catalog.FormatOSCAL)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if f.ContentType != "application/json" || !strings.HasPrefix(string(f.Body), `{`) || !strings.Contains(string(f.Body), `"catalog"`) {
		t.Errorf("Export = %s, %d bytes; want one OSCAL catalog document", f.ContentType, len(f.Body))
	}
	docs, err := e.lib.ExportOSCAL(va, "acme-iot")
	if err != nil {
		t.Fatalf("ExportOSCAL: %v", err)
	}
	var files []catalog.ImportFile
	var names []string
	for _, d := range docs {
		files = append(files, catalog.ImportFile{Name: d.Name, Data: d.Body})
		names = append(names, d.Name)
	}
	if want := []string{"acme-iot.catalog.json", "acme-iot.basic.profile.json", "acme-iot--etsi-en-303-645.mapping.json"}; len(names) != 3 || names[0] != want[0] {
		t.Errorf("ExportOSCAL files = %v, want the catalog first, a profile and a mapping collection like %v", names, want)
	}
	if err := e.lib.Delete(e.ctx, e.A, res.Import.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.lib.Import(e.ctx, e.A, catalog.ImportRequest{Name: f.Name, Files: files}); err != nil {
		t.Fatalf("re-import the export: %v", err)
	}
	after, _ := e.view(t, e.A).Scheme("acme-iot")
	type row struct {
		ID, Title, Kind string
		Levels          []string
	}
	rows := func(d catalog.Detail) []row {
		var out []row
		for _, p := range d.Provisions {
			out = append(out, row{p.ID, p.Title, p.Kind, p.Levels})
		}
		return out
	}
	if diff := cmp.Diff(rows(before), rows(after)); diff != "" {
		t.Errorf("provisions after export and re-import (-before +after):\n%s", diff)
	}
	for _, format := range []string{catalog.FormatCSV, catalog.FormatProvisionCSV} {
		f, err := e.lib.Export(e.view(t, e.A), "uk-psti", format)
		if err != nil || !strings.HasPrefix(f.ContentType, "text/csv") || len(f.Body) == 0 {
			t.Errorf("Export(uk-psti, %s) = %s %d bytes, %v", format, f.ContentType, len(f.Body), err)
		}
	}
	_, err = e.lib.Export(e.view(t, e.A), "uk-psti", "xml")
	wantKind(t, "Export(xml)", err, iotsec.ErrInvalid)
	// The CSV export is the import format: a mapping spreadsheet.
	f, _ = e.lib.Export(e.view(t, e.A), "uk-psti", catalog.FormatCSV)
	if _, err := crosswalk.ReadMappingsCSV(strings.NewReader(string(f.Body)), crosswalk.DefaultCSVLimits()); err != nil {
		t.Errorf("the CSV export does not read back: %v", err)
	}
}

func TestProductQuery(t *testing.T) {
	v := catalog.New(nil, loadBase(t)).Base()
	for _, tt := range []struct {
		p             iotsec.Product
		class, sector string
		notes         int
	}{
		{iotsec.Product{Class: "camera", Sector: "consumer", Markets: []string{"EU"}}, "camera", "consumer", 0},
		{iotsec.Product{Class: "speaker", Sector: "consumer", Markets: []string{"GB"}}, "smart-speaker", "consumer", 0},
		{iotsec.Product{Class: "medical", Sector: "health", Markets: []string{"US"}}, "medical-device", "medical", 0},
		{iotsec.Product{Class: "sensor", Sector: "buildings", Markets: []string{"EU"}}, "", "", 2},
		{iotsec.Product{Class: "camera", Sector: "industrial"}, "camera", "", 2},
	} {
		class, sector, _, notes := v.ProductQuery(tt.p)
		if class != tt.class || sector != tt.sector || len(notes) != tt.notes {
			t.Errorf("ProductQuery(%s, %s) = %q, %q, %v; want %q, %q and %d notes", tt.p.Class, tt.p.Sector, class, sector, notes, tt.class, tt.sector, tt.notes)
		}
	}
}

// TestSupersedingImport: a private spreadsheet marked Supersedes replaces
// the catalog's map in its organisation's view and nowhere else; Prepare
// stores nothing; a superseding import is neither made shared nor shared
// later; one that names no existing map is refused.
func TestSupersedingImport(t *testing.T) {
	e := newEnv(t)
	sheet := func(targets string) []byte {
		return []byte("from,to,sources,relationship,targets,rationale,provenance,confidence,citation_title,citation_url\n" +
			"uk-psti,etsi-en-303-645,1,intersects-with," + targets + ",reviewed,expert,medium,workspace W,https://iotsec.example/workspaces/w\n")
	}
	full := func(a iotsec.Actor) int {
		c, err := e.view(t, a).Compare("uk-psti", "etsi-en-303-645")
		if err != nil {
			t.Fatal(err)
		}
		return c.Stats.Full
	}
	before := full(e.A)
	req := catalog.ImportRequest{Name: "change", Format: iotsec.SchemeFormatCSV, Visibility: iotsec.VisibilityPrivate, Data: sheet("5.1-1;5.1-2"), Supersedes: true}
	im, err := e.lib.Prepare(e.ctx, e.A, req)
	if err != nil {
		t.Fatal(err)
	}
	if im.ID != "" || len(im.Parsed) == 0 || full(e.A) != before {
		t.Fatalf("Prepare stored or changed something: %+v", meta(im))
	}
	shared := req
	shared.Visibility = iotsec.VisibilityShared
	if _, err := e.lib.Import(e.ctx, e.A, shared); iotsec.Kind(err) != iotsec.ErrInvalid {
		t.Fatalf("shared superseding import: %v, want invalid", err)
	}
	bad := req
	bad.Data = sheet("5.1-1")
	if _, err := e.lib.Import(e.ctx, e.A, bad); iotsec.Kind(err) != iotsec.ErrInvalid || !strings.Contains(strings.Join(iotsec.DetailsOf(err), " "), "replaces no map") {
		t.Fatalf("superseding no map: %v %v, want invalid naming it", err, iotsec.DetailsOf(err))
	}
	res, err := e.lib.Import(e.ctx, e.A, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := full(e.A); got != before-1 {
		t.Errorf("A's full coverage = %d after the change, want %d", got, before-1)
	}
	if got := full(e.B); got != before {
		t.Errorf("B's full coverage = %d, want %d (A's change is A's alone)", got, before)
	}
	if err := e.lib.SetVisibility(e.ctx, e.A, res.Import.ID, iotsec.VisibilityShared); iotsec.Kind(err) != iotsec.ErrConflict {
		t.Fatalf("sharing a superseding import: %v, want conflict", err)
	}
}

func meta(im iotsec.SchemeImport) string { return im.ID + " " + im.Name }
