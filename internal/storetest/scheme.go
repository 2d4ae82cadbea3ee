package storetest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func (f *fixture) schemeImport(t *testing.T, a iotsec.Actor, slug string, v iotsec.Visibility) iotsec.SchemeImport {
	t.Helper()
	im := iotsec.SchemeImport{Name: slug + ".json", Format: iotsec.SchemeFormatOSCAL, Visibility: v, Slugs: []string{slug},
		MappingSets: []string{slug + "--etsi-en-303-645:u1"}, Maps: 2,
		Source: []byte(`[{"catalog": {}}]`), Parsed: []byte(`{"schemes":[{"slug":"` + slug + `"}]}`)}
	if err := f.s.CreateSchemeImport(f.ctx, a, &im); err != nil {
		t.Fatalf("CreateSchemeImport(%s): %v", slug, err)
	}
	return im
}

func (f *fixture) revision(t *testing.T) int64 {
	t.Helper()
	r, err := f.s.SchemeRevision(f.ctx)
	if err != nil {
		t.Fatalf("SchemeRevision: %v", err)
	}
	return r
}

func importIDs(ims []iotsec.SchemeImport) []string {
	var out []string
	for _, im := range ims {
		out = append(out, im.ID)
	}
	return out
}

// testSchemes: imports are the organisation's; shared ones are visible to
// every organisation but changed or deleted only by their owner; slugs are
// unique within an organisation and among shared imports.
func testSchemes(t *testing.T, open Opener) {
	f := setup(t, open)
	rev0 := f.revision(t)
	priv := f.schemeImport(t, f.A, "acme-iot", iotsec.VisibilityPrivate)
	if priv.OrgID != f.a.ID || priv.OrgName != "Org A" || priv.Bytes != len(`[{"catalog": {}}]`) || priv.CreatedAt.IsZero() || priv.ID == "" {
		t.Errorf("CreateSchemeImport filled in %+v", priv)
	}
	if r := f.revision(t); r <= rev0 {
		t.Errorf("SchemeRevision after an import = %d, want more than %d", r, rev0)
	}

	got, err := f.s.GetSchemeImport(f.ctx, f.A, priv.ID)
	wantKind(t, "GetSchemeImport(own)", err, nil)
	if string(got.Source) != string(priv.Source) || string(got.Parsed) != string(priv.Parsed) {
		t.Errorf("GetSchemeImport source/parsed = %q / %q", got.Source, got.Parsed)
	}
	got.Source, got.Parsed = nil, nil
	want := priv
	want.Source, want.Parsed = nil, nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetSchemeImport (-want +got):\n%s", diff)
	}

	// Private: another organisation sees nothing and can touch nothing.
	for _, c := range []struct {
		name string
		err  error
	}{
		{"GetSchemeImport", func() error { _, err := f.s.GetSchemeImport(f.ctx, f.B, priv.ID); return err }()},
		{"SetSchemeVisibility", f.s.SetSchemeVisibility(f.ctx, f.B, priv.ID, iotsec.VisibilityShared)},
		{"DeleteSchemeImport", f.s.DeleteSchemeImport(f.ctx, f.B, priv.ID)},
	} {
		wantKind(t, c.name+"(B, A's private import)", c.err, iotsec.ErrNotFound)
	}
	for _, list := range []func(iotsec.Actor) ([]iotsec.SchemeImport, error){
		func(a iotsec.Actor) ([]iotsec.SchemeImport, error) { return f.s.ListSchemeImports(f.ctx, a) },
		func(a iotsec.Actor) ([]iotsec.SchemeImport, error) { return f.s.LoadSchemeImports(f.ctx, a) },
	} {
		ims, err := list(f.B)
		wantKind(t, "list imports (B)", err, nil)
		if len(ims) != 0 {
			t.Errorf("B lists A's private import: %v", importIDs(ims))
		}
		ims, _ = list(f.A)
		if !cmp.Equal(importIDs(ims), []string{priv.ID}) {
			t.Errorf("A lists %v, want its own import", importIDs(ims))
		}
	}

	// Shared: another organisation reads it, but cannot change or delete it.
	rev1 := f.revision(t)
	wantKind(t, "SetSchemeVisibility(shared)", f.s.SetSchemeVisibility(f.ctx, f.A, priv.ID, iotsec.VisibilityShared), nil)
	if r := f.revision(t); r <= rev1 {
		t.Errorf("SchemeRevision after sharing = %d, want more than %d", r, rev1)
	}
	got, err = f.s.GetSchemeImport(f.ctx, f.B, priv.ID)
	wantKind(t, "GetSchemeImport(B, shared)", err, nil)
	if got.Visibility != iotsec.VisibilityShared || got.OrgName != "Org A" || string(got.Parsed) != string(priv.Parsed) {
		t.Errorf("B reads the shared import as %+v", got)
	}
	loaded, _ := f.s.LoadSchemeImports(f.ctx, f.B)
	if len(loaded) != 1 || string(loaded[0].Parsed) != string(priv.Parsed) {
		t.Errorf("LoadSchemeImports(B) = %+v, want A's shared import with its content", loaded)
	}
	listed, _ := f.s.ListSchemeImports(f.ctx, f.B)
	if len(listed) != 1 || listed[0].Parsed != nil || listed[0].Source != nil {
		t.Errorf("ListSchemeImports(B) = %+v, want A's shared import without content", listed)
	}
	wantKind(t, "SetSchemeVisibility(B, A's shared import)", f.s.SetSchemeVisibility(f.ctx, f.B, priv.ID, iotsec.VisibilityPrivate), iotsec.ErrNotFound)
	wantKind(t, "DeleteSchemeImport(B, A's shared import)", f.s.DeleteSchemeImport(f.ctx, f.B, priv.ID), iotsec.ErrNotFound)
	got, _ = f.s.GetSchemeImport(f.ctx, f.A, priv.ID)
	if got.Visibility != iotsec.VisibilityShared {
		t.Errorf("after B's attempts the import is %s", got.Visibility)
	}

	// Slugs: unique within an organisation, and among shared imports.
	dup := iotsec.SchemeImport{Name: "again", Format: iotsec.SchemeFormatOSCAL, Slugs: []string{"acme-iot"}, Source: []byte("x"), Parsed: []byte("{}")}
	err = f.s.CreateSchemeImport(f.ctx, f.A, &dup)
	wantKind(t, "CreateSchemeImport(same slug, same org)", err, iotsec.ErrConflict)
	wantField(t, "CreateSchemeImport(same slug, same org)", err, "slug")
	bPriv := iotsec.SchemeImport{Name: "b", Format: iotsec.SchemeFormatOSCAL, Slugs: []string{"acme-iot"}, Source: []byte("x"), Parsed: []byte("{}")}
	wantKind(t, "CreateSchemeImport(B, slug A shares, private)", f.s.CreateSchemeImport(f.ctx, f.B, &bPriv), nil)
	err = f.s.SetSchemeVisibility(f.ctx, f.B, bPriv.ID, iotsec.VisibilityShared)
	wantKind(t, "SetSchemeVisibility(B shares a slug A shares)", err, iotsec.ErrConflict)
	wantField(t, "SetSchemeVisibility(B shares a slug A shares)", err, "slug")
	bShared := iotsec.SchemeImport{Name: "b2", Format: iotsec.SchemeFormatOSCAL, Visibility: iotsec.VisibilityShared, Slugs: []string{"acme-iot", "b-other"},
		Source: []byte("x"), Parsed: []byte("{}")}
	wantKind(t, "CreateSchemeImport(B, shared, slug A shares)", f.s.CreateSchemeImport(f.ctx, f.B, &bShared), iotsec.ErrConflict)
	if ims, _ := f.s.ListSchemeImports(f.ctx, f.B); len(ims) != 2 {
		t.Errorf("a refused import left rows behind: B lists %v", importIDs(ims))
	}
	// A mapping-only import adds no slug.
	maps := iotsec.SchemeImport{Name: "maps.csv", Format: iotsec.SchemeFormatCSV, MappingSets: []string{"uk-psti--sg-cls:csv-1"}, Maps: 3,
		Source: []byte("from,to\n"), Parsed: []byte("{}")}
	wantKind(t, "CreateSchemeImport(mappings only)", f.s.CreateSchemeImport(f.ctx, f.A, &maps), nil)

	for _, tt := range []struct {
		name  string
		im    iotsec.SchemeImport
		field string
	}{
		{"bad visibility", iotsec.SchemeImport{Format: "oscal", Visibility: "public", Slugs: []string{"x"}, Parsed: []byte("{}")}, "visibility"},
		{"bad format", iotsec.SchemeImport{Format: "xml", Slugs: []string{"x"}, Parsed: []byte("{}")}, "format"},
		{"adds nothing", iotsec.SchemeImport{Format: "csv", Parsed: []byte("{}")}, "body"},
		{"comma in slug", iotsec.SchemeImport{Format: "oscal", Slugs: []string{"a,b"}, Parsed: []byte("{}")}, "body"},
		{"newline in name", iotsec.SchemeImport{Name: "a\nb", Format: "oscal", Slugs: []string{"x"}, Parsed: []byte("{}")}, "name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			im := tt.im
			err := f.s.CreateSchemeImport(f.ctx, f.A, &im)
			wantKind(t, "CreateSchemeImport", err, iotsec.ErrInvalid)
			wantField(t, "CreateSchemeImport", err, tt.field)
		})
	}

	// Roles: assessors, admins and owners import; makers and viewers read.
	for _, role := range iotsec.Roles() {
		a := iotsec.Actor{OrgID: f.a.ID, Role: role, Label: string(role)}
		im := iotsec.SchemeImport{Name: "r", Format: "oscal", Slugs: []string{"role-" + string(role)}, Source: []byte("x"), Parsed: []byte("{}")}
		err := f.s.CreateSchemeImport(f.ctx, a, &im)
		if role.Allows(iotsec.PermWriteSchemes) {
			wantKind(t, "CreateSchemeImport as "+string(role), err, nil)
			wantKind(t, "DeleteSchemeImport as "+string(role), f.s.DeleteSchemeImport(f.ctx, a, im.ID), nil)
		} else {
			wantKind(t, "CreateSchemeImport as "+string(role), err, iotsec.ErrForbidden)
			wantKind(t, "SetSchemeVisibility as "+string(role), f.s.SetSchemeVisibility(f.ctx, a, priv.ID, iotsec.VisibilityPrivate), iotsec.ErrForbidden)
			wantKind(t, "DeleteSchemeImport as "+string(role), f.s.DeleteSchemeImport(f.ctx, a, priv.ID), iotsec.ErrForbidden)
			if _, err := f.s.ListSchemeImports(f.ctx, a); err != nil {
				t.Errorf("ListSchemeImports as %s: %v", role, err)
			}
		}
	}
	if role := iotsec.RoleMaker; role.Allows(iotsec.PermWriteSchemes) {
		t.Errorf("makers may import schemes; the role matrix says only assessors, admins and owners")
	}

	// Unshare and delete: the owner may; the slug is free again after.
	wantKind(t, "SetSchemeVisibility(private)", f.s.SetSchemeVisibility(f.ctx, f.A, priv.ID, iotsec.VisibilityPrivate), nil)
	if ims, _ := f.s.ListSchemeImports(f.ctx, f.B); slices.Contains(importIDs(ims), priv.ID) {
		t.Errorf("B still lists A's import after it was unshared")
	}
	rev2 := f.revision(t)
	wantKind(t, "DeleteSchemeImport", f.s.DeleteSchemeImport(f.ctx, f.A, priv.ID), nil)
	if r := f.revision(t); r <= rev2 {
		t.Errorf("SchemeRevision after a delete = %d, want more than %d", r, rev2)
	}
	_, err = f.s.GetSchemeImport(f.ctx, f.A, priv.ID)
	wantKind(t, "GetSchemeImport(deleted)", err, iotsec.ErrNotFound)
	wantKind(t, "DeleteSchemeImport(again)", f.s.DeleteSchemeImport(f.ctx, f.A, priv.ID), iotsec.ErrNotFound)
	again := iotsec.SchemeImport{Name: "again", Format: "oscal", Slugs: []string{"acme-iot"}, Source: []byte("x"), Parsed: []byte("{}")}
	wantKind(t, "CreateSchemeImport(slug freed by delete)", f.s.CreateSchemeImport(f.ctx, f.A, &again), nil)

	// Every change is in the audit log, in the organisation's name.
	events, err := f.s.ListAudit(f.ctx, f.A, iotsec.AuditFilter{Limit: 100})
	wantKind(t, "ListAudit", err, nil)
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Action] = true
	}
	for _, action := range []string{"scheme.import", "scheme.share", "scheme.unshare", "scheme.delete"} {
		if !seen[action] {
			t.Errorf("audit log lacks %s", action)
		}
	}
}
