package registry

import (
	"context"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Recognition requests: the owner of scheme A asks the owner of scheme B
// to recognise A's label (at a level) as B's (at a level), or as a
// simplified route to it. The addressee agrees or refuses (with a
// reason); the requester may withdraw while the request is submitted. An
// agreement becomes a private agreement import in both organisations'
// catalogs, written with the move in one transaction, so the catalog's
// agreements and recognition answers change for the two of them and for
// no one else.

// RecognitionURL is where a request is read: its API resource, which
// only the two parties see.
func (s *Service) RecognitionURL(id string) string {
	return s.BaseURL + "/api/v1/registry/recognitions/" + id
}

// RequestRecognition submits a request from a's organisation, the owner
// of r.FromScheme, to the owner of r.ToScheme. Both schemes (and levels)
// must be in a's organisation's catalog.
func (s *Service) RequestRecognition(ctx context.Context, a iotsec.Actor, r iotsec.RecognitionRequest) (iotsec.RecognitionRequest, error) {
	if err := a.CanRequestRecognition(); err != nil {
		return r, err
	}
	if err := r.Normalize(); err != nil {
		return r, err
	}
	// Ownership first: a non-owner learns nothing of the catalog check.
	if owner, err := s.Store.SchemeOwner(ctx, r.FromScheme); err != nil && iotsec.Kind(err) != iotsec.ErrNotFound {
		return r, err
	} else if owner != a.OrgID {
		return r, iotsec.Forbidden("only the owner of scheme %s asks for its recognition; this organisation is not registered as its owner", r.FromScheme)
	}
	if s.PrepareRecognition != nil {
		if _, err := s.PrepareRecognition(ctx, a, r, s.Now(), s.RecognitionURL("new")); err != nil {
			return r, err
		}
	}
	err := s.Store.CreateRecognitionRequest(ctx, a, &r)
	return r, err
}

// Recognitions lists the requests a's organisation sent or received.
func (s *Service) Recognitions(ctx context.Context, a iotsec.Actor) ([]iotsec.RecognitionRequest, error) {
	return s.Store.ListRecognitionRequests(ctx, a)
}

// Recognition returns one request a's organisation sent or received.
func (s *Service) Recognition(ctx context.Context, a iotsec.Actor, id string) (iotsec.RecognitionRequest, error) {
	return s.Store.GetRecognitionRequest(ctx, a, id)
}

// RefuseRecognition refuses a submitted request addressed to a's
// organisation; the reason is required.
func (s *Service) RefuseRecognition(ctx context.Context, a iotsec.Actor, id, reason string) (iotsec.RecognitionRequest, error) {
	return s.Store.CloseRecognitionRequest(ctx, a, id, iotsec.RecognitionRefused, reason)
}

// WithdrawRecognition withdraws a submitted request of a's organisation.
func (s *Service) WithdrawRecognition(ctx context.Context, a iotsec.Actor, id, reason string) (iotsec.RecognitionRequest, error) {
	return s.Store.CloseRecognitionRequest(ctx, a, id, iotsec.RecognitionWithdrawn, reason)
}

// AgreeRecognition agrees to a submitted request addressed to a's
// organisation: the agreement it states is checked against both
// parties' catalogs, then written into both with the move, in one
// transaction (each party's import made with the database's authority in
// that organisation: the request is the requester's consent, the
// agreement the addressee's).
func (s *Service) AgreeRecognition(ctx context.Context, a iotsec.Actor, id string) (iotsec.RecognitionRequest, error) {
	if err := a.CanRequestRecognition(); err != nil {
		return iotsec.RecognitionRequest{}, err
	}
	r, err := s.Store.GetRecognitionRequest(ctx, a, id)
	if err != nil {
		return r, err
	}
	switch {
	case r.ToOrgID != a.OrgID:
		return r, iotsec.Forbidden("only the addressee agrees to a request")
	case r.Status != iotsec.RecognitionSubmitted:
		return r, iotsec.Conflict("only a submitted request is agreed; this one is %s", r.Status)
	case s.PrepareRecognition == nil:
		return r, iotsec.Conflict("agree: no catalog to write the recognition into")
	}
	var imports []iotsec.SchemeImport
	for _, p := range []struct{ org, name string }{{r.FromOrgID, r.FromOrgName}, {r.ToOrgID, r.ToOrgName}} {
		im, err := s.PrepareRecognition(ctx, iotsec.System(p.org, "recognition "+id), r, s.Now(), s.RecognitionURL(id))
		if err != nil {
			msg := iotsec.Message(err)
			if ds := iotsec.DetailsOf(err); len(ds) > 0 {
				msg += ": " + strings.Join(ds, "; ")
			}
			return r, iotsec.Conflict("the recognition does not fit the catalog of %s: %s", p.name, msg)
		}
		im.OrgID = p.org
		imports = append(imports, im)
	}
	return s.Store.AgreeRecognitionRequest(ctx, a, id, imports)
}
