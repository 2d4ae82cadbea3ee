package xzdec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// afterFirstStream are bad files whose fault lies after their first
// stream; Decode reads only the first stream (as squashfs blocks and
// embedded streams need), so it accepts them.
var afterFirstStream = map[string]bool{
	"bad-0pad-empty.xz":        true,
	"bad-0catpad-empty.xz":     true,
	"bad-0cat-alone.xz":        true,
	"bad-0cat-header_magic.xz": true,
}

// TestXZUtilsFiles decodes the test files of XZ Utils: good files decode
// (or are left to the general decoder when they use other filters) with
// the output of therootcompany/xz, bad files fail, unsupported files
// fail or are left to the general decoder.
func TestXZUtilsFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/xz-tests/*.xz")
	if err != nil || len(files) < 60 {
		t.Fatalf("%d test files: %v", len(files), err)
	}
	for _, name := range files {
		base := filepath.Base(name)
		t.Run(base, func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			out, n, err := Decode(nil, src, 1<<30, testDict)
			switch {
			case strings.HasPrefix(base, "good-"):
				if errors.Is(err, ErrUnsupported) {
					if !strings.Contains(base, "delta") && !strings.Contains(base, "bcj") && !strings.Contains(base, "arm64") {
						t.Fatalf("LZMA2-only file left to the general decoder: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				ref, rerr := reference(src[:n], 1<<30, testDict)
				if rerr != nil || string(ref) != string(out) {
					t.Fatalf("reference: %v, same output %v", rerr, string(ref) == string(out))
				}
			case strings.HasPrefix(base, "bad-"):
				if afterFirstStream[base] {
					if err != nil {
						t.Fatalf("first stream is good: %v", err)
					}
					return
				}
				if err == nil || errors.Is(err, ErrUnsupported) {
					t.Fatalf("bad file: err %v", err)
				}
				t.Log(err)
			default: // unsupported-
				if err == nil {
					t.Fatal("unsupported file decoded")
				}
				t.Log(err)
			}
		})
	}
}
