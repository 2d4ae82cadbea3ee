package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

const recognitionColumns = `r.id, r.from_org_id, fo.name, r.to_org_id, tor.name, r.from_scheme, r.from_level, r.to_scheme, r.to_level, r.kind,
	r.rationale, r.status, r.requested_by, r.requested_at, r.closed_by, r.reason, r.closed_at, r.imports`

const recognitionFrom = ` FROM recognition_requests r JOIN orgs fo ON fo.id = r.from_org_id JOIN orgs tor ON tor.id = r.to_org_id`

func scanRecognition(sc interface{ Scan(...any) error }) (iotsec.RecognitionRequest, error) {
	var r iotsec.RecognitionRequest
	var imports string
	err := sc.Scan(&r.ID, &r.FromOrgID, &r.FromOrgName, &r.ToOrgID, &r.ToOrgName, &r.FromScheme, &r.FromLevel, &r.ToScheme, &r.ToLevel, &r.Kind,
		&r.Rationale, &r.Status, &r.RequestedBy, tscan{&r.RequestedAt}, &r.ClosedBy, &r.Reason, tscan{&r.ClosedAt}, &imports)
	r.Imports = splitList(imports)
	if r.Imports == nil {
		r.Imports = []string{}
	}
	return r, err
}

// recognition reads one request the actor's organisation sent or
// received; any other is not found.
func (s *Store) recognition(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, a iotsec.Actor, id string) (iotsec.RecognitionRequest, error) {
	r, err := scanRecognition(q.QueryRowContext(ctx, s.q("SELECT "+recognitionColumns+recognitionFrom+
		" WHERE r.id = ? AND (r.from_org_id = ? OR r.to_org_id = ?)"), id, a.OrgID, a.OrgID))
	return r, notFound(err, "recognition request")
}

func (s *Store) CreateRecognitionRequest(ctx context.Context, a iotsec.Actor, r *iotsec.RecognitionRequest) error {
	if err := a.CanRequestRecognition(); err != nil {
		return err
	}
	if err := r.Normalize(); err != nil {
		return err
	}
	r.ID, r.FromOrgID, r.RequestedBy, r.RequestedAt = s.ids.New(iotsec.PrefixRecognition), a.OrgID, a.Name(), s.now()
	r.Status, r.Imports = iotsec.RecognitionSubmitted, []string{}
	r.ClosedBy, r.Reason = "", ""
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var owner string
		err := tx.QueryRowContext(ctx, s.q("SELECT org_id FROM scheme_operators WHERE scheme = ? AND role = 'owner'"), r.FromScheme).Scan(&owner)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("scheme owner: %w", err)
		}
		if owner != a.OrgID {
			return iotsec.Forbidden("only the owner of scheme %s asks for its recognition; this organisation is not registered as its owner", r.FromScheme)
		}
		err = tx.QueryRowContext(ctx, s.q("SELECT org_id FROM scheme_operators WHERE scheme = ? AND role = 'owner'"), r.ToScheme).Scan(&r.ToOrgID)
		if err == sql.ErrNoRows {
			return &iotsec.Error{Kind: iotsec.ErrInvalid, Field: "to_scheme", Message: fmt.Sprintf("scheme %s has no registered owner to ask", r.ToScheme)}
		}
		if err != nil {
			return fmt.Errorf("scheme owner: %w", err)
		}
		var pending int
		if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM recognition_requests WHERE from_org_id = ? AND status = ?"), a.OrgID,
			iotsec.RecognitionSubmitted).Scan(&pending); err != nil {
			return fmt.Errorf("count pending recognition requests: %w", err)
		}
		if pending >= iotsec.MaxPendingRecognitions {
			return iotsec.Conflict("this organisation has %d requests waiting for an answer, the most it may; withdraw one first", pending)
		}
		if r.ToOrgID == a.OrgID {
			return iotsec.Invalid("to_scheme", "this organisation owns %s too; a recognition between its own schemes needs no request", r.ToScheme)
		}
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), a.OrgID).Scan(&r.FromOrgName); err != nil {
			return notFound(err, "organisation")
		}
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), r.ToOrgID).Scan(&r.ToOrgName); err != nil {
			return notFound(err, "organisation")
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO recognition_requests (id, from_org_id, to_org_id, from_scheme, from_level, to_scheme, to_level,
			kind, rationale, status, requested_by, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			r.ID, r.FromOrgID, r.ToOrgID, r.FromScheme, r.FromLevel, r.ToScheme, r.ToLevel, r.Kind, r.Rationale, r.Status, r.RequestedBy, s.t(r.RequestedAt)); err != nil {
			return fmt.Errorf("insert recognition request: %w", err)
		}
		details := map[string]any{"from": r.FromScheme, "from_level": r.FromLevel, "to": r.ToScheme, "to_level": r.ToLevel, "kind": r.Kind, "to_org": r.ToOrgID}
		if err := s.audit(ctx, tx, a.OrgID, a.Name(), "recognition.request", r.ID, details); err != nil {
			return err
		}
		return s.audit(ctx, tx, r.ToOrgID, a.Name(), "recognition.received", r.ID, details)
	})
	return err
}

func (s *Store) ListRecognitionRequests(ctx context.Context, a iotsec.Actor) ([]iotsec.RecognitionRequest, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+recognitionColumns+recognitionFrom+
		" WHERE r.from_org_id = ? OR r.to_org_id = ? ORDER BY r.requested_at DESC, r.id DESC LIMIT ?"), a.OrgID, a.OrgID, iotsec.MaxListedRecognitions)
	if err != nil {
		return nil, fmt.Errorf("list recognition requests: %w", err)
	}
	defer rows.Close()
	out := []iotsec.RecognitionRequest{}
	for rows.Next() {
		r, err := scanRecognition(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) GetRecognitionRequest(ctx context.Context, a iotsec.Actor, id string) (iotsec.RecognitionRequest, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.RecognitionRequest{}, err
	}
	return s.recognition(ctx, s.db, a, id)
}

// moveRecognition moves a submitted request the actor's organisation may
// move (allow) to another status, and writes what else the move stores
// (more), with the audit events of both organisations.
func (s *Store) moveRecognition(ctx context.Context, a iotsec.Actor, id string, to iotsec.RecognitionStatus, reason string,
	allow func(r iotsec.RecognitionRequest) error, more func(tx *sql.Tx, r iotsec.RecognitionRequest) ([]string, error)) (iotsec.RecognitionRequest, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.RecognitionRequest{}, err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		r, err := s.recognition(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := a.CanRequestRecognition(); err != nil {
			return err
		}
		if err := allow(r); err != nil {
			return err
		}
		if r.Status != iotsec.RecognitionSubmitted {
			return iotsec.Conflict("only a submitted request is %s; this one is %s", to, r.Status)
		}
		var imports []string
		if more != nil {
			if imports, err = more(tx, r); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE recognition_requests SET status = ?, closed_by = ?, reason = ?, closed_at = ?, imports = ?
			WHERE id = ? AND status = ?`), to, a.Name(), reason, s.t(s.now()), strings.Join(imports, ","), id, iotsec.RecognitionSubmitted)
		if err != nil {
			return fmt.Errorf("move recognition request: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return iotsec.Conflict("the request changed meanwhile")
		}
		action := map[iotsec.RecognitionStatus]string{iotsec.RecognitionAgreed: "recognition.agree", iotsec.RecognitionRefused: "recognition.refuse",
			iotsec.RecognitionWithdrawn: "recognition.withdraw"}[to]
		details := map[string]any{"reason": reason, "imports": imports}
		if err := s.audit(ctx, tx, r.FromOrgID, a.Name(), action, id, details); err != nil {
			return err
		}
		return s.audit(ctx, tx, r.ToOrgID, a.Name(), action, id, details)
	})
	if err != nil {
		return iotsec.RecognitionRequest{}, err
	}
	return s.recognition(ctx, s.db, a, id)
}

func (s *Store) CloseRecognitionRequest(ctx context.Context, a iotsec.Actor, id string, to iotsec.RecognitionStatus, reason string) (iotsec.RecognitionRequest, error) {
	reason = strings.TrimSpace(reason)
	var allow func(r iotsec.RecognitionRequest) error
	switch to {
	case iotsec.RecognitionRefused:
		if reason == "" || len(reason) > iotsec.MaxWorkspaceText {
			return iotsec.RecognitionRequest{}, iotsec.Invalid("reason", "a refusal says why: 1 to %d characters", iotsec.MaxWorkspaceText)
		}
		allow = func(r iotsec.RecognitionRequest) error {
			if r.ToOrgID != a.OrgID {
				return iotsec.Forbidden("only the addressee refuses a request")
			}
			return nil
		}
	case iotsec.RecognitionWithdrawn:
		if len(reason) > iotsec.MaxWorkspaceText {
			return iotsec.RecognitionRequest{}, iotsec.Invalid("reason", "must be at most %d characters", iotsec.MaxWorkspaceText)
		}
		allow = func(r iotsec.RecognitionRequest) error {
			if r.FromOrgID != a.OrgID {
				return iotsec.Forbidden("only the requester withdraws a request")
			}
			return nil
		}
	default:
		return iotsec.RecognitionRequest{}, iotsec.Invalid("status", "a request is closed as %s or %s", iotsec.RecognitionRefused, iotsec.RecognitionWithdrawn)
	}
	return s.moveRecognition(ctx, a, id, to, reason, allow, nil)
}

func (s *Store) AgreeRecognitionRequest(ctx context.Context, a iotsec.Actor, id string, imports []iotsec.SchemeImport) (iotsec.RecognitionRequest, error) {
	for i := range imports {
		im := &imports[i]
		if err := im.Normalize(); err != nil {
			return iotsec.RecognitionRequest{}, err
		}
		if im.Format != iotsec.SchemeFormatAgreement {
			return iotsec.RecognitionRequest{}, iotsec.Invalid("imports", "an agreement stores private agreement imports only")
		}
	}
	allow := func(r iotsec.RecognitionRequest) error {
		if r.ToOrgID != a.OrgID {
			return iotsec.Forbidden("only the addressee agrees to a request")
		}
		for _, im := range imports {
			if im.OrgID != r.FromOrgID && im.OrgID != r.ToOrgID {
				return iotsec.Invalid("imports", "an agreement writes into the catalogs of the two parties only")
			}
		}
		return nil
	}
	more := func(tx *sql.Tx, r iotsec.RecognitionRequest) ([]string, error) {
		by := "system:recognition " + id
		var ids []string
		for i := range imports {
			im := &imports[i]
			if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), im.OrgID).Scan(&im.OrgName); err != nil {
				return nil, notFound(err, "organisation")
			}
			im.ID, im.CreatedBy, im.CreatedAt = s.ids.New(iotsec.PrefixImport), by, s.now()
			im.UpdatedAt = im.CreatedAt
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO scheme_imports (id, org_id, name, format, visibility, slugs, mapping_sets, maps, created_by, created_at, updated_at, source, parsed)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				im.ID, im.OrgID, im.Name, im.Format, im.Visibility, "", "", 0,
				im.CreatedBy, s.t(im.CreatedAt), s.t(im.UpdatedAt), im.Source, string(im.Parsed)); err != nil {
				return nil, fmt.Errorf("insert the agreement's import for %s: %w", im.OrgName, err)
			}
			if err := s.audit(ctx, tx, im.OrgID, by, "scheme.import", im.ID, map[string]any{
				"name": im.Name, "format": im.Format, "visibility": im.Visibility, "recognition_request": id}); err != nil {
				return nil, err
			}
			ids = append(ids, im.ID)
		}
		if len(imports) > 0 {
			if err := s.bumpSchemes(ctx, tx); err != nil {
				return nil, err
			}
		}
		return ids, nil
	}
	return s.moveRecognition(ctx, a, id, iotsec.RecognitionAgreed, "", allow, more)
}
