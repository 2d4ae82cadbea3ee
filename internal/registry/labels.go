package registry

import (
	"context"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Labels lists the organisation's records that carry a label (were ever
// granted): its own as the maker, or (f.AsAuthority) those it grants.
func (s *Service) Labels(ctx context.Context, a iotsec.Actor, f iotsec.CertificationFilter) ([]iotsec.Certification, error) {
	f.Granted = true
	return s.Store.ListCertifications(ctx, a, f)
}

// LabelDocument returns the document of a label the organisation holds,
// as the maker or the authority, by label ID; anyone else's is not found
// (the public /l/LABEL-ID.json serves every label to everyone; this is the
// organisation's own view, which also issues a label still missing).
func (s *Service) LabelDocument(ctx context.Context, a iotsec.Actor, labelID string) (Document, iotsec.Certification, error) {
	for _, asAuthority := range []bool{false, true} {
		cs, err := s.Labels(ctx, a, iotsec.CertificationFilter{AsAuthority: asAuthority, LabelID: labelID, Limit: 1})
		if err != nil {
			return Document{}, iotsec.Certification{}, err
		}
		if len(cs) == 0 {
			continue
		}
		if _, err := s.Label(ctx, a, cs[0].ID); err != nil {
			return Document{}, cs[0], err
		}
		d, err := s.Document(ctx, labelID)
		return d, cs[0], err
	}
	return Document{}, iotsec.Certification{}, iotsec.NotFound("label")
}

// Bundle is the signed label bundle of a certified record the
// organisation holds (`iotsec label issue`): its label document, with the
// label's inclusion proof against a signed checkpoint, so that `iotsec
// label verify` checks it offline. A record that is not certified has no
// label to print (ErrConflict).
func (s *Service) Bundle(ctx context.Context, a iotsec.Actor, id string) (Document, error) {
	c, err := s.Store.GetCertification(ctx, a, id)
	if err != nil {
		return Document{}, err
	}
	if c.Status != iotsec.StatusCertified {
		return Document{}, iotsec.Conflict("the record is %s; only a certified record's label is issued", c.Status)
	}
	if _, err := s.Label(ctx, a, id); err != nil {
		return Document{}, err
	}
	return s.Document(ctx, c.LabelID)
}
