package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// schemeColumns are the import's metadata; source and parsed are read only
// where asked for.
const schemeColumns = "i.id, i.org_id, o.name, i.name, i.format, i.visibility, i.slugs, i.mapping_sets, i.maps, i.created_by, i.created_at, i.updated_at, length(i.source)"

// visible selects the imports of the actor's organisation and the ones
// others shared; the one argument is the organisation.
const visible = "(i.org_id = ? OR i.visibility = 'shared')"

func scanImport(sc interface{ Scan(...any) error }, extra ...any) (iotsec.SchemeImport, error) {
	var im iotsec.SchemeImport
	var slugs, sets string
	dst := append([]any{&im.ID, &im.OrgID, &im.OrgName, &im.Name, &im.Format, &im.Visibility, &slugs, &sets, &im.Maps, &im.CreatedBy,
		tscan{&im.CreatedAt}, tscan{&im.UpdatedAt}, &im.Bytes}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return im, err
	}
	im.Slugs, im.MappingSets = splitList(slugs), splitList(sets)
	return im, nil
}

// slugConflict says which slug clashed. It runs after the failed
// transaction has ended: a failed statement aborts a PostgreSQL
// transaction, and a second writer would wait on SQLite's lock.
func (s *Store) slugConflict(ctx context.Context, orgID string, slugs []string, shared bool) error {
	for _, slug := range slugs {
		var n int
		q := "SELECT count(*) FROM scheme_slugs WHERE slug = ? AND org_id = ?"
		args := []any{slug, orgID}
		if shared {
			q = "SELECT count(*) FROM scheme_slugs WHERE slug = ? AND (org_id = ? OR shared = ?)"
			args = append(args, true)
		}
		if err := s.db.QueryRowContext(ctx, s.q(q), args...).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			where := "this organisation has already imported a scheme"
			if shared {
				where = "a shared scheme (or one of this organisation's) already has"
			}
			return &iotsec.Error{Kind: iotsec.ErrConflict, Field: "slug", Message: fmt.Sprintf("%s with slug %q", where, slug)}
		}
	}
	return iotsec.Conflict("a scheme slug of this import is taken")
}

func (s *Store) bumpSchemes(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "UPDATE scheme_revision SET rev = rev + 1 WHERE id = 1"); err != nil {
		return fmt.Errorf("bump scheme revision: %w", err)
	}
	return nil
}

func (s *Store) CreateSchemeImport(ctx context.Context, a iotsec.Actor, im *iotsec.SchemeImport) error {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	if err := im.Normalize(); err != nil {
		return err
	}
	im.ID, im.OrgID, im.CreatedBy = s.ids.New(iotsec.PrefixImport), a.OrgID, a.Name()
	im.CreatedAt = s.now()
	im.UpdatedAt = im.CreatedAt
	shared := im.Visibility == iotsec.VisibilityShared
	var clash bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), a.OrgID).Scan(&im.OrgName); err != nil {
			return notFound(err, "organisation")
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO scheme_imports (id, org_id, name, format, visibility, slugs, mapping_sets, maps, created_by, created_at, updated_at, source, parsed)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			im.ID, im.OrgID, im.Name, im.Format, im.Visibility, strings.Join(im.Slugs, ","), strings.Join(im.MappingSets, ","), im.Maps,
			im.CreatedBy, s.t(im.CreatedAt), s.t(im.UpdatedAt), im.Source, string(im.Parsed))
		if err != nil {
			return fmt.Errorf("insert scheme import: %w", err)
		}
		for _, slug := range im.Slugs {
			_, err := tx.ExecContext(ctx, s.q("INSERT INTO scheme_slugs (slug, org_id, import_id, shared) VALUES (?, ?, ?, ?)"), slug, im.OrgID, im.ID, shared)
			if err != nil {
				if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
					clash = true
				}
				return fmt.Errorf("insert scheme slug: %w", err)
			}
		}
		if err := s.bumpSchemes(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "scheme.import", im.ID, map[string]any{
			"name": im.Name, "format": im.Format, "visibility": im.Visibility, "slugs": im.Slugs, "mapping_sets": im.MappingSets, "bytes": im.Bytes})
	})
	if clash {
		return s.slugConflict(ctx, im.OrgID, im.Slugs, shared)
	}
	return err
}

func (s *Store) GetSchemeImport(ctx context.Context, a iotsec.Actor, id string) (iotsec.SchemeImport, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.SchemeImport{}, err
	}
	var parsed string
	var src blob
	im, err := scanImport(s.db.QueryRowContext(ctx, s.q("SELECT "+schemeColumns+", i.source, i.parsed FROM scheme_imports i JOIN orgs o ON o.id = i.org_id WHERE i.id = ? AND "+visible),
		id, a.OrgID), &src, &parsed)
	if err != nil {
		return im, notFound(err, "scheme import")
	}
	im.Source, im.Parsed = src.b, []byte(parsed)
	return im, nil
}

// blob scans a BLOB or BYTEA column into a copy the driver cannot reuse.
type blob struct{ b []byte }

func (d *blob) Scan(src any) error {
	switch x := src.(type) {
	case []byte:
		d.b = append([]byte(nil), x...)
	case string:
		d.b = []byte(x)
	case nil:
		d.b = nil
	default:
		return fmt.Errorf("scan source: unexpected %T", src)
	}
	return nil
}

func (s *Store) listImports(ctx context.Context, a iotsec.Actor, parsed bool) ([]iotsec.SchemeImport, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	cols := schemeColumns
	if parsed {
		cols += ", i.parsed"
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+cols+" FROM scheme_imports i JOIN orgs o ON o.id = i.org_id WHERE "+visible+" ORDER BY i.id"), a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list scheme imports: %w", err)
	}
	defer rows.Close()
	out := []iotsec.SchemeImport{}
	for rows.Next() {
		var p string
		var extra []any
		if parsed {
			extra = append(extra, &p)
		}
		im, err := scanImport(rows, extra...)
		if err != nil {
			return nil, err
		}
		if parsed {
			im.Parsed = []byte(p)
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

func (s *Store) ListSchemeImports(ctx context.Context, a iotsec.Actor) ([]iotsec.SchemeImport, error) {
	return s.listImports(ctx, a, false)
}

func (s *Store) LoadSchemeImports(ctx context.Context, a iotsec.Actor) ([]iotsec.SchemeImport, error) {
	return s.listImports(ctx, a, true)
}

// ownImport reads one of the actor's organisation's own imports inside tx;
// another organisation's, even shared, is not found.
func (s *Store) ownImport(ctx context.Context, tx *sql.Tx, a iotsec.Actor, id string) (iotsec.SchemeImport, error) {
	im, err := scanImport(tx.QueryRowContext(ctx, s.q("SELECT "+schemeColumns+" FROM scheme_imports i JOIN orgs o ON o.id = i.org_id WHERE i.id = ? AND i.org_id = ?"), id, a.OrgID))
	return im, notFound(err, "scheme import")
}

func (s *Store) SetSchemeVisibility(ctx context.Context, a iotsec.Actor, id string, v iotsec.Visibility) error {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	if !v.Valid() {
		return iotsec.Invalid("visibility", "must be %s or %s", iotsec.VisibilityPrivate, iotsec.VisibilityShared)
	}
	var clash bool
	var im iotsec.SchemeImport
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if im, err = s.ownImport(ctx, tx, a, id); err != nil {
			return err
		}
		if im.Visibility == v {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE scheme_imports SET visibility = ?, updated_at = ? WHERE id = ? AND org_id = ?"), v, s.t(s.now()), id, a.OrgID); err != nil {
			return fmt.Errorf("update scheme import: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE scheme_slugs SET shared = ? WHERE import_id = ?"), v == iotsec.VisibilityShared, id); err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				clash = true
				return err
			}
			return fmt.Errorf("update scheme slugs: %w", err)
		}
		if err := s.bumpSchemes(ctx, tx); err != nil {
			return err
		}
		action := "scheme.share"
		if v == iotsec.VisibilityPrivate {
			action = "scheme.unshare"
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), action, id, map[string]any{"name": im.Name, "slugs": im.Slugs})
	})
	if clash {
		return s.sharedClash(ctx, id, im.Slugs)
	}
	return err
}

// sharedClash names the slug another shared import already carries.
func (s *Store) sharedClash(ctx context.Context, id string, slugs []string) error {
	for _, slug := range slugs {
		var n int
		err := s.db.QueryRowContext(ctx, s.q("SELECT count(*) FROM scheme_slugs WHERE slug = ? AND shared = ? AND import_id <> ?"), slug, true, id).Scan(&n)
		if err == nil && n > 0 {
			return &iotsec.Error{Kind: iotsec.ErrConflict, Field: "slug", Message: fmt.Sprintf("another shared scheme already has slug %q", slug)}
		}
	}
	return iotsec.Conflict("another shared scheme has a slug of this import")
}

func (s *Store) DeleteSchemeImport(ctx context.Context, a iotsec.Actor, id string) error {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		im, err := s.ownImport(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM scheme_slugs WHERE import_id = ?"), id); err != nil {
			return fmt.Errorf("delete scheme slugs: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM scheme_imports WHERE id = ? AND org_id = ?"), id, a.OrgID); err != nil {
			return fmt.Errorf("delete scheme import: %w", err)
		}
		if err := s.bumpSchemes(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "scheme.delete", id, map[string]any{"name": im.Name, "slugs": im.Slugs, "mapping_sets": im.MappingSets})
	})
}

func (s *Store) SchemeRevision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.db.QueryRowContext(ctx, "SELECT rev FROM scheme_revision WHERE id = 1").Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("scheme revision: %w", err)
	}
	return rev, nil
}
