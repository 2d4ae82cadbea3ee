package iotsec

import (
	"context"
	"strings"
	"time"
)

// A RecognitionRequest asks the owner of one scheme to recognise another
// scheme's label: holders of FromScheme (at FromLevel or above) count as
// holding ToScheme at ToLevel (deemed equivalence) or get a simplified
// route to it. The requester is the organisation registered as owner of
// FromScheme (a scheme operator with role owner), the addressee the owner
// of ToScheme. Only those two organisations see the request. When the
// addressee agrees, the recognition becomes a private agreement import in
// both organisations' catalogs, in the same transaction as the move.
type RecognitionRequest struct {
	ID          string            `json:"id"`
	FromOrgID   string            `json:"from_org_id"`
	FromOrgName string            `json:"from_org_name"`
	ToOrgID     string            `json:"to_org_id"`
	ToOrgName   string            `json:"to_org_name"`
	FromScheme  string            `json:"from_scheme"`
	FromLevel   string            `json:"from_level,omitempty"`
	ToScheme    string            `json:"to_scheme"`
	ToLevel     string            `json:"to_level,omitempty"`
	Kind        string            `json:"kind"` // deemed-equivalence or simplified-route
	Rationale   string            `json:"rationale"`
	Status      RecognitionStatus `json:"status"`
	RequestedBy string            `json:"requested_by"`
	RequestedAt time.Time         `json:"requested_at"`
	// ClosedBy, Reason and ClosedAt say who agreed, refused or withdrew,
	// and why (a refusal's reason).
	ClosedBy string    `json:"closed_by,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// Imports are the catalog imports an agreement made (requester's,
	// addressee's).
	Imports []string `json:"imports"`
}

// RecognitionStatus is where a recognition request is.
type RecognitionStatus string

// Recognition request statuses: submitted, then agreed or refused by the
// addressee, or withdrawn by the requester.
const (
	RecognitionSubmitted RecognitionStatus = "submitted"
	RecognitionAgreed    RecognitionStatus = "agreed"
	RecognitionRefused   RecognitionStatus = "refused"
	RecognitionWithdrawn RecognitionStatus = "withdrawn"
)

// Recognition kinds, as the catalog's agreements name them.
const (
	RecognitionDeemed     = "deemed-equivalence"
	RecognitionSimplified = "simplified-route"
)

// Normalize trims and checks a new request's fields.
func (r *RecognitionRequest) Normalize() error {
	var err error
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"from_scheme", &r.FromScheme, 64}, {"to_scheme", &r.ToScheme, 64}, {"from_level", &r.FromLevel, 64}, {"to_level", &r.ToLevel, 64}} {
		*f.v = strings.TrimSpace(*f.v)
		if len(*f.v) > f.max || strings.ContainsAny(*f.v, ",;:\x00\r\n") {
			return Invalid(f.name, "must be at most %d characters, without commas, colons or line breaks", f.max)
		}
	}
	if r.FromScheme == "" {
		return Invalid("from_scheme", "is required")
	}
	if r.ToScheme == "" {
		return Invalid("to_scheme", "is required")
	}
	if r.FromScheme == r.ToScheme {
		return Invalid("to_scheme", "must differ from from_scheme")
	}
	if r.Kind == "" {
		r.Kind = RecognitionDeemed
	}
	if r.Kind != RecognitionDeemed && r.Kind != RecognitionSimplified {
		return Invalid("kind", "must be %s or %s", RecognitionDeemed, RecognitionSimplified)
	}
	if r.Rationale, err = trimLen("rationale", r.Rationale, 1, MaxWorkspaceText); err != nil {
		return err
	}
	return nil
}

// MaxPendingRecognitions is how many submitted requests one organisation
// may have waiting for answers at a time.
const MaxPendingRecognitions = 50

// MaxListedRecognitions is how many requests a list returns, newest first.
const MaxListedRecognitions = 1000

// CanRequestRecognition reports whether the actor may submit, agree,
// refuse or withdraw recognition requests: an owner or admin.
func (a Actor) CanRequestRecognition() error {
	if a.Role != RoleOwner && a.Role != RoleAdmin {
		return Forbidden("only an owner or admin of a scheme owner answers for its recognitions")
	}
	return nil
}

// RecognitionStore keeps recognition requests. Every read and write sees
// only the requests a's organisation sent or received; another's is "not
// found".
type RecognitionStore interface {
	// CreateRecognitionRequest stores a submitted request from a's
	// organisation, which must own r.FromScheme, to the owner of
	// r.ToScheme (another organisation).
	CreateRecognitionRequest(ctx context.Context, a Actor, r *RecognitionRequest) error
	// ListRecognitionRequests lists the requests a's organisation sent or
	// received, newest first.
	ListRecognitionRequests(ctx context.Context, a Actor) ([]RecognitionRequest, error)
	GetRecognitionRequest(ctx context.Context, a Actor, id string) (RecognitionRequest, error)
	// CloseRecognitionRequest refuses (the addressee, with a reason) or
	// withdraws (the requester) a submitted request.
	CloseRecognitionRequest(ctx context.Context, a Actor, id string, to RecognitionStatus, reason string) (RecognitionRequest, error)
	// AgreeRecognitionRequest moves a submitted request to agreed (the
	// addressee) and stores imports, private agreement imports of the two
	// organisations (OrgID set), in the same transaction.
	AgreeRecognitionRequest(ctx context.Context, a Actor, id string, imports []SchemeImport) (RecognitionRequest, error)
}
