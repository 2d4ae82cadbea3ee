package evaluation_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
)

// Bombs, built by the test, small on disk.

// squashfsZeros is a squashfs holding one sparse file of n zero bytes.
func squashfsZeros(t *testing.T, n int64) []byte {
	t.Helper()
	tool, err := exec.LookPath("mksquashfs")
	if err != nil {
		t.Skip("mksquashfs not installed (Debian package squashfs-tools)")
	}
	d := t.TempDir()
	root := filepath.Join(d, "root")
	apptest.Must(t, os.MkdirAll(root, 0o755))
	f, err := os.Create(filepath.Join(root, "zeros"))
	apptest.Must(t, err)
	apptest.Must(t, f.Truncate(n)) // sparse: nothing written
	apptest.Must(t, f.Close())
	out := filepath.Join(d, "zeros.sqfs")
	if b, err := exec.Command(tool, root, out, "-comp", "xz", "-noappend", "-no-progress", "-quiet").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	apptest.Must(t, err)
	return b
}

// gzipZeros is n zero bytes, gzip'd.
func gzipZeros(t *testing.T, n int64) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	apptest.Must(t, err)
	zero := make([]byte, 1<<20)
	for i := int64(0); i < n; i += int64(len(zero)) {
		w.Write(zero)
	}
	apptest.Must(t, w.Close())
	return b.Bytes()
}

// xzZeros is n zero bytes, xz'd by the xz command.
func xzZeros(t *testing.T, n int64) []byte {
	t.Helper()
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("xz not installed (Debian package xz-utils)")
	}
	cmd := exec.Command("xz", "-1", "-T1", "-c")
	cmd.Stdin = io.LimitReader(zeroReader{}, n)
	b, err := cmd.Output()
	apptest.Must(t, err)
	return b
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// procStatus reads a field of /proc/self/status in bytes.
func procStatus(t *testing.T, field string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// resetPeak resets the process's peak RSS (Linux: clear_refs 5).
func resetPeak() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// TestBombsBounded uploads a squashfs holding a 2 GiB file of zeros, a
// gzip bomb and an xz bomb through the API and runs their scan jobs: each
// scan stops at the bound the upload's size gives (20 times it, at least
// 64 MiB, never more than the configured cap), says so in its warnings,
// and the process's peak memory stays under max(1 GiB, 64 × the upload);
// the memory comes back after the scan.
func TestBombsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds decompression bombs; not in -short")
	}
	f := apptest.New(t)
	g := &f.A
	for _, tt := range []struct {
		name string
		make func(*testing.T) []byte
	}{
		{"zeros.sqfs", func(t *testing.T) []byte { return squashfsZeros(t, 2<<30) }},
		{"bomb.gz", func(t *testing.T) []byte { return gzipZeros(t, 1<<30) }},
		{"bomb.xz", func(t *testing.T) []byte { return xzZeros(t, 1<<30) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			img := tt.make(t)
			size := int64(len(img))
			bound := min(max(20*size, 64<<20), 1<<30) // the server's default cap
			limit := max(int64(1<<30), 64*size)
			jobID := upload(t, f, g, tt.name, img)
			img = nil
			runtime.GC()
			debug.FreeOSMemory()
			before := procStatus(t, "VmRSS")
			peakOK := resetPeak()
			// An image of which nothing could be read within the bound fails
			// its job (bad input is not retried); one that was partly read
			// succeeds with a warning. Either way the reason names the bound.
			jobErr := runQueued(t, f, jobID)
			peak, after := procStatus(t, "VmHWM"), procStatus(t, "VmRSS")
			resp, body := f.Do("GET", "/api/v1/firmware/"+g.Firmware.ID+"/scan", g.Token, "", nil)
			var sc struct {
				State    string   `json:"state"`
				Error    string   `json:"error"`
				Bytes    int64    `json:"bytes"`
				Warnings []string `json:"warnings"`
			}
			apptest.Must(t, json.Unmarshal(body, &sc))
			why := fmt.Sprintf("extracted bytes would exceed %d: limit exceeded", bound)
			said := sc.Error + "\n" + strings.Join(sc.Warnings, "\n")
			if jobErr != nil && !strings.Contains(jobErr.Error(), why) {
				t.Errorf("%s: job error %v does not name the bound", tt.name, jobErr)
			}
			if resp.StatusCode != 200 || !strings.Contains(said, why) || sc.Bytes > bound || (jobErr == nil) != (sc.State == "succeeded") {
				t.Errorf("%s (%d bytes): scan %s, %d bytes unpacked, bound %d, error %q, warnings %q", tt.name, size, sc.State, sc.Bytes, bound, sc.Error, sc.Warnings)
			}
			t.Logf("%s: %d bytes uploaded, bound %d MiB; scan %s; RSS before %d MiB, peak %d MiB (limit %d MiB), after %d MiB",
				tt.name, size, bound>>20, sc.State, before>>20, peak>>20, limit>>20, after>>20)
			if peakOK && peak > limit {
				t.Errorf("%s: peak RSS %d MiB over max(1 GiB, 64 × upload) = %d MiB", tt.name, peak>>20, limit>>20)
			}
			if !peakOK {
				t.Log("peak RSS not measured: /proc/self/clear_refs not writable")
			}
			if after > before+256<<20 {
				t.Errorf("%s: RSS %d MiB after the scan, %d MiB before: memory not returned", tt.name, after>>20, before>>20)
			}
		})
	}
}
