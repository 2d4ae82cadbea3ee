// Package registry is the registry capability's service: certification
// records of makers' firmware versions under schemes, granted, suspended,
// reviewed, cleared and revoked by the scheme's authority (or its
// delegate), each move appended to the public transparency log, and the
// signed label that states the record with its inclusion proof.
//
// It joins the label engine (internal/label: claims, JWS, JWKS, QR) and the
// transparency log engine (internal/translog: tree, checkpoints, proofs) to
// the store. Doors import this package only: the engines' shapes they need
// are re-exported in types.go.
//
// # A move, and its label
//
// Every move of a record that was ever granted goes through
// Store.MoveCertification with one log leaf: the label claims of the
// record as moved, with Proof empty, serialised by label.Claims.Leaf. After
// the commit the service signs a checkpoint of the log and saves it, builds
// the inclusion bundle of the move's entry against it, puts the bundle in
// the claims' Proof, signs the label with the authority's active key and
// stores it on the record. If the process dies between the commit and the
// label write, the record's Label is empty or states the move before; the
// Label method then rebuilds the label from the log (the leaf is the
// claims), so no label is ever lost.
package registry

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/label"
	"github.com/iotsec/iotsec/internal/translog"
)

// Service is the registry service over a store.
type Service struct {
	Store iotsec.Store
	// KEK is the key-encryption key (32 bytes) that seals the authorities'
	// label keys and the log's checkpoint key.
	KEK  []byte
	Now  func() time.Time
	Rand io.Reader
	Log  *slog.Logger
	// BaseURL is the registry's public URL: the labels' issuer, the
	// prefix of their pages, and (its host) the log's origin.
	BaseURL string
	// Alg is the algorithm of the authorities' label keys this service
	// creates; ES256 when empty.
	Alg label.Algorithm
	// Rules returns a scheme's validity rule from the catalog (by slug);
	// nil or not found: grants under the scheme must give their end.
	Rules func(scheme string) (ValidityRule, bool)
	// Failing returns the mandatory provisions of a scheme's level that a
	// firmware version's evaluation now fails or puts at risk, as reasons
	// (the evaluation service's, injected by internal/app); nil: no
	// surveillance from evaluations.
	Failing func(ctx context.Context, a iotsec.Actor, firmwareID, scheme, level string) ([]string, error)
	// PrepareRecognition checks the agreement a recognition request
	// states against the catalog a's organisation sees and returns the
	// private agreement import it makes there, storing nothing (the
	// catalog's PrepareRecognition, injected by internal/app); nil: no
	// request is agreed.
	PrepareRecognition func(ctx context.Context, a iotsec.Actor, r iotsec.RecognitionRequest, at time.Time, url string) (iotsec.SchemeImport, error)

	mu     sync.Mutex
	signer translog.Signer // the log's, opened once
	logKey iotsec.LogKey

	cacheOnce sync.Once
	docs      *docCache // the label documents' (cache.go)
}

// New returns a service over store with the KEK and base URL.
func New(store iotsec.Store, kek []byte, baseURL string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Store: store, KEK: kek, Now: time.Now, Rand: rand.Reader, Log: log, BaseURL: strings.TrimRight(baseURL, "/")}
}

// Origin is the transparency log's origin (the name of its checkpoints and
// of its key): the base URL's host and "/registry".
func (s *Service) Origin() string {
	u, err := url.Parse(s.BaseURL)
	host := "localhost"
	if err == nil && u.Host != "" {
		host = u.Host
	}
	return host + "/registry"
}

// PageURL is the public page of a label: BASE/l/LABEL-ID.
func (s *Service) PageURL(labelID string) string { return s.BaseURL + "/l/" + labelID }

// LabelStatus maps a record's status to the label engine's.
func LabelStatus(st iotsec.RecordStatus) label.Status {
	if st == iotsec.StatusUnderReview {
		return label.StatusUnderReview
	}
	return label.Status(st)
}

// RecordStatus maps a label status back to the record's.
func RecordStatus(st label.Status) iotsec.RecordStatus {
	if st == label.StatusUnderReview {
		return iotsec.StatusUnderReview
	}
	return iotsec.RecordStatus(st)
}

// AddOperator records that an organisation owns a scheme or grants for its
// owner: the platform operator's act (the command line), not a tenant's.
func (s *Service) AddOperator(ctx context.Context, by string, o *iotsec.SchemeOperator) error {
	return s.Store.AddSchemeOperator(ctx, by, o)
}

// Operators lists the schemes the actor's organisation operates.
func (s *Service) Operators(ctx context.Context, a iotsec.Actor) ([]iotsec.SchemeOperator, error) {
	return s.Store.ListSchemeOperators(ctx, a)
}

// Apply records the maker's application for one of its firmware versions
// under scheme and level, to the scheme's owner; lab (an organisation ID)
// is who tested it, when known.
func (s *Service) Apply(ctx context.Context, a iotsec.Actor, firmwareID, scheme, level, lab string) (iotsec.Certification, error) {
	scheme = strings.TrimSpace(scheme)
	owner, err := s.Store.SchemeOwner(ctx, scheme)
	if err != nil {
		if iotsec.Kind(err) == iotsec.ErrNotFound {
			return iotsec.Certification{}, iotsec.Invalid("scheme", "nobody grants the scheme %q in this registry", scheme)
		}
		return iotsec.Certification{}, err
	}
	c := iotsec.Certification{FirmwareID: firmwareID, Scheme: scheme, Level: level, AuthorityOrgID: owner, LabOrgID: lab}
	if err := s.Store.CreateCertification(ctx, a, &c); err != nil {
		// The firmware version is named in the application, not
		// addressed: one the maker does not have (another
		// organisation's, or none) is invalid input, as a device's
		// product is.
		if iotsec.Kind(err) == iotsec.ErrNotFound {
			return iotsec.Certification{}, iotsec.Invalid("firmware_id", "is not a firmware version of this organisation")
		}
		return iotsec.Certification{}, err
	}
	return c, nil
}

// Get returns a record the actor sees.
func (s *Service) Get(ctx context.Context, a iotsec.Actor, id string) (iotsec.Certification, error) {
	return s.Store.GetCertification(ctx, a, id)
}

// List lists records: the actor's own, or (f.AsAuthority) those it grants.
func (s *Service) List(ctx context.Context, a iotsec.Actor, f iotsec.CertificationFilter) ([]iotsec.Certification, error) {
	return s.Store.ListCertifications(ctx, a, f)
}

// History lists a record's moves, oldest first.
func (s *Service) History(ctx context.Context, a iotsec.Actor, id string) ([]iotsec.CertificationEvent, error) {
	return s.Store.CertificationHistory(ctx, a, id)
}

// Public returns what anyone may read of a granted record.
func (s *Service) Public(ctx context.Context, labelID string) (iotsec.PublicCertification, error) {
	return s.Store.PublicCertification(ctx, labelID)
}

// GrantInput is the authority's grant: the validity period. A zero
// ValidFrom is today (for a renewal of a certified record: the day after
// its period ends); a zero ValidUntil is the scheme's rule (Rules). Either
// way the period ends no later than the last day the maker supports the
// firmware version.
type GrantInput struct {
	ValidFrom  iotsec.Date `json:"valid_from"`
	ValidUntil iotsec.Date `json:"valid_until"`
	Reason     string      `json:"reason"`
}

// Grant certifies a record: a first grant (applied), a renewal (expired;
// or certified, when the maker applied to renew: the new period continues
// the old one), or a reinstatement (suspended: the period stays as
// granted).
func (s *Service) Grant(ctx context.Context, a iotsec.Actor, id string, in GrantInput) (iotsec.Certification, error) {
	before, err := s.Store.GetCertification(ctx, a, id)
	if err != nil {
		return before, err
	}
	if before.Status == iotsec.StatusUnderReview {
		return before, iotsec.Conflict("a record under review is cleared, suspended or revoked, not granted")
	}
	if !iotsec.IsGrant(before.Status, iotsec.StatusCertified) {
		return s.move(ctx, a, id, iotsec.StatusCertified, in.Reason, nil)
	}
	if before.Status == iotsec.StatusCertified {
		if before.RenewalRequestedAt.IsZero() {
			return before, iotsec.Conflict("the record is certified until %s; it is renewed when the maker applies for renewal", before.ValidUntil)
		}
		if in.ValidFrom.IsZero() {
			in.ValidFrom = iotsec.DateOf(before.ValidUntil.Time().AddDate(0, 0, 1))
		}
	}
	view, err := s.Store.CertificationView(ctx, a, id)
	if err != nil {
		return before, err
	}
	from, until, err := s.Validity(before.Scheme, in, view.SupportEnd)
	if err != nil {
		return before, err
	}
	if before.Status == iotsec.StatusCertified && !before.ValidFrom.IsZero() {
		// A renewal before the end extends the period: the label stays
		// valid from its first day, without a gap or a day not yet valid.
		from = before.ValidFrom
	}
	return s.move(ctx, a, id, iotsec.StatusCertified, in.Reason, func(c *iotsec.Certification) {
		c.ValidFrom, c.ValidUntil = from, until
	})
}

// Validity computes a grant's period: from the input, else today and the
// scheme's rule, capped at the support end (the last supported day, zero
// when unknown).
func (s *Service) Validity(scheme string, in GrantInput, supportEnd iotsec.Date) (from, until iotsec.Date, err error) {
	from, until = in.ValidFrom, in.ValidUntil
	if from.IsZero() {
		from = iotsec.DateOf(s.Now())
	}
	if until.IsZero() {
		rule, ok := s.Rule(scheme)
		if !ok {
			return from, until, iotsec.Invalid("valid_until", "the scheme %q has no validity rule here: give the period's last day", scheme)
		}
		until = iotsec.DateOf(from.Time().AddDate(0, rule.Months, -1))
	}
	if !supportEnd.IsZero() {
		if supportEnd.Before(from) {
			return from, until, iotsec.Invalid("valid_from", "the maker's support for this firmware version ended on %s", supportEnd)
		}
		if supportEnd.Before(until) {
			until = supportEnd
		}
	}
	if until.Before(from) {
		return from, until, iotsec.Invalid("valid_until", "is before valid_from")
	}
	return from, until, nil
}

// Suspend makes a record not valid for now, for reasons: they go into the
// public log, so there must be one.
func (s *Service) Suspend(ctx context.Context, a iotsec.Actor, id string, reasons ...string) (iotsec.Certification, error) {
	if strings.TrimSpace(strings.Join(reasons, "")) == "" {
		return iotsec.Certification{}, iotsec.Invalid("reason", "a suspension needs a reason")
	}
	return s.move(ctx, a, id, iotsec.StatusSuspended, strings.Join(reasons, "; "), withReasons(reasons))
}

// Revoke ends a record for good (from applied: refuses it), for a reason
// the public log keeps.
func (s *Service) Revoke(ctx context.Context, a iotsec.Actor, id, reason string) (iotsec.Certification, error) {
	if strings.TrimSpace(reason) == "" {
		return iotsec.Certification{}, iotsec.Invalid("reason", "a revocation needs a reason")
	}
	return s.move(ctx, a, id, iotsec.StatusRevoked, reason, nil)
}

// Review puts a certified record under review, for reasons (a KEV entry
// matched, a provision now failing).
func (s *Service) Review(ctx context.Context, a iotsec.Actor, id string, reasons []string) (iotsec.Certification, error) {
	if len(reasons) == 0 {
		return iotsec.Certification{}, iotsec.Invalid("reasons", "a review needs a reason")
	}
	return s.move(ctx, a, id, iotsec.StatusUnderReview, strings.Join(reasons, "; "), withReasons(reasons))
}

// Clear ends a review: the record is certified again, as granted.
func (s *Service) Clear(ctx context.Context, a iotsec.Actor, id, reason string) (iotsec.Certification, error) {
	c, err := s.Store.GetCertification(ctx, a, id)
	if err != nil {
		return c, err
	}
	if c.Status != iotsec.StatusUnderReview {
		return c, iotsec.Conflict("only a record under review is cleared; this one is %s", c.Status)
	}
	return s.move(ctx, a, id, iotsec.StatusCertified, reason, nil)
}

// Withdraw is the maker giving its certification up, for good.
func (s *Service) Withdraw(ctx context.Context, a iotsec.Actor, id, reason string) (iotsec.Certification, error) {
	return s.move(ctx, a, id, iotsec.StatusWithdrawn, reason, nil)
}

func withReasons(reasons []string) func(*iotsec.Certification) {
	return func(c *iotsec.Certification) { c.Reasons = append([]string{}, reasons...) }
}

// move makes one status change through the store, logging the label claims
// of the record as moved, then issues the label.
func (s *Service) move(ctx context.Context, a iotsec.Actor, id string, to iotsec.RecordStatus, reason string, update func(*iotsec.Certification)) (iotsec.Certification, error) {
	view, err := s.Store.CertificationView(ctx, a, id)
	if err != nil {
		return iotsec.Certification{}, err
	}
	at := s.Now().UTC().Truncate(time.Second)
	var claims label.Claims
	c, ev, err := s.Store.MoveCertification(ctx, a, iotsec.CertificationMove{ID: id, To: to, Reason: reason,
		Update: func(c *iotsec.Certification, _ iotsec.CertificationEvent) error {
			if update != nil {
				update(c)
			}
			return nil
		},
		Log: iotsec.LogAppend{
			Leaf: func(c iotsec.Certification, _ iotsec.CertificationEvent) ([]byte, error) {
				claims = s.claims(c, view, at)
				if err := claims.Validate(); err != nil {
					return nil, iotsec.Invalid("label", "%v", err)
				}
				return claims.Leaf()
			},
			Hashes: translog.AppendHashes,
		}})
	if err != nil {
		return c, err
	}
	if ev.LogIndex < 0 {
		return c, nil
	}
	jws, err := s.issue(ctx, a, c, claims, ev.LogIndex)
	if err != nil {
		// The move is committed; Label rebuilds the label from the log.
		s.Log.Error("registry: label not issued after the move", "certification", c.ID, "log_index", ev.LogIndex, "err", err)
		return c, nil
	}
	c.Label = jws
	return c, nil
}

// claims states record c (as moved) with the names of view.
func (s *Service) claims(c iotsec.Certification, view iotsec.PublicCertification, at time.Time) label.Claims {
	model := view.Model
	if model == "" {
		model = view.Product
	}
	cl := label.Claims{
		SchemaVersion:   label.SchemaVersion,
		LabelID:         c.LabelID,
		Registry:        s.BaseURL,
		Maker:           label.Party{Name: view.Maker},
		ProductName:     view.Product,
		Model:           model,
		FirmwareVersion: view.FirmwareVersion,
		Scheme:          label.Scheme{Slug: c.Scheme},
		Level:           c.Level,
		GrantedBy:       label.Party{Name: view.Authority},
		Status:          LabelStatus(c.Status),
		IssuedAt:        at,
		ValidFrom:       c.ValidFrom.Time(),
		ValidUntil:      c.ValidUntil.Time().AddDate(0, 0, 1), // the label's end is exclusive
		PageURL:         s.PageURL(c.LabelID),
	}
	if view.Lab != "" {
		cl.TestedBy = &label.Party{Name: view.Lab}
	}
	if !view.SupportEnd.IsZero() {
		cl.SupportEnd = label.Date(view.SupportEnd.String())
	}
	cl.UpdateDelivery = label.UpdateDelivery(view.UpdateDelivery)
	cl.SecurityContact = view.SecurityContact
	cl.SBOMAvailable = view.SBOM
	if c.Status == iotsec.StatusUnderReview || c.Status == iotsec.StatusSuspended {
		cl.Reasons = append([]string(nil), c.Reasons...)
	}
	return cl
}

// issue signs a checkpoint that includes entry index, puts the entry's
// inclusion bundle into the claims and signs and stores the label.
func (s *Service) issue(ctx context.Context, a iotsec.Actor, c iotsec.Certification, claims label.Claims, index int64) (string, error) {
	signer, err := s.logSigner(ctx)
	if err != nil {
		return "", err
	}
	l, err := s.log(ctx)
	if err != nil {
		return "", err
	}
	cp, msg, err := l.Checkpoint(signer)
	if err != nil {
		return "", err
	}
	if err := s.Store.SaveCheckpoint(ctx, iotsec.Checkpoint{Size: cp.Size, Text: string(msg)}); err != nil {
		return "", err
	}
	b, err := l.Bundle(index, msg)
	if err != nil {
		return "", err
	}
	if claims.Proof, err = json.Marshal(b); err != nil {
		return "", err
	}
	issuer, err := s.issuer(ctx, c.AuthorityOrgID)
	if err != nil {
		return "", err
	}
	jws, err := issuer.Sign(claims)
	if err != nil {
		return "", err
	}
	if err := s.Store.SetCertificationLabel(ctx, a, c.ID, string(jws)); err != nil {
		return "", err
	}
	return string(jws), nil
}

// Label returns the record's current label, rebuilding it from the log
// when the process stopped between a move's commit and its label write
// (the record's latest logged move has no label yet).
func (s *Service) Label(ctx context.Context, a iotsec.Actor, id string) (string, error) {
	c, err := s.Store.GetCertification(ctx, a, id)
	if err != nil {
		return "", err
	}
	if !c.Public() {
		return "", iotsec.NotFound("label")
	}
	hist, err := s.Store.CertificationHistory(ctx, a, id)
	if err != nil {
		return "", err
	}
	last := int64(-1)
	for _, ev := range hist {
		if ev.LogIndex >= 0 {
			last = ev.LogIndex
		}
	}
	if last < 0 {
		return "", iotsec.NotFound("label")
	}
	if c.Label != "" {
		if idx, ok := labelIndex(c.Label); ok && idx == last {
			return c.Label, nil
		}
	}
	recs, err := s.Store.LogRecords(ctx, last, last+1)
	if err != nil {
		return "", err
	}
	if len(recs) != 1 {
		return "", fmt.Errorf("registry: log entry %d is missing", last)
	}
	var claims label.Claims
	if err := json.Unmarshal(recs[0].Data, &claims); err != nil {
		return "", fmt.Errorf("registry: log entry %d: %w", last, err)
	}
	return s.issue(ctx, a, c, claims, last)
}

// labelIndex reads the log index of a label's proof without verifying it
// (the service's own label, to know which move it states).
func labelIndex(jws string) (int64, bool) {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		return 0, false
	}
	payload, err := decodeB64(parts[1])
	if err != nil {
		return 0, false
	}
	var c struct {
		Proof struct {
			Index *int64 `json:"index"`
		} `json:"proof"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Proof.Index == nil {
		return 0, false
	}
	return *c.Proof.Index, true
}
