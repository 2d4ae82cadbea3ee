package firmware_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/iotsec/iotsec/internal/firmware"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
)

// The benchmark image is made once per run and shared by the benchmarks
// so that Unpack and unsquashfs read the very same file.
var bench struct {
	once sync.Once
	dir  string
	path string
}

// benchMB is the uncompressed size of the benchmark tree, IOTSEC_BENCH_MB
// or 128 (which xz-compresses to about 65 MiB).
func benchMB() int64 {
	if v, err := strconv.Atoi(os.Getenv("IOTSEC_BENCH_MB")); err == nil && v > 0 {
		return int64(v)
	}
	return 128
}

func benchImage(b *testing.B) string {
	b.Helper()
	if _, err := exec.LookPath("mksquashfs"); err != nil {
		b.Skip("mksquashfs not installed (Debian package squashfs-tools)")
	}
	bench.once.Do(func() {
		dir, err := os.MkdirTemp("", "iotsec-bench-")
		if err != nil {
			b.Fatal(err)
		}
		bench.dir = dir
		bench.path = firmwaretest.Squashfs(b, dir, firmwaretest.Tree(1, benchMB()<<20), "xz")
		os.RemoveAll(filepath.Join(dir, "root"))
	})
	if bench.path == "" {
		b.Fatal("no benchmark image")
	}
	return bench.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// resetPeak drops garbage from building the image and restarts the
// peak-memory count (Linux: writing 5 to clear_refs resets VmHWM), so the
// figure covers the benchmark loop only.
func resetPeak() {
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS reports the process's peak resident memory in MiB (Linux).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

func BenchmarkUnpackSquashfsXZ(b *testing.B) {
	data, err := os.ReadFile(benchImage(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	resetPeak()
	b.ReportAllocs()
	b.ResetTimer()
	var files int
	for b.Loop() {
		im, err := firmware.Unpack(context.Background(), "root.sqfs", data, firmware.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		files = im.Files
	}
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(len(data))/(1<<20), "image-MiB")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
}

// BenchmarkUnsquashfs is the yardstick: squashfs-tools extracting the
// same image to disk with all cores.
func BenchmarkUnsquashfs(b *testing.B) {
	img := benchImage(b)
	tool, err := exec.LookPath("unsquashfs")
	if err != nil {
		b.Skip("unsquashfs not installed (Debian package squashfs-tools)")
	}
	st, _ := os.Stat(img)
	b.SetBytes(st.Size())
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "x")
		if o, err := exec.Command(tool, "-f", "-no-progress", "-d", out, img).CombinedOutput(); err != nil {
			b.Fatalf("unsquashfs: %v: %s", err, o)
		}
		os.RemoveAll(out)
	}
}
