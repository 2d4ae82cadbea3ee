package scan_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/scan"
)

func engine(t *testing.T) *assess.Engine {
	t.Helper()
	cat, err := crosswalk.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := assess.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRunProgress(t *testing.T) {
	var mu sync.Mutex
	var steps []int
	stages := map[string]int{}
	res, err := scan.Run(context.Background(), "router.bin", firmwaretest.Router(), scan.Options{Engine: engine(t), Progress: func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		steps = append(steps, done)
		stages[stage]++
		if total != 10 {
			t.Errorf("total = %d, want 10 (unpack, 8 families, assess)", total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(steps, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) || stages["inspect"] != 8 || stages["unpack"] != 1 || stages["assess"] != 1 {
		t.Errorf("progress steps %v, stages %v", steps, stages)
	}
	if !res.Reaches("critical") {
		t.Error("Reaches(critical) false on the router image")
	}
	if _, err := scan.Run(context.Background(), "empty.bin", nil, scan.Options{Engine: engine(t)}); !errors.Is(err, scan.ErrNothing) {
		t.Errorf("empty image: %v, want ErrNothing", err)
	}
	if _, err := scan.Run(context.Background(), "x", []byte("x"), scan.Options{}); err == nil {
		t.Error("Run without an engine: no error")
	}
	for in, want := range map[string]string{"High": "high", " info ": "info"} {
		if got, err := scan.ParseSeverity(in); err != nil || string(got) != want {
			t.Errorf("ParseSeverity(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := scan.ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe): no error")
	}
}

// memStore is the scan job's store, in memory.
type memStore struct {
	img      iotsec.Image
	data     []byte
	rec      iotsec.ScanRecord
	errMsg   string
	progress []iotsec.Progress
}

func (m *memStore) Image(ctx context.Context, a iotsec.Actor, id string) (iotsec.Image, []byte, error) {
	if id != "fw_1" {
		return iotsec.Image{}, nil, iotsec.NotFound("firmware image")
	}
	return m.img, m.data, nil
}

func (m *memStore) SaveScan(ctx context.Context, a iotsec.Actor, id string, rec iotsec.ScanRecord, errMsg string, p *iotsec.Progress) error {
	m.rec, m.errMsg = rec, errMsg
	if p != nil {
		m.progress = append(m.progress, *p)
	}
	return nil
}

func (m *memStore) SaveProgress(ctx context.Context, p iotsec.Progress) error {
	m.progress = append(m.progress, p)
	return nil
}

func TestHandler(t *testing.T) {
	img := firmwaretest.Router()
	m := &memStore{img: iotsec.Image{Name: "router.bin"}, data: img}
	h := &scan.Handler{Store: m, Engine: engine(t)}
	job := iotsec.Job{ID: "job_1", Actor: iotsec.System("org_1", "t")}
	out, err := h.Run(context.Background(), job, []byte(`{"firmware_id":"fw_1"}`))
	if err != nil {
		t.Fatal(err)
	}
	var res scan.JobResult
	json.Unmarshal(out, &res)
	if res.Findings != len(m.rec.Findings) || res.Findings < 10 || res.Statuses["sg-cls"] != "not-met" || m.errMsg != "" {
		t.Errorf("result %+v, stored %d findings, error %q", res, len(m.rec.Findings), m.errMsg)
	}
	last := m.progress[len(m.progress)-1]
	if last.Done != 10 || last.Total != 10 || last.JobID != "job_1" {
		t.Errorf("last progress = %+v", last)
	}
	if m.rec.Findings[0].Rule != "credentials.default-password" || m.rec.Findings[0].Evidence.Text == "" || len(m.rec.Components) < 5 {
		t.Errorf("stored record: first finding %+v, %d components", m.rec.Findings[0], len(m.rec.Components))
	}
	// An empty image fails the job as bad input and records why.
	m.data = nil
	_, err = h.Run(context.Background(), job, []byte(`{"firmware_id":"fw_1"}`))
	if iotsec.Kind(err) != iotsec.ErrInvalid || m.errMsg == "" {
		t.Errorf("empty image: error %v, stored %q", err, m.errMsg)
	}
	for _, in := range []string{`{}`, `nope`} {
		if _, err := h.Run(context.Background(), job, []byte(in)); iotsec.Kind(err) != iotsec.ErrInvalid {
			t.Errorf("input %s: %v", in, err)
		}
	}
	if _, err := h.Run(context.Background(), job, []byte(`{"firmware_id":"fw_2"}`)); iotsec.Kind(err) != iotsec.ErrNotFound {
		t.Errorf("unknown firmware: %v", err)
	}
}

// A decompression bomb ends at the unpacking limit with an error that
// says so, quickly and without holding the bomb's size in memory.
func TestRunBomb(t *testing.T) {
	bomb := firmwaretest.Gzip(make([]byte, 256<<20)) // 256 MiB of zeros, about 256 KB packed
	_, err := scan.Run(context.Background(), "bomb.bin", bomb, scan.Options{Engine: engine(t)})
	if !errors.Is(err, scan.ErrNothing) || !strings.Contains(err.Error(), "exceed") {
		t.Errorf("bomb: %v, want no file read because a limit was exceeded", err)
	}
	// The same bomb next to a readable root file system: the scan goes on
	// with what it read and says what it lost.
	img := append(firmwaretest.Router(), bomb...)
	res, err := scan.Run(context.Background(), "router+bomb.bin", img, scan.Options{Engine: engine(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 || !res.Reaches("critical") {
		t.Errorf("warnings %v, %d findings; want a limit warning and the router's findings", res.Warnings, len(res.Findings))
	}
}
