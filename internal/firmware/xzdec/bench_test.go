package xzdec

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/therootcompany/xz"
)

// benchData is real machine code when the machine has it: the ELF
// programs of /usr/bin in name order up to 8 MiB, compressed by the xz
// command as squashfs does each block (128 KiB blocks, CRC32, the default
// preset), so that the figures are those of a squashfs data block.
// Without /usr/bin it falls back to the generated binary-like data.
func benchData(b *testing.B) (blocks [][]byte, raw int) {
	b.Helper()
	var data []byte
	names, _ := filepath.Glob("/usr/bin/*")
	sort.Strings(names)
	for _, n := range names {
		if len(data) >= 8<<20 {
			break
		}
		f, err := os.ReadFile(n)
		if err != nil || len(f) < 4 || string(f[:4]) != "\x7fELF" {
			continue
		}
		data = append(data, f...)
	}
	if len(data) < 1<<20 {
		data = corpus()["binary-3M"]
	}
	data = data[:min(len(data), 8<<20)]
	const block = 128 << 10
	for off := 0; off < len(data); off += block {
		chunk := data[off:min(off+block, len(data))]
		blocks = append(blocks, xzCLI(b, chunk, "-C", "crc32", "--lzma2=preset=6,dict=128KiB"))
	}
	return blocks, len(data)
}

// cpuTime is the user+system CPU time of this process (who =
// RUSAGE_SELF) or of its waited-for children (RUSAGE_CHILDREN).
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU throughput, steadier than wall time on a
// loaded machine.
func reportCPU(b *testing.B, who int, start time.Duration, raw int) {
	cpu := cpuTime(who) - start
	b.ReportMetric(float64(raw)*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
}

// BenchmarkDecode compares this decoder with therootcompany/xz and with
// liblzma (the xz command, one process decoding the concatenated
// blocks: xz reads concatenated streams) on the same squashfs-like
// blocks, in one run.
func BenchmarkDecode(b *testing.B) {
	blocks, raw := benchData(b)
	b.Run("xzdec", func(b *testing.B) {
		b.SetBytes(int64(raw))
		buf := make([]byte, 128<<10+1)
		var d Decoder
		start := cpuTime(syscall.RUSAGE_SELF)
		defer func() { reportCPU(b, syscall.RUSAGE_SELF, start, raw) }()
		for b.Loop() {
			for _, src := range blocks {
				if _, _, err := d.Decode(buf, src, 128<<10, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("therootcompany", func(b *testing.B) {
		b.SetBytes(int64(raw))
		buf := make([]byte, 128<<10+1)
		var r *xz.Reader
		start := cpuTime(syscall.RUSAGE_SELF)
		defer func() { reportCPU(b, syscall.RUSAGE_SELF, start, raw) }()
		for b.Loop() {
			for _, src := range blocks {
				var err error
				if r == nil {
					r, err = xz.NewReader(bytes.NewReader(src), 1<<20)
				} else {
					err = r.Reset(bytes.NewReader(src))
				}
				if err != nil {
					b.Fatal(err)
				}
				r.Multistream(false)
				if _, err := io.ReadFull(r, buf[:0]); err != nil {
					b.Fatal(err)
				}
				for {
					_, err := r.Read(buf)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	})
	b.Run("liblzma-xz-dc", func(b *testing.B) {
		if _, err := exec.LookPath("xz"); err != nil {
			b.Skip("xz command not installed")
		}
		all := bytes.Join(blocks, nil)
		b.SetBytes(int64(raw))
		start := cpuTime(syscall.RUSAGE_CHILDREN)
		defer func() { reportCPU(b, syscall.RUSAGE_CHILDREN, start, raw) }()
		for b.Loop() {
			cmd := exec.Command("xz", "-dc", "-T1")
			cmd.Stdin = bytes.NewReader(all)
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
