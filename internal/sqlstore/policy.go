package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

const policyColumns = `p.id, p.org_id, o.name, p.jurisdiction, p.action, p.entry_id, p.entry, p.rationale, p.status,
	p.proposed_by, p.proposer_id, p.proposed_at, p.reviewed_by, p.reviewed_at, p.review_note`

func scanPolicy(r interface{ Scan(...any) error }) (iotsec.PolicyProposal, error) {
	var p iotsec.PolicyProposal
	var entry string
	err := r.Scan(&p.ID, &p.OrgID, &p.OrgName, &p.Jurisdiction, &p.Action, &p.EntryID, &entry, &p.Rationale, &p.Status,
		&p.ProposedBy, &p.ProposerID, tscan{&p.ProposedAt}, &p.ReviewedBy, tscan{&p.ReviewedAt}, &p.ReviewNote)
	if entry != "" {
		p.Entry = []byte(entry)
	}
	return p, err
}

// actorID is the user or token behind an actor, for the four-eyes rule.
func actorID(a iotsec.Actor) string {
	if a.TokenID != "" {
		return "tok:" + a.TokenID
	}
	if a.UserID != "" {
		return "usr:" + a.UserID
	}
	return "sys:" + a.Label
}

func (s *Store) CreatePolicyProposal(ctx context.Context, a iotsec.Actor, p *iotsec.PolicyProposal) error {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	p.ID, p.OrgID, p.Status = s.ids.New(iotsec.PrefixPolicy), a.OrgID, iotsec.PolicyPending
	p.ProposedBy, p.ProposerID, p.ProposedAt = a.Name(), actorID(a), s.now()
	p.ReviewedBy, p.ReviewedAt, p.ReviewNote = "", time.Time{}, ""
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), a.OrgID).Scan(&p.OrgName); err != nil {
			return notFound(err, "organisation")
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO policy_proposals (id, org_id, jurisdiction, action, entry_id, entry, rationale, status,
			proposed_by, proposer_id, proposed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			p.ID, p.OrgID, p.Jurisdiction, p.Action, p.EntryID, string(p.Entry), p.Rationale, p.Status, p.ProposedBy, p.ProposerID, s.t(p.ProposedAt))
		if err != nil {
			return fmt.Errorf("insert policy proposal: %w", err)
		}
		if err := s.policyEvent(ctx, tx, p.ID, p.ProposedAt, p.ProposedBy, p.Status, p.Rationale); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "policy.propose", p.ID, map[string]any{
			"jurisdiction": p.Jurisdiction, "action": p.Action, "entry_id": p.EntryID})
	})
}

func (s *Store) policyEvent(ctx context.Context, tx *sql.Tx, id string, at time.Time, by string, st iotsec.PolicyStatus, note string) error {
	_, err := tx.ExecContext(ctx, s.q("INSERT INTO policy_events (proposal_id, at, by_name, status, note) VALUES (?, ?, ?, ?, ?)"),
		id, s.t(at), by, st, note)
	if err != nil {
		return fmt.Errorf("insert policy event: %w", err)
	}
	return nil
}

func (s *Store) ListPolicyProposals(ctx context.Context, a iotsec.Actor, status iotsec.PolicyStatus) ([]iotsec.PolicyProposal, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	q := "SELECT " + policyColumns + " FROM policy_proposals p JOIN orgs o ON o.id = p.org_id WHERE p.org_id = ?"
	args := []any{a.OrgID}
	if status != "" {
		q += " AND p.status = ?"
		args = append(args, status)
	}
	return s.policyList(ctx, q+" ORDER BY p.id DESC", args...)
}

func (s *Store) policyList(ctx context.Context, q string, args ...any) ([]iotsec.PolicyProposal, error) {
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list policy proposals: %w", err)
	}
	defer rows.Close()
	out := []iotsec.PolicyProposal{}
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *Store) GetPolicyProposal(ctx context.Context, a iotsec.Actor, id string) (iotsec.PolicyProposal, []iotsec.PolicyEvent, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.PolicyProposal{}, nil, err
	}
	p, err := scanPolicy(s.db.QueryRowContext(ctx, s.q("SELECT "+policyColumns+" FROM policy_proposals p JOIN orgs o ON o.id = p.org_id WHERE p.id = ? AND p.org_id = ?"), id, a.OrgID))
	if err != nil {
		return p, nil, notFound(err, "policy proposal")
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT proposal_id, at, by_name, status, note FROM policy_events WHERE proposal_id = ? ORDER BY seq"), id)
	if err != nil {
		return p, nil, fmt.Errorf("policy events: %w", err)
	}
	defer rows.Close()
	var evs []iotsec.PolicyEvent
	for rows.Next() {
		var e iotsec.PolicyEvent
		if err := rows.Scan(&e.ProposalID, tscan{&e.At}, &e.By, &e.Status, &e.Note); err != nil {
			return p, nil, err
		}
		evs = append(evs, e)
	}
	return p, evs, rows.Err()
}

func (s *Store) ReviewPolicyProposal(ctx context.Context, a iotsec.Actor, id string, accept bool, note string) (iotsec.PolicyProposal, error) {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return iotsec.PolicyProposal{}, err
	}
	if len(note) > iotsec.MaxPolicyRationale {
		return iotsec.PolicyProposal{}, iotsec.Invalid("note", "must be at most %d characters", iotsec.MaxPolicyRationale)
	}
	var p iotsec.PolicyProposal
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = scanPolicy(tx.QueryRowContext(ctx, s.q("SELECT "+policyColumns+" FROM policy_proposals p JOIN orgs o ON o.id = p.org_id WHERE p.id = ? AND p.org_id = ?"), id, a.OrgID))
		if err != nil {
			return notFound(err, "policy proposal")
		}
		if p.Status != iotsec.PolicyPending {
			return iotsec.Conflict("the proposal was already %s", p.Status)
		}
		if p.ProposerID == actorID(a) {
			return iotsec.Forbidden("a proposal is reviewed by someone other than its proposer")
		}
		p.Status = iotsec.PolicyRejected
		if accept {
			p.Status = iotsec.PolicyAccepted
		}
		p.ReviewedBy, p.ReviewedAt, p.ReviewNote = a.Name(), s.now(), note
		res, err := tx.ExecContext(ctx, s.q(`UPDATE policy_proposals SET status = ?, reviewed_by = ?, reviewed_at = ?, review_note = ?
			WHERE id = ? AND org_id = ? AND status = ?`), p.Status, p.ReviewedBy, s.t(p.ReviewedAt), p.ReviewNote, id, a.OrgID, iotsec.PolicyPending)
		if err != nil {
			return fmt.Errorf("review policy proposal: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return iotsec.Conflict("the proposal was reviewed meanwhile")
		}
		if err := s.policyEvent(ctx, tx, p.ID, p.ReviewedAt, p.ReviewedBy, p.Status, note); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "policy.review", p.ID, map[string]any{"status": p.Status})
	})
	return p, err
}

func (s *Store) AcceptedPolicyProposals(ctx context.Context) ([]iotsec.PolicyProposal, error) {
	return s.policyList(ctx, "SELECT "+policyColumns+" FROM policy_proposals p JOIN orgs o ON o.id = p.org_id WHERE p.status = ? ORDER BY p.reviewed_at, p.id",
		iotsec.PolicyAccepted)
}
