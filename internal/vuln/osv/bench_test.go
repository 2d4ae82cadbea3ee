package osv

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/vuln"
)

// genZip writes an all.zip-shaped archive of n Alpine-style OSV records
// (one to three affected packages with ECOSYSTEM ranges, aliases,
// references, a details paragraph), about 1.5 KB each.
func genZip(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range n {
		var aff []string
		for range 1 + r.IntN(3) {
			name := fmt.Sprintf("pkg%d", r.IntN(20000))
			aff = append(aff, fmt.Sprintf(`{"package":{"ecosystem":"Alpine:v3.%d","name":"%s","purl":"pkg:apk/alpine/%s?arch=source"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"%d.%d.%d-r%d"}]}],"database_specific":{"source":"https://secdb.alpinelinux.org/v3.%d/main.json"}}`,
				r.IntN(20), name, name, r.IntN(10), r.IntN(30), r.IntN(50), r.IntN(5), r.IntN(20)))
		}
		id := fmt.Sprintf("CVE-%d-%05d", 2000+i/100000, i%100000)
		rec := fmt.Sprintf(`{"schema_version":"1.6.0","id":"ALPINE-%s","modified":"2025-01-14T10:46:28.398574Z","published":"2024-02-05T01:15:09.823Z","upstream":["%s"],"related":["%s"],`+
			`"details":"A flaw was found in the request handling of the package, where a remote attacker could send a crafted request that causes an out-of-bounds read, leading to a crash of the service or disclosure of memory contents. Versions before the fixed release are affected.",`+
			`"affected":[%s],"references":[{"type":"ADVISORY","url":"https://security.alpinelinux.org/vuln/%s"},{"type":"REPORT","url":"https://nvd.nist.gov/vuln/detail/%s"}]}`,
			id, id, id, strings.Join(aff, ","), id, id)
		w, _ := zw.Create("ALPINE-" + id + ".json")
		w.Write([]byte(rec))
	}
	zw.Close()
	return buf.Bytes()
}

func TestGenZipParses(t *testing.T) {
	data := genZip(100, 3)
	n, err := ReadZipReader(bytes.NewReader(data), int64(len(data)), "gen.zip", DefaultLimits(), func(a *vuln.Advisory) error {
		if len(a.Affected) == 0 || len(a.Aliases) != 1 {
			t.Fatalf("record %s: %+v", a.ID, a)
		}
		return nil
	})
	if err != nil || n != 100 {
		t.Fatalf("ReadZipReader = %d, %v", n, err)
	}
}

// BenchmarkReadZip measures import parsing of a 20,000-record all.zip
// from memory (decompression included).
func BenchmarkReadZip(b *testing.B) {
	const n = 20000
	data := genZip(n, 1)
	b.Logf("archive: %d records, %d MB compressed", n, len(data)>>20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got, err := ReadZipReader(bytes.NewReader(data), int64(len(data)), "bench.zip", DefaultLimits(), func(*vuln.Advisory) error { return nil })
		if err != nil || got != n {
			b.Fatal(got, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
