package inspect_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/firmware"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/inspect"
)

func benchImage(b *testing.B) []byte {
	b.Helper()
	if _, err := exec.LookPath("mksquashfs"); err != nil {
		b.Skip("mksquashfs not installed (Debian package squashfs-tools)")
	}
	mb := int64(64)
	if v, err := strconv.Atoi(os.Getenv("IOTSEC_BENCH_MB")); err == nil && v > 0 {
		mb = int64(v)
	}
	var files []firmwaretest.File
	if dirs := os.Getenv("IOTSEC_BENCH_REAL"); dirs == "" {
		files = firmwaretest.Tree(1, mb<<20)
	} else {
		// Real programs and libraries (e.g. /usr/bin:/usr/lib/x86_64-linux-gnu
		// on Debian: what its packages installed) beside the router's
		// planted problems.
		var err error
		if files, err = firmwaretest.RealTree(mb<<20, filepath.SplitList(dirs)...); err != nil {
			b.Skip("IOTSEC_BENCH_REAL: ", err)
		}
	}
	p := firmwaretest.Squashfs(b, b.TempDir(), files, "xz")
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkScan is a full scan: unpack the image, then every analyser.
func BenchmarkScan(b *testing.B) {
	data := benchImage(b)
	b.SetBytes(int64(len(data)))
	resetPeak()
	b.ResetTimer()
	var findings, comps int
	for b.Loop() {
		im, err := firmware.Unpack(context.Background(), "root.sqfs", data, firmware.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		r, err := inspect.Run(context.Background(), im.FS, inspect.Default())
		if err != nil {
			b.Fatal(err)
		}
		findings, comps = len(r.Findings), len(r.Components)
	}
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(comps), "components")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
}

// resetPeak drops garbage from building the image and restarts the
// peak-memory count (Linux: writing 5 to clear_refs resets VmHWM), so the
// figure covers the benchmark loop only.
func resetPeak() {
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// scanOnce is a full scan of data; the unpacked image is garbage when it
// returns.
func scanOnce(data []byte) error {
	im, err := firmware.Unpack(context.Background(), "root.sqfs", data, firmware.Limits{})
	if err != nil {
		return err
	}
	_, err = inspect.Run(context.Background(), im.FS, inspect.Default())
	return err
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS reports the process's peak resident memory in MiB (Linux).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkInspect runs the analysers on an image unpacked beforehand,
// one sub-benchmark per family and one for all.
func BenchmarkInspect(b *testing.B) {
	data := benchImage(b)
	im, err := firmware.Unpack(context.Background(), "root.sqfs", data, firmware.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, as []inspect.Analyser) {
		b.SetBytes(im.Bytes)
		for b.Loop() {
			if _, err := inspect.Run(context.Background(), im.FS, as); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("all", func(b *testing.B) { run(b, inspect.Default()) })
	for _, a := range inspect.Default() {
		b.Run(a.Name(), func(b *testing.B) { run(b, []inspect.Analyser{a}) })
	}
}

// BenchmarkScanVsUnsquashfs runs a full scan (unpack, then every
// analyser) and unsquashfs extracting the same image to disk, one after
// the other in each iteration, and reports the ratio of their times, so
// that the load of a shared machine weighs on both alike.
func BenchmarkScanVsUnsquashfs(b *testing.B) {
	data := benchImage(b)
	tool, err := exec.LookPath("unsquashfs")
	if err != nil {
		b.Skip("unsquashfs not installed (Debian package squashfs-tools)")
	}
	img := filepath.Join(b.TempDir(), "root.sqfs")
	if err := os.WriteFile(img, data, 0o644); err != nil {
		b.Fatal(err)
	}
	resetPeak()
	var scanT, unsqT, scanCPU, unsqCPU time.Duration
	n := 0
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "x")
		t0 := time.Now()
		cmd := exec.Command(tool, "-f", "-no-progress", "-d", out, img)
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("unsquashfs: %v: %s", err, o)
		}
		unsqT += time.Since(t0)
		unsqCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		os.RemoveAll(out)
		c1 := cpuTime()
		t1 := time.Now()
		if err := scanOnce(data); err != nil {
			b.Fatal(err)
		}
		scanT += time.Since(t1)
		scanCPU += cpuTime() - c1
		n++
		// Each scan starts from a collected heap, as in the server (its
		// scan job ends with debug.FreeOSMemory) and the command line
		// (one scan per process); without this the peak counts the
		// previous iteration's image, garbage not yet collected, too.
		debug.FreeOSMemory()
	}
	// CPU time (user + system) is reported beside wall time: on a loaded
	// machine wall time depends on what else runs, CPU time much less.
	b.ReportMetric(scanCPU.Seconds()/float64(n), "scan-cpu-s")
	b.ReportMetric(unsqCPU.Seconds()/float64(n), "unsquashfs-cpu-s")
	b.ReportMetric(scanCPU.Seconds()/unsqCPU.Seconds(), "scan/unsquashfs-cpu")
	b.ReportMetric(scanT.Seconds()/float64(n), "scan-s")
	b.ReportMetric(unsqT.Seconds()/float64(n), "unsquashfs-s")
	b.ReportMetric(scanT.Seconds()/unsqT.Seconds(), "scan/unsquashfs")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
}
