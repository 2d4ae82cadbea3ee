package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// ReasonSupportEnded is the reason of a lapse: the maker stopped
// supporting the firmware version before the label's period ended.
const ReasonSupportEnded = "maker support ended"

// Expire ends, as of now, every certified, under-review or suspended
// record whose validity period is over (its last day is before today) or
// whose firmware version's support ended (a lapse, with the reason
// ReasonSupportEnded). Each is a move to expired made by the system on the
// authority's behalf ("system:expiry"): audited, appended to the
// transparency log, with its label re-issued (the public document reads
// the record on every request, so it shows at once), and the scheme owner
// and the maker are told. It returns how many records it ended; a record
// that fails does not stop the others (the errors are joined). A periodic
// job and the server's start run it; running it twice changes nothing.
func (s *Service) Expire(ctx context.Context, now time.Time) (int, error) {
	day := iotsec.DateOf(now)
	var errs []error
	n := 0
	for range 100 { // at most 100,000 records a run; the next run goes on
		due, err := s.Store.DueCertifications(ctx, day, 1000)
		if err != nil {
			return n, fmt.Errorf("expiry: %w", err)
		}
		failed := 0
		for _, d := range due {
			if err := s.expire(ctx, d, day); err != nil {
				failed++
				errs = append(errs, fmt.Errorf("expiry of %s: %w", d.ID, err))
				continue
			}
			n++
		}
		if len(due) < 1000 || failed > 0 {
			break
		}
	}
	if n > 0 {
		s.Log.Info("registry: expired records", "count", n, "day", day.String())
	}
	return n, errors.Join(errs...)
}

func (s *Service) expire(ctx context.Context, d iotsec.DueCertification, day iotsec.Date) error {
	reason := fmt.Sprintf("the validity period ended on %s", d.ValidUntil)
	kind, title := "label-expired", "has expired"
	if !d.SupportEnd.IsZero() && d.SupportEnd.Before(day) && (d.ValidUntil.IsZero() || !d.ValidUntil.Before(d.SupportEnd)) {
		reason = fmt.Sprintf("%s on %s", ReasonSupportEnded, d.SupportEnd)
		kind, title = "label-lapsed", "has lapsed: the maker's support ended"
	}
	actor := iotsec.System(d.AuthorityOrgID, "expiry")
	c, err := s.move(ctx, actor, d.ID, iotsec.StatusExpired, reason, nil)
	if err != nil {
		return err
	}
	name := s.firmwareName(ctx, iotsec.System(c.OrgID, "expiry"), c.FirmwareID)
	note := iotsec.Notification{Kind: kind, Title: fmt.Sprintf("The %s label (level %s) of %s %s", c.Scheme, orDash(c.Level), name, title),
		Body: "The label now shows \"expired\": " + reason + ". The maker may apply for renewal.", Link: "/l/" + c.LabelID + ".json"}
	return s.notify(ctx, c, note, "expiry")
}

// notify tells the scheme owner and the maker of a record.
func (s *Service) notify(ctx context.Context, c iotsec.Certification, note iotsec.Notification, label string) error {
	for _, org := range []string{c.AuthorityOrgID, c.OrgID} {
		if err := s.Store.AddNotifications(ctx, iotsec.System(org, label), []iotsec.Notification{note}, nil); err != nil {
			return fmt.Errorf("notify %s: %w", org, err)
		}
	}
	return nil
}

// firmwareName is "Product (MODEL) VERSION" of a firmware version the
// actor's organisation has, or its ID.
func (s *Service) firmwareName(ctx context.Context, a iotsec.Actor, firmwareID string) string {
	name := firmwareID
	if fw, err := s.Store.GetFirmware(ctx, a, firmwareID); err == nil {
		name = fw.Version
		if p, err := s.Store.GetProduct(ctx, a, fw.ProductID); err == nil {
			name = strings.TrimSpace(p.Name + " (" + p.Model + ") " + fw.Version)
		}
	}
	return name
}
