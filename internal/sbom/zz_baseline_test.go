package sbom

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestZZBaseline(t *testing.T) {
	counts := map[string][2]int{}
	var refusedValid []string
	filepath.Walk("testdata", func(p string, info os.FileInfo, err error) error {
		if info.IsDir() || strings.Contains(p, "schema") || strings.HasSuffix(p, "LICENSE") || strings.HasSuffix(p, ".md") {
			return nil
		}
		_, _, derr := DecodeFile(p, DefaultLimits())
		parts := strings.Split(p, "/")
		key := parts[1]
		if strings.HasPrefix(key, "cyclonedx-spec") {
			kind := "valid"
			if strings.HasPrefix(filepath.Base(p), "invalid-") {
				kind = "invalid"
			}
			key += "/" + parts[2] + "/" + filepath.Ext(p) + "/" + kind
		} else {
			key += "/" + filepath.Ext(p)
		}
		c := counts[key]
		if derr == nil {
			c[0]++
		} else {
			c[1]++
			if !strings.HasPrefix(filepath.Base(p), "invalid-") {
				refusedValid = append(refusedValid, p+": "+derr.Error())
			}
		}
		counts[key] = c
		return nil
	})
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%-45s read %3d refused %3d\n", k, counts[k][0], counts[k][1])
	}
	for _, r := range refusedValid {
		if len(r) > 300 {
			r = r[:300]
		}
		fmt.Println("  REFUSED", r)
	}
}
