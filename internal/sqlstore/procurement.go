package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/iotsec/iotsec/internal/iotsec"
)

const procurementColumns = "id, org_id, name, labels, min_support_years, no_kev, sbom_required, created_at, updated_at"

func scanProcurement(r interface{ Scan(...any) error }) (iotsec.ProcurementPolicy, error) {
	var p iotsec.ProcurementPolicy
	var labels string
	err := r.Scan(&p.ID, &p.OrgID, &p.Name, &labels, &p.MinSupportYears, &p.NoKEV, &p.SBOMRequired, tscan{&p.CreatedAt}, tscan{&p.UpdatedAt})
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(labels), &p.Labels); err != nil {
		return p, fmt.Errorf("procurement policy %s: labels: %w", p.ID, err)
	}
	return p, nil
}

func (s *Store) CreateProcurementPolicy(ctx context.Context, a iotsec.Actor, p *iotsec.ProcurementPolicy) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	labels, err := json.Marshal(p.Labels)
	if err != nil {
		return err
	}
	p.ID, p.OrgID = s.ids.New(iotsec.PrefixProcurement), a.OrgID
	p.CreatedAt = s.now()
	p.UpdatedAt = p.CreatedAt
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO procurement_policies ("+procurementColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			p.ID, p.OrgID, p.Name, string(labels), p.MinSupportYears, p.NoKEV, p.SBOMRequired, s.t(p.CreatedAt), s.t(p.UpdatedAt))
		if err != nil {
			return fmt.Errorf("insert procurement policy: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "procurement.create", p.ID, map[string]any{"name": p.Name})
	})
}

func (s *Store) UpdateProcurementPolicy(ctx context.Context, a iotsec.Actor, p *iotsec.ProcurementPolicy) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	labels, err := json.Marshal(p.Labels)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanProcurement(tx.QueryRowContext(ctx, s.q("SELECT "+procurementColumns+" FROM procurement_policies WHERE id = ? AND org_id = ?"), p.ID, a.OrgID))
		if err != nil {
			return notFound(err, "procurement policy")
		}
		p.OrgID, p.CreatedAt, p.UpdatedAt = old.OrgID, old.CreatedAt, s.now()
		_, err = tx.ExecContext(ctx, s.q(`UPDATE procurement_policies SET name = ?, labels = ?, min_support_years = ?, no_kev = ?, sbom_required = ?,
			updated_at = ? WHERE id = ? AND org_id = ?`), p.Name, string(labels), p.MinSupportYears, p.NoKEV, p.SBOMRequired, s.t(p.UpdatedAt), p.ID, a.OrgID)
		if err != nil {
			return fmt.Errorf("update procurement policy: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "procurement.update", p.ID, map[string]any{"name": p.Name})
	})
}

func (s *Store) GetProcurementPolicy(ctx context.Context, a iotsec.Actor, id string) (iotsec.ProcurementPolicy, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.ProcurementPolicy{}, err
	}
	p, err := scanProcurement(s.db.QueryRowContext(ctx, s.q("SELECT "+procurementColumns+" FROM procurement_policies WHERE id = ? AND org_id = ?"), id, a.OrgID))
	return p, notFound(err, "procurement policy")
}

func (s *Store) ListProcurementPolicies(ctx context.Context, a iotsec.Actor) ([]iotsec.ProcurementPolicy, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+procurementColumns+" FROM procurement_policies WHERE org_id = ? ORDER BY name, id"), a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list procurement policies: %w", err)
	}
	defer rows.Close()
	out := []iotsec.ProcurementPolicy{}
	for rows.Next() {
		p, err := scanProcurement(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *Store) DeleteProcurementPolicy(ctx context.Context, a iotsec.Actor, id string) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q("DELETE FROM procurement_policies WHERE id = ? AND org_id = ?"), id, a.OrgID)
		if err != nil {
			return fmt.Errorf("delete procurement policy: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return iotsec.NotFound("procurement policy")
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "procurement.delete", id, nil)
	})
}
