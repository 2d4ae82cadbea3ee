package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// imageChunk is how much of an image one row holds: small enough for any
// driver to move in one piece, large enough that a 512 MiB image is 512
// rows.
const imageChunk = 1 << 20

// canAny returns nil when the actor has at least one of ps.
func canAny(a iotsec.Actor, ps ...iotsec.Permission) error {
	var err error
	for _, p := range ps {
		if err = a.Can(p); err == nil {
			return nil
		}
	}
	return err
}

// firmwareIn returns the firmware version if it belongs to the actor's
// organisation.
func (s *Store) firmwareIn(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, a iotsec.Actor, id string) (iotsec.FirmwareVersion, error) {
	f, err := scanFirmware(q.QueryRowContext(ctx, s.q("SELECT "+firmwareColumns+" FROM firmware WHERE id = ? AND org_id = ?"), id, a.OrgID))
	return f, notFound(err, "firmware version")
}

func (s *Store) SaveImage(ctx context.Context, a iotsec.Actor, firmwareID string, img iotsec.Image, r io.Reader, job *iotsec.Job, input []byte) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if !strings.HasPrefix(img.Digest, "sha256:") || len(img.Digest) != 71 {
		return iotsec.Invalid("image", "digest must be sha256: followed by 64 hex digits")
	}
	if img.Size <= 0 {
		return iotsec.Invalid("image", "is empty")
	}
	actor, err := s.newJob(a, job, &input)
	if err != nil {
		return err
	}
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		f, err := s.firmwareIn(ctx, tx, a, firmwareID)
		if err != nil {
			return err
		}
		if !s.d.OneWriter {
			// Uploads to one version take turns from here, before any
			// image is locked, so two of them never wait on each other's
			// images in opposite order.
			if _, err := tx.ExecContext(ctx, s.q("SELECT id FROM firmware WHERE id = ? AND org_id = ? FOR UPDATE"), f.ID, a.OrgID); err != nil {
				return fmt.Errorf("lock firmware version: %w", err)
			}
		}
		inserted, err := s.keepImage(ctx, tx, a.OrgID, img, now)
		if err != nil {
			return err
		}
		if inserted {
			h := sha256.New()
			buf := make([]byte, imageChunk)
			var total int64
			for seq := 0; ; seq++ {
				k, err := io.ReadFull(r, buf)
				if k > 0 {
					h.Write(buf[:k])
					total += int64(k)
					if _, err := tx.ExecContext(ctx, s.q("INSERT INTO image_chunks (org_id, digest, seq, data) VALUES (?, ?, ?, ?)"),
						a.OrgID, img.Digest, seq, buf[:k]); err != nil {
						return fmt.Errorf("insert image chunk %d: %w", seq, err)
					}
				}
				if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
					break
				}
				if err != nil {
					return fmt.Errorf("read image: %w", err)
				}
			}
			if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != img.Digest || total != img.Size {
				return fmt.Errorf("image changed while stored: %s, %d bytes, want %s, %d bytes", got, total, img.Digest, img.Size)
			}
		}
		old := f.ImageDigest
		if _, err := tx.ExecContext(ctx, s.q("UPDATE firmware SET image_digest = ? WHERE id = ? AND org_id = ?"), img.Digest, f.ID, a.OrgID); err != nil {
			return fmt.Errorf("set image digest: %w", err)
		}
		if old != "" && old != img.Digest {
			if err := s.dropImageIfUnused(ctx, tx, a.OrgID, old); err != nil {
				return err
			}
		}
		job.Total = 10
		if err := s.insertJob(ctx, tx, a, job, actor, input); err != nil {
			return err
		}
		// A new image makes the old findings stale: they go now, so no
		// page shows findings of one image next to the digest of another.
		for _, t := range []string{"findings", "components"} {
			if _, err := tx.ExecContext(ctx, s.q("DELETE FROM "+t+" WHERE firmware_id = ? AND org_id = ?"), f.ID, a.OrgID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM scans WHERE firmware_id = ? AND org_id = ?"), f.ID, a.OrgID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO scans (firmware_id, org_id, job_id, state, image_name, image_digest, image_size, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), f.ID, a.OrgID, job.ID, iotsec.ScanQueued, img.Name, img.Digest, img.Size, s.t(now)); err != nil {
			return fmt.Errorf("insert scan: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "firmware.image", f.ID, map[string]any{"digest": img.Digest, "name": img.Name, "size": img.Size, "job_id": job.ID})
	})
}

// keepImage makes sure the image's row is there for tx and stays there
// until tx ends, and reports whether tx inserted it (and must store its
// bytes). The same bytes are stored once per organisation:
//
//   - Two uploads of them at once both get here: on PostgreSQL the second
//     insert waits for the first transaction and then does nothing (or
//     inserts, if the first rolled back), so only one of them writes the
//     chunks and neither fails.
//   - An image already stored is held FOR SHARE, so a transaction that
//     stops using it elsewhere (dropImageIfUnused locks it FOR UPDATE
//     before counting its users) waits until this one has committed its
//     firmware version's pointer and then sees it; if such a transaction
//     removed it first, it is stored again.
//
// SQLite has one writer at a time, so none of this can interleave there.
func (s *Store) keepImage(ctx context.Context, tx *sql.Tx, org string, img iotsec.Image, now time.Time) (bool, error) {
	for range 2 {
		inserted, err := affected(tx.ExecContext(ctx, s.q("INSERT INTO images (org_id, digest, size, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (org_id, digest) DO NOTHING"),
			org, img.Digest, img.Size, s.t(now)))
		if err != nil {
			return false, fmt.Errorf("insert image: %w", err)
		}
		if inserted || s.d.OneWriter {
			return inserted, nil
		}
		var one int
		err = tx.QueryRowContext(ctx, s.q("SELECT 1 FROM images WHERE org_id = ? AND digest = ? FOR SHARE"), org, img.Digest).Scan(&one)
		if err == nil {
			return false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("hold image: %w", err)
		}
		// Removed by a transaction that committed meanwhile: store it.
	}
	return false, iotsec.Conflict("the image was removed and stored again while this upload ran; upload it again")
}

// dropImageIfUnused deletes an image no firmware version of the
// organisation points at any more. On PostgreSQL it first locks the
// image, so an upload of the same bytes that holds it (keepImage) has
// committed its pointer before the count.
func (s *Store) dropImageIfUnused(ctx context.Context, tx *sql.Tx, org, digest string) error {
	if !s.d.OneWriter {
		if _, err := tx.ExecContext(ctx, s.q("SELECT 1 FROM images WHERE org_id = ? AND digest = ? FOR UPDATE"), org, digest); err != nil {
			return fmt.Errorf("lock image: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM firmware WHERE org_id = ? AND image_digest = ?"), org, digest).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, s.q("DELETE FROM image_chunks WHERE org_id = ? AND digest = ?"), org, digest); err != nil {
		return fmt.Errorf("delete image: %w", err)
	}
	_, err := tx.ExecContext(ctx, s.q("DELETE FROM images WHERE org_id = ? AND digest = ?"), org, digest)
	return err
}

func (s *Store) Image(ctx context.Context, a iotsec.Actor, firmwareID string) (iotsec.Image, []byte, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.Image{}, nil, err
	}
	var img iotsec.Image
	err := s.db.QueryRowContext(ctx, s.q(`SELECT s.image_name, s.image_digest, i.size FROM scans s
		JOIN images i ON i.org_id = s.org_id AND i.digest = s.image_digest
		WHERE s.firmware_id = ? AND s.org_id = ?`), firmwareID, a.OrgID).Scan(&img.Name, &img.Digest, &img.Size)
	if err != nil {
		return img, nil, notFound(err, "firmware image")
	}
	data := make([]byte, 0, img.Size)
	rows, err := s.db.QueryContext(ctx, s.q("SELECT data FROM image_chunks WHERE org_id = ? AND digest = ? ORDER BY seq"), a.OrgID, img.Digest)
	if err != nil {
		return img, nil, fmt.Errorf("read image: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var chunk []byte
		if err := rows.Scan(&chunk); err != nil {
			return img, nil, err
		}
		data = append(data, chunk...)
	}
	if err := rows.Err(); err != nil {
		return img, nil, err
	}
	if int64(len(data)) != img.Size {
		return img, nil, fmt.Errorf("image %s: %d of %d bytes stored", img.Digest, len(data), img.Size)
	}
	return img, data, nil
}

func (s *Store) SaveScan(ctx context.Context, a iotsec.Actor, firmwareID string, rec iotsec.ScanRecord, errMsg string, p *iotsec.Progress) error {
	if err := canAny(a, iotsec.PermWriteProducts, iotsec.PermAssess); err != nil {
		return err
	}
	sev := map[string]int{}
	for _, f := range rec.Findings {
		sev[f.Severity]++
	}
	state := iotsec.ScanSucceeded
	if errMsg != "" {
		state = iotsec.ScanFailed
	}
	j := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	if rec.Formats == nil {
		rec.Formats = []string{}
	}
	if rec.Warnings == nil {
		rec.Warnings = []string{}
	}
	if rec.Seconds == nil {
		rec.Seconds = map[string]float64{}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		f, err := s.firmwareIn(ctx, tx, a, firmwareID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE scans SET state = ?, formats = ?, files = ?, bytes = ?, seconds = ?, warnings = ?, severities = ?,
			findings = ?, components = ?, error = ?, scanned_at = ? WHERE firmware_id = ? AND org_id = ?`),
			state, j(rec.Formats), rec.Files, rec.Bytes, j(rec.Seconds), j(rec.Warnings), j(sev),
			len(rec.Findings), len(rec.Components), errMsg, s.t(s.now()), f.ID, a.OrgID)
		if err != nil {
			return fmt.Errorf("update scan: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return iotsec.NotFound("scan")
		}
		for _, t := range []string{"findings", "components"} {
			if _, err := tx.ExecContext(ctx, s.q("DELETE FROM "+t+" WHERE firmware_id = ? AND org_id = ?"), f.ID, a.OrgID); err != nil {
				return err
			}
		}
		for i, fd := range rec.Findings {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO findings (firmware_id, seq, org_id, rule, category, severity, title, path, evidence, provisions)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), f.ID, i, a.OrgID, fd.Rule, fd.Category, fd.Severity, fd.Title, fd.Path, j(fd.Evidence), strings.Join(fd.Provisions, ",")); err != nil {
				return fmt.Errorf("insert finding %d: %w", i, err)
			}
		}
		for i, c := range rec.Components {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO components (firmware_id, seq, org_id, name, version, cpe, purl, path, evidence)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), f.ID, i, a.OrgID, c.Name, c.Version, c.CPE, c.PURL, c.Path, j(c.Evidence)); err != nil {
				return fmt.Errorf("insert component %d: %w", i, err)
			}
		}
		if p != nil {
			if err := s.saveProgress(ctx, tx, *p); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "firmware.scan", f.ID, map[string]any{"state": state, "findings": len(rec.Findings), "components": len(rec.Components)})
	})
}

const scanColumns = `s.firmware_id, s.org_id, f.product_id, f.version, s.job_id, s.state, s.image_name, s.image_digest, s.image_size, s.formats, s.files, s.bytes,
	s.seconds, s.warnings, s.severities, s.findings, s.components, s.error, s.created_at, s.scanned_at`

func scanScan(sc interface{ Scan(...any) error }) (iotsec.Scan, error) {
	var v iotsec.Scan
	var formats, seconds, warnings, sev string
	err := sc.Scan(&v.FirmwareID, &v.OrgID, &v.ProductID, &v.Version, &v.JobID, &v.State, &v.Image.Name, &v.Image.Digest, &v.Image.Size, &formats,
		&v.Files, &v.Bytes, &seconds, &warnings, &sev, &v.Findings, &v.Components, &v.Error, tscan{&v.CreatedAt}, tscan{&v.ScannedAt})
	if err != nil {
		return v, err
	}
	for _, d := range []struct {
		s string
		v any
	}{{formats, &v.Formats}, {seconds, &v.Seconds}, {warnings, &v.Warnings}, {sev, &v.Severities}} {
		if err := json.Unmarshal([]byte(d.s), d.v); err != nil {
			return v, fmt.Errorf("scan %s: %w", v.FirmwareID, err)
		}
	}
	return v, nil
}

func (s *Store) GetScan(ctx context.Context, a iotsec.Actor, firmwareID string) (iotsec.Scan, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.Scan{}, err
	}
	v, err := scanScan(s.db.QueryRowContext(ctx, s.q("SELECT "+scanColumns+" FROM scans s JOIN firmware f ON f.id = s.firmware_id WHERE s.firmware_id = ? AND s.org_id = ?"), firmwareID, a.OrgID))
	return v, notFound(err, "scan")
}

func (s *Store) ListScans(ctx context.Context, a iotsec.Actor) ([]iotsec.Scan, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+scanColumns+" FROM scans s JOIN firmware f ON f.id = s.firmware_id WHERE s.org_id = ? ORDER BY s.created_at DESC, s.firmware_id"), a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Scan{}
	for rows.Next() {
		v, err := scanScan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// checkFirmware reports not found unless the firmware version is the
// actor's.
func (s *Store) checkFirmware(ctx context.Context, a iotsec.Actor, id string) error {
	_, err := s.firmwareIn(ctx, s.db, a, id)
	return err
}

func (s *Store) ListFindings(ctx context.Context, a iotsec.Actor, firmwareID string) ([]iotsec.Finding, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	if err := s.checkFirmware(ctx, a, firmwareID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT rule, category, severity, title, path, evidence, provisions FROM findings WHERE firmware_id = ? AND org_id = ? ORDER BY seq"), firmwareID, a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Finding{}
	for rows.Next() {
		var f iotsec.Finding
		var ev, prov string
		if err := rows.Scan(&f.Rule, &f.Category, &f.Severity, &f.Title, &f.Path, &ev, &prov); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(ev), &f.Evidence); err != nil {
			return nil, err
		}
		f.Provisions = splitList(prov)
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Store) ListComponents(ctx context.Context, a iotsec.Actor, firmwareID string) ([]iotsec.Component, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	if err := s.checkFirmware(ctx, a, firmwareID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT name, version, cpe, purl, path, evidence FROM components WHERE firmware_id = ? AND org_id = ? ORDER BY seq"), firmwareID, a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list components: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Component{}
	for rows.Next() {
		var c iotsec.Component
		var ev string
		if err := rows.Scan(&c.Name, &c.Version, &c.CPE, &c.PURL, &c.Path, &ev); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(ev), &c.Evidence); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) AddEvidence(ctx context.Context, a iotsec.Actor, e *iotsec.Evidence) error {
	if err := a.Can(iotsec.PermAssess); err != nil {
		return err
	}
	e.ID, e.OrgID, e.Assessor, e.CreatedAt = s.ids.New(iotsec.PrefixEvidence), a.OrgID, a.Name(), s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.firmwareIn(ctx, tx, a, e.FirmwareID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO evidence (id, org_id, firmware_id, provision, test_case, verdict, rationale, override, assessor, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), e.ID, e.OrgID, e.FirmwareID, e.Provision, e.TestCase, e.Verdict, e.Rationale, e.Override, e.Assessor, s.t(e.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert evidence: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "assessment.evidence", e.FirmwareID, map[string]any{
			"evidence_id": e.ID, "provision": e.Provision, "test_case": e.TestCase, "verdict": e.Verdict, "override": e.Override})
	})
}

func (s *Store) ListEvidence(ctx context.Context, a iotsec.Actor, firmwareID string) ([]iotsec.Evidence, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	if err := s.checkFirmware(ctx, a, firmwareID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, org_id, firmware_id, provision, test_case, verdict, rationale, override, assessor, created_at
		FROM evidence WHERE firmware_id = ? AND org_id = ? ORDER BY id`), firmwareID, a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list evidence: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Evidence{}
	for rows.Next() {
		var e iotsec.Evidence
		if err := rows.Scan(&e.ID, &e.OrgID, &e.FirmwareID, &e.Provision, &e.TestCase, &e.Verdict, &e.Rationale, &e.Override, &e.Assessor, tscan{&e.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) SetAssessmentInputs(ctx context.Context, a iotsec.Actor, firmwareID string, in iotsec.AssessmentInputs) error {
	if err := canAny(a, iotsec.PermWriteProducts, iotsec.PermAssess); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.firmwareIn(ctx, tx, a, firmwareID); err != nil {
			return err
		}
		var ics, ixit string
		err := tx.QueryRowContext(ctx, s.q("SELECT ics, ixit FROM assessment_inputs WHERE firmware_id = ? AND org_id = ?"), firmwareID, a.OrgID).Scan(&ics, &ixit)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if in.ICS != nil {
			ics = string(in.ICS)
		}
		if in.IXIT != nil {
			ixit = string(in.IXIT)
		}
		if exists {
			_, err = tx.ExecContext(ctx, s.q("UPDATE assessment_inputs SET ics = ?, ixit = ?, updated_at = ? WHERE firmware_id = ? AND org_id = ?"), ics, ixit, s.t(s.now()), firmwareID, a.OrgID)
		} else {
			_, err = tx.ExecContext(ctx, s.q("INSERT INTO assessment_inputs (firmware_id, org_id, ics, ixit, updated_at) VALUES (?, ?, ?, ?, ?)"), firmwareID, a.OrgID, ics, ixit, s.t(s.now()))
		}
		if err != nil {
			return fmt.Errorf("save assessment inputs: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "assessment.inputs", firmwareID, map[string]any{"ics": in.ICS != nil, "ixit": in.IXIT != nil})
	})
}

func (s *Store) AssessmentInputs(ctx context.Context, a iotsec.Actor, firmwareID string) (iotsec.AssessmentInputs, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.AssessmentInputs{}, err
	}
	if err := s.checkFirmware(ctx, a, firmwareID); err != nil {
		return iotsec.AssessmentInputs{}, err
	}
	var in iotsec.AssessmentInputs
	var ics, ixit string
	err := s.db.QueryRowContext(ctx, s.q("SELECT ics, ixit, updated_at FROM assessment_inputs WHERE firmware_id = ? AND org_id = ?"), firmwareID, a.OrgID).Scan(&ics, &ixit, tscan{&in.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return in, nil
	}
	if ics != "" {
		in.ICS = []byte(ics)
	}
	if ixit != "" {
		in.IXIT = []byte(ixit)
	}
	return in, err
}
