package registry

import (
	"context"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// RecordView is a record as the registry pages show it to one
// organisation: with the names and dates of its public part, which side
// of it the organisation is on, and the moves it may make now.
type RecordView struct {
	iotsec.Certification
	Names iotsec.PublicCertification
	// Maker and Authority say which side the viewing organisation is on
	// (a scheme owner's delegate counts as the authority).
	Maker, Authority bool
	// Moves are the status changes the viewer's side may make from the
	// record's current status; its role decides whether it may make them.
	Moves []iotsec.RecordStatus
	// RenewalDue says the record is inside its scheme's renewal window
	// (or expired) today; RenewalOpens is the window's first day, zero
	// when the scheme has no rule.
	RenewalDue   bool
	RenewalOpens iotsec.Date
}

// Records lists records as List does, each with its names and the
// viewer's moves (one read of names per record: pages hold at most a
// hundred).
func (s *Service) Records(ctx context.Context, a iotsec.Actor, f iotsec.CertificationFilter) ([]RecordView, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 100
	}
	cs, err := s.List(ctx, a, f)
	if err != nil {
		return nil, err
	}
	out := make([]RecordView, 0, len(cs))
	for _, c := range cs {
		v, err := s.view(ctx, a, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Record is one record with its names, the viewer's moves and its
// history, oldest first.
func (s *Service) Record(ctx context.Context, a iotsec.Actor, id string) (RecordView, []iotsec.CertificationEvent, error) {
	c, err := s.Get(ctx, a, id)
	if err != nil {
		return RecordView{}, nil, err
	}
	v, err := s.view(ctx, a, c)
	if err != nil {
		return RecordView{}, nil, err
	}
	hist, err := s.History(ctx, a, id)
	return v, hist, err
}

func (s *Service) view(ctx context.Context, a iotsec.Actor, c iotsec.Certification) (RecordView, error) {
	names, err := s.Store.CertificationView(ctx, a, c.ID)
	if err != nil {
		return RecordView{}, err
	}
	v := RecordView{Certification: c, Names: names, Maker: c.OrgID == a.OrgID, Authority: c.AuthorityOrgID == a.OrgID}
	if !v.Authority && !v.Maker {
		v.Authority = true // not the maker's, yet visible: a delegate of the scheme's owner
	}
	v.RenewalOpens, _ = s.RenewalOpens(c)
	v.RenewalDue = s.RenewalDue(c, iotsec.DateOf(s.Now()))
	for _, to := range iotsec.Moves(c.Status) {
		if to == c.Status && c.RenewalRequestedAt.IsZero() {
			continue // a renewal before the end answers the maker's application
		}
		side := iotsec.MoveSide(to)
		if (side == iotsec.SideMaker && v.Maker) || (side == iotsec.SideAuthority && v.Authority) {
			v.Moves = append(v.Moves, to)
		}
	}
	return v, nil
}
