package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

const productColumns = "id, org_id, name, model, class, sector, markets, description, support_months, support_policy, update_delivery, security_contact, created_at, updated_at"

func scanProduct(sc interface{ Scan(...any) error }) (iotsec.Product, error) {
	var p iotsec.Product
	var markets string
	err := sc.Scan(&p.ID, &p.OrgID, &p.Name, &p.Model, &p.Class, &p.Sector, &markets, &p.Description, &p.SupportMonths, &p.SupportPolicy, &p.UpdateDelivery, &p.SecurityContact, tscan{&p.CreatedAt}, tscan{&p.UpdatedAt})
	p.Markets = splitList(markets)
	return p, err
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func (s *Store) CreateProduct(ctx context.Context, a iotsec.Actor, p *iotsec.Product) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	p.ID, p.OrgID = s.ids.New(iotsec.PrefixProduct), a.OrgID
	p.CreatedAt = s.now()
	p.UpdatedAt = p.CreatedAt
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO products ("+productColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			p.ID, p.OrgID, p.Name, p.Model, p.Class, p.Sector, strings.Join(p.Markets, ","), p.Description, p.SupportMonths, p.SupportPolicy,
			p.UpdateDelivery, p.SecurityContact, s.t(p.CreatedAt), s.t(p.UpdatedAt))
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return &iotsec.Error{Kind: iotsec.ErrConflict, Field: "model_number", Message: fmt.Sprintf("a product with model number %q exists", p.Model)}
			}
			return fmt.Errorf("insert product: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "product.create", p.ID, map[string]any{"name": p.Name, "model_number": p.Model})
	})
}

func (s *Store) GetProduct(ctx context.Context, a iotsec.Actor, id string) (iotsec.Product, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.Product{}, err
	}
	p, err := scanProduct(s.db.QueryRowContext(ctx, s.q("SELECT "+productColumns+" FROM products WHERE id = ? AND org_id = ?"), id, a.OrgID))
	return p, notFound(err, "product")
}

func (s *Store) ListProducts(ctx context.Context, a iotsec.Actor) ([]iotsec.Product, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+productColumns+" FROM products WHERE org_id = ? ORDER BY name, model"), a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Product{}
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *Store) UpdateProduct(ctx context.Context, a iotsec.Actor, p *iotsec.Product) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanProduct(tx.QueryRowContext(ctx, s.q("SELECT "+productColumns+" FROM products WHERE id = ? AND org_id = ?"), p.ID, a.OrgID))
		if err != nil {
			return notFound(err, "product")
		}
		p.OrgID, p.CreatedAt, p.UpdatedAt = old.OrgID, old.CreatedAt, s.now()
		_, err = tx.ExecContext(ctx, s.q(`UPDATE products SET name = ?, model = ?, class = ?, sector = ?, markets = ?, description = ?, support_months = ?,
			support_policy = ?, update_delivery = ?, security_contact = ?, updated_at = ? WHERE id = ? AND org_id = ?`),
			p.Name, p.Model, p.Class, p.Sector, strings.Join(p.Markets, ","), p.Description, p.SupportMonths, p.SupportPolicy,
			p.UpdateDelivery, p.SecurityContact, s.t(p.UpdatedAt), p.ID, a.OrgID)
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return &iotsec.Error{Kind: iotsec.ErrConflict, Field: "model_number", Message: fmt.Sprintf("a product with model number %q exists", p.Model)}
			}
			return fmt.Errorf("update product: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "product.update", p.ID, changes(old, *p))
	})
}

func (s *Store) DeleteProduct(ctx context.Context, a iotsec.Actor, id string) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		p, err := scanProduct(tx.QueryRowContext(ctx, s.q("SELECT "+productColumns+" FROM products WHERE id = ? AND org_id = ?"), id, a.OrgID))
		if err != nil {
			return notFound(err, "product")
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM devices WHERE org_id = ? AND product_id = ?"), a.OrgID, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iotsec.Conflict("%d devices of this product exist; delete or move them first", n)
		}
		if err := s.noCertifications(ctx, tx, a.OrgID, "product_id", id); err != nil {
			return err
		}
		digests, err := s.productDigests(ctx, tx, a.OrgID, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM firmware WHERE org_id = ? AND product_id = ?"), a.OrgID, id); err != nil {
			return fmt.Errorf("delete firmware: %w", err)
		}
		for _, d := range digests {
			if err := s.dropImageIfUnused(ctx, tx, a.OrgID, d); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM products WHERE id = ? AND org_id = ?"), id, a.OrgID); err != nil {
			return fmt.Errorf("delete product: %w", s.classify(err))
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "product.delete", id, map[string]any{"name": p.Name, "model_number": p.Model})
	})
}

const firmwareColumns = "id, org_id, product_id, version, released_on, support_end, image_digest, created_at"

func scanFirmware(sc interface{ Scan(...any) error }) (iotsec.FirmwareVersion, error) {
	var f iotsec.FirmwareVersion
	err := sc.Scan(&f.ID, &f.OrgID, &f.ProductID, &f.Version, dscan{&f.ReleasedOn}, dscan{&f.SupportEnd}, &f.ImageDigest, tscan{&f.CreatedAt})
	return f, err
}

func versionConflict(v string) error {
	return &iotsec.Error{Kind: iotsec.ErrConflict, Field: "version", Message: fmt.Sprintf("version %q of this product exists", v)}
}

func (s *Store) CreateFirmware(ctx context.Context, a iotsec.Actor, f *iotsec.FirmwareVersion) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := f.Normalize(); err != nil {
		return err
	}
	f.ID, f.OrgID, f.CreatedAt = s.ids.New(iotsec.PrefixFirmware), a.OrgID, s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		var months int
		err := tx.QueryRowContext(ctx, s.q("SELECT support_months FROM products WHERE id = ? AND org_id = ?"), f.ProductID, a.OrgID).Scan(&months)
		if err != nil {
			return notFound(err, "product")
		}
		// Without its own support end, a version gets the period its
		// product promises from its release.
		f.SupportEnd = f.SupportUntil(iotsec.Product{SupportMonths: months})
		_, err = tx.ExecContext(ctx, s.q("INSERT INTO firmware ("+firmwareColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
			f.ID, f.OrgID, f.ProductID, f.Version, s.date(f.ReleasedOn), s.date(f.SupportEnd), f.ImageDigest, s.t(f.CreatedAt))
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return versionConflict(f.Version)
			}
			return fmt.Errorf("insert firmware: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "firmware.create", f.ID, map[string]any{"product_id": f.ProductID, "version": f.Version})
	})
}

func (s *Store) GetFirmware(ctx context.Context, a iotsec.Actor, id string) (iotsec.FirmwareVersion, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.FirmwareVersion{}, err
	}
	f, err := scanFirmware(s.db.QueryRowContext(ctx, s.q("SELECT "+firmwareColumns+" FROM firmware WHERE id = ? AND org_id = ?"), id, a.OrgID))
	return f, notFound(err, "firmware version")
}

func (s *Store) ListFirmware(ctx context.Context, a iotsec.Actor, productID string) ([]iotsec.FirmwareVersion, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	query, args := "SELECT "+firmwareColumns+" FROM firmware WHERE org_id = ?", []any{a.OrgID}
	if productID != "" {
		var n int
		if err := s.db.QueryRowContext(ctx, s.q("SELECT count(*) FROM products WHERE id = ? AND org_id = ?"), productID, a.OrgID).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, iotsec.NotFound("product")
		}
		query, args = query+" AND product_id = ?", append(args, productID)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+" ORDER BY product_id, created_at, id"), args...)
	if err != nil {
		return nil, fmt.Errorf("list firmware: %w", err)
	}
	defer rows.Close()
	out := []iotsec.FirmwareVersion{}
	for rows.Next() {
		f, err := scanFirmware(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Store) UpdateFirmware(ctx context.Context, a iotsec.Actor, f *iotsec.FirmwareVersion) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := f.Normalize(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanFirmware(tx.QueryRowContext(ctx, s.q("SELECT "+firmwareColumns+" FROM firmware WHERE id = ? AND org_id = ?"), f.ID, a.OrgID))
		if err != nil {
			return notFound(err, "firmware version")
		}
		// A version stays with its product: moving it would silently change
		// what every device running it is.
		f.OrgID, f.ProductID, f.CreatedAt = old.OrgID, old.ProductID, old.CreatedAt
		_, err = tx.ExecContext(ctx, s.q("UPDATE firmware SET version = ?, released_on = ?, support_end = ?, image_digest = ? WHERE id = ? AND org_id = ?"),
			f.Version, s.date(f.ReleasedOn), s.date(f.SupportEnd), f.ImageDigest, f.ID, a.OrgID)
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return versionConflict(f.Version)
			}
			return fmt.Errorf("update firmware: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "firmware.update", f.ID, changes(old, *f))
	})
}

func (s *Store) DeleteFirmware(ctx context.Context, a iotsec.Actor, id string) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		f, err := scanFirmware(tx.QueryRowContext(ctx, s.q("SELECT "+firmwareColumns+" FROM firmware WHERE id = ? AND org_id = ?"), id, a.OrgID))
		if err != nil {
			return notFound(err, "firmware version")
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM devices WHERE firmware_id = ? AND org_id = ?"), id, a.OrgID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iotsec.Conflict("%d devices run this version; update them first", n)
		}
		if err := s.noCertifications(ctx, tx, a.OrgID, "firmware_id", id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM firmware WHERE id = ? AND org_id = ?"), id, a.OrgID); err != nil {
			return fmt.Errorf("delete firmware: %w", s.classify(err))
		}
		if f.ImageDigest != "" {
			if err := s.dropImageIfUnused(ctx, tx, a.OrgID, f.ImageDigest); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "firmware.delete", id, map[string]any{"product_id": f.ProductID, "version": f.Version})
	})
}

// productDigests lists the image digests of a product's firmware versions.
func (s *Store) productDigests(ctx context.Context, tx *sql.Tx, org, product string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, s.q("SELECT DISTINCT image_digest FROM firmware WHERE org_id = ? AND product_id = ? AND image_digest <> ''"), org, product)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// noCertifications refuses to delete a product or firmware version that
// has certification records: they are public record, kept for good.
func (s *Store) noCertifications(ctx context.Context, tx *sql.Tx, org, column, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM certifications WHERE org_id = ? AND "+column+" = ?"), org, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return iotsec.Conflict("%d certification records name it; they are kept for good", n)
	}
	return nil
}
