package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"strings"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// What the API and the web UI share: both take uploads, record evidence
// and keep the ICS the same way, and neither may import the other.

// Spool reads an uploaded image (at most max bytes) into a temporary
// file in dir while hashing it, so the store can then take it in one
// short transaction instead of holding one open for the upload's
// duration. The caller removes the file.
func Spool(body io.Reader, dir, name string, max int64) (*os.File, iotsec.Image, error) {
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

// Queue stores a spooled image for a firmware version and queues its
// scan; it is shared by the API and the web UI.
func Queue(ctx context.Context, s iotsec.Store, a iotsec.Actor, firmwareID string, f *os.File, img iotsec.Image) (iotsec.Job, error) {
	input, _ := json.Marshal(JobInput{FirmwareID: firmwareID})
	job := iotsec.Job{Kind: Kind}
	err := s.SaveImage(ctx, a, firmwareID, img, f, &job, input)
	return job, err
}

// EvidenceInput is the body of POST /firmware/{id}/evidence.
type EvidenceInput struct {
	Provision string `json:"provision"`
	TestCase  string `json:"test_case"`
	Verdict   string `json:"verdict"`
	Rationale string `json:"rationale"`
	Override  bool   `json:"override"`
}

// RecordEvidence checks an assessor's record against the catalog and
// stores it; shared by the API and the web UI.
func RecordEvidence(ctx context.Context, s iotsec.Store, e *assess.Engine, a iotsec.Actor, firmwareID string, in EvidenceInput) (iotsec.Evidence, error) {
	if err := a.Can(iotsec.PermAssess); err != nil {
		return iotsec.Evidence{}, err
	}
	v, err := assess.ParseVerdict(in.Verdict)
	if err != nil {
		return iotsec.Evidence{}, iotsec.Invalid("verdict", "%v", err)
	}
	ev := assess.Evidence{Provision: strings.TrimSpace(in.Provision), TestCase: strings.TrimSpace(in.TestCase), Verdict: v,
		Rationale: strings.TrimSpace(in.Rationale), Override: in.Override}
	if err := e.Check(ev); err != nil {
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
	return rec, s.AddEvidence(ctx, a, &rec)
}

// StoredICS returns a firmware version's ICS with every provision listed.
func StoredICS(ctx context.Context, s iotsec.Store, e *assess.Engine, a iotsec.Actor, firmwareID string) (*assess.ICS, error) {
	fw, err := s.GetFirmware(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	p, err := s.GetProduct(ctx, a, fw.ProductID)
	if err != nil {
		return nil, err
	}
	in, err := s.AssessmentInputs(ctx, a, firmwareID)
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
	return e.Complete(ics), nil
}

// SaveICS reads an ICS (CSV or JSON) and stores it; shared with the UI.
func SaveICS(ctx context.Context, s iotsec.Store, e *assess.Engine, a iotsec.Actor, firmwareID string, body io.Reader) (*assess.ICS, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	ics, err := e.ReadICS(body)
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
	if err := s.SetAssessmentInputs(ctx, a, firmwareID, iotsec.AssessmentInputs{ICS: b}); err != nil {
		return nil, err
	}
	return StoredICS(ctx, s, e, a, firmwareID)
}
