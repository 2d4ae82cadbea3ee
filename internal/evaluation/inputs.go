package evaluation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// Upload reads an image called name (at most MaxImage bytes) for a
// firmware version, stores it and queues its scan; the job is returned.
// The image is spooled to a temporary file while it is hashed, so the
// store takes it in one short transaction instead of holding one open for
// the upload's duration.
func (s *Service) Upload(ctx context.Context, a iotsec.Actor, firmwareID, name string, body io.Reader) (iotsec.Job, error) {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return iotsec.Job{}, err
	}
	f, img, err := spool(body, s.SpoolDir, name, s.MaxImage)
	if err != nil {
		return iotsec.Job{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	input, _ := json.Marshal(JobInput{FirmwareID: firmwareID})
	job := iotsec.Job{Kind: JobKind}
	err = s.store.SaveImage(ctx, a, firmwareID, img, f, &job, input)
	return job, err
}

// spool copies body (at most max bytes) into a temporary file in dir and
// hashes it. The caller removes the file.
func spool(body io.Reader, dir, name string, max int64) (*os.File, iotsec.Image, error) {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "image.bin"
	}
	if len(name) > 200 {
		name = name[:200]
	}
	f, err := os.CreateTemp(dir, "iotsec-upload-*")
	if err != nil {
		return nil, iotsec.Image{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(body, max+1))
	if err == nil && n > max {
		err = iotsec.Errorf(iotsec.ErrTooLarge, "the image is larger than %d bytes", max)
	}
	if err == nil && n == 0 {
		err = iotsec.Invalid("image", "is empty")
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		// A body over the server's limit fails with *http.MaxBytesError,
		// which the server answers with 413.
		return nil, iotsec.Image{}, err
	}
	return f, iotsec.Image{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Name: name, Size: n}, nil
}

// EvidenceInput is an assessor's record as the doors take it (the body of
// POST /firmware/{id}/evidence, the fields of the evidence form).
type EvidenceInput struct {
	Provision string `json:"provision"`
	TestCase  string `json:"test_case"`
	Verdict   string `json:"verdict"`
	Rationale string `json:"rationale"`
	Override  bool   `json:"override"`
}

// RecordEvidence checks an assessor's record against the catalog and
// stores it. A record the catalog refuses is invalid, naming its field.
func (s *Service) RecordEvidence(ctx context.Context, a iotsec.Actor, firmwareID string, in EvidenceInput) (iotsec.Evidence, error) {
	if err := a.Can(iotsec.PermAssess); err != nil {
		return iotsec.Evidence{}, err
	}
	v, err := assess.ParseVerdict(in.Verdict)
	if err != nil {
		return iotsec.Evidence{}, iotsec.Invalid("verdict", "%v", err)
	}
	ev := assess.Evidence{Provision: strings.TrimSpace(in.Provision), TestCase: strings.TrimSpace(in.TestCase), Verdict: v,
		Rationale: strings.TrimSpace(in.Rationale), Override: in.Override}
	if err := s.engine.Check(ev); err != nil {
		// The engine's messages start with what they are about.
		field := "rationale"
		switch {
		case strings.HasPrefix(err.Error(), "provision"):
			field = "provision"
		case strings.HasPrefix(err.Error(), "test case"):
			field = "test_case"
		case strings.HasPrefix(err.Error(), "override"):
			field = "override"
		}
		return iotsec.Evidence{}, iotsec.Invalid(field, "%v", err)
	}
	rec := iotsec.Evidence{FirmwareID: firmwareID, Provision: ev.Provision, TestCase: ev.TestCase, Verdict: string(ev.Verdict),
		Rationale: ev.Rationale, Override: ev.Override}
	if err := s.store.AddEvidence(ctx, a, &rec); err != nil {
		return rec, err
	}
	if s.AfterEvaluate != nil {
		if err := s.AfterEvaluate(ctx, a, firmwareID); err != nil {
			return rec, fmt.Errorf("after the evidence: %w", err)
		}
	}
	return rec, nil
}

// ICS returns a firmware version's ICS with every provision listed, those
// the maker has not stated yet with an empty support.
func (s *Service) ICS(ctx context.Context, a iotsec.Actor, firmwareID string) (*ICS, error) {
	fw, err := s.store.GetFirmware(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	p, err := s.store.GetProduct(ctx, a, fw.ProductID)
	if err != nil {
		return nil, err
	}
	in, err := s.store.AssessmentInputs(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	ics := &assess.ICS{}
	if in.ICS != nil {
		if err := json.Unmarshal(in.ICS, ics); err != nil {
			return nil, err
		}
	}
	ics.Product, ics.Version = p.Name+" ("+p.Model+")", fw.Version
	return s.engine.Complete(ics), nil
}

// ICSCSV returns a firmware version's ICS as a CSV file, the form makers
// fill in and upload again.
func (s *Service) ICSCSV(ctx context.Context, a iotsec.Actor, firmwareID string) ([]byte, error) {
	ics, err := s.ICS(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := assess.WriteICSCSV(&b, ics); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SaveICS reads an ICS (CSV or JSON) and stores it in place of the old
// one; it returns the ICS as ICS does. A malformed file is an invalid
// "ics" that says where.
func (s *Service) SaveICS(ctx context.Context, a iotsec.Actor, firmwareID string, body io.Reader) (*ICS, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	ics, err := s.engine.ReadICS(body)
	if err != nil {
		var ie *assess.ICSError
		if errors.As(err, &ie) {
			return nil, iotsec.Invalid("ics", "%s: %v", ie.At, ie.Err)
		}
		return nil, err
	}
	b, err := json.Marshal(ics)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetAssessmentInputs(ctx, a, firmwareID, iotsec.AssessmentInputs{ICS: b}); err != nil {
		return nil, err
	}
	return s.ICS(ctx, a, firmwareID)
}

// SetIXIT replaces a firmware version's IXIT; it returns what it stored
// (an empty list for nil). Items the catalog refuses are an invalid
// "ixit".
func (s *Service) SetIXIT(ctx context.Context, a iotsec.Actor, firmwareID string, items []IXITEntry) ([]IXITEntry, error) {
	if items == nil {
		items = []IXITEntry{}
	}
	if err := s.engine.CheckIXIT(items); err != nil {
		return nil, iotsec.Invalid("ixit", "%v", err)
	}
	b, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetAssessmentInputs(ctx, a, firmwareID, iotsec.AssessmentInputs{IXIT: b}); err != nil {
		return nil, err
	}
	return items, nil
}

// AddIXIT appends one item to a firmware version's IXIT.
func (s *Service) AddIXIT(ctx context.Context, a iotsec.Actor, firmwareID string, item IXITEntry) error {
	in, err := s.store.AssessmentInputs(ctx, a, firmwareID)
	if err != nil {
		return err
	}
	var items []IXITEntry
	if in.IXIT != nil {
		if err := json.Unmarshal(in.IXIT, &items); err != nil {
			return err
		}
	}
	_, err = s.SetIXIT(ctx, a, firmwareID, append(items, item))
	return err
}
