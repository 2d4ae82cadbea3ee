package scan_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
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

// TestNotFirmware: inputs in which no format is recognised get no result
// (no findings, no verdicts) and an error naming what they look like; an
// input with a kernel banner is read as a bare kernel.
func TestNotFirmware(t *testing.T) {
	e := engine(t)
	for _, tt := range []struct {
		name string
		data string
		want string // "" means a result
	}{
		{"notes.txt", "this is not a router image\n", "27 bytes of text"},
		{"app", "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 57), "an ELF program"},
		{"doc.pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"},
		{"noise.bin", "\x01\x02\x03\xff\xfe\x00\x10" + strings.Repeat("\x9c", 100), "data in no known format"},
		{"vmlinux", "\x00\x01Linux version 5.10.0 (builder@host) (gcc version 10.2.1) #1 SMP\n\x00", ""},
	} {
		res, err := scan.Run(context.Background(), tt.name, []byte(tt.data), scan.Options{Engine: e})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want a result", tt.name, err)
		case tt.want != "" && (!errors.Is(err, scan.ErrNotFirmware) || !strings.Contains(err.Error(), tt.want) || res != nil):
			t.Errorf("%s: result %v, error %v; want ErrNotFirmware saying %q", tt.name, res != nil, err, tt.want)
		}
	}
}
