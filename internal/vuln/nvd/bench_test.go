package nvd

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/vuln"
)

// genFeed writes an NVD-shaped yearly feed of n records: English
// description, CVSS 3.1 and 2.0 metrics, a weakness, five references and
// one or two configurations of one to four ranged criteria, close to the
// size of a median real record (about 3 KB).
func genFeed(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	b.WriteString(`{"resultsPerPage":` + fmt.Sprint(n) + `,"startIndex":0,"totalResults":` + fmt.Sprint(n) +
		`,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-25T00:00:00.000","vulnerabilities":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		vendor := fmt.Sprintf("vendor%d", r.IntN(20000))
		product := fmt.Sprintf("product%d", r.IntN(5))
		var crit []string
		for range 1 + r.IntN(4) {
			maj := r.IntN(10)
			crit = append(crit, fmt.Sprintf(`{"vulnerable":true,"criteria":"cpe:2.3:a:%s:%s:*:*:*:*:*:*:*:*","versionStartIncluding":"%d.0","versionEndExcluding":"%d.%d.%d","matchCriteriaId":"%08X-0000-4000-8000-%012X"}`,
				vendor, product, maj, maj, r.IntN(20), r.IntN(50), r.Uint32(), r.Uint64()&0xffffffffffff))
		}
		cfg := `{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[` + strings.Join(crit, ",") + `]}]}`
		if r.IntN(10) == 0 {
			cfg += `,{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[` + crit[0] +
				`]},{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*","matchCriteriaId":"703AF700-7A70-47E2-BC3A-7FD03B3CA9C1"}]}]}`
		}
		var refs []string
		for k := range 5 {
			refs = append(refs, fmt.Sprintf(`{"url":"https://%s.example.com/security/advisory/%d-%d","source":"cve@mitre.org","tags":["Vendor Advisory","Patch"]}`, vendor, i, k))
		}
		fmt.Fprintf(&b, `{"cve":{"id":"CVE-%d-%05d","sourceIdentifier":"cve@mitre.org","published":"2024-01-31T13:15:10.703","lastModified":"2024-06-20T19:59:27.430","vulnStatus":"Analyzed","cveTags":[],`+
			`"descriptions":[{"lang":"en","value":"A buffer overflow in the %s %s request parser allows remote attackers to execute arbitrary code or cause a denial of service via a crafted packet with an overlong header field, because the length is not checked before the copy into a fixed-size stack buffer. This affects versions before the fixed release."},{"lang":"es","value":"Un desbordamiento de búfer en el analizador de solicitudes permite a atacantes remotos ejecutar código arbitrario."}],`+
			`"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8,"baseSeverity":"CRITICAL","attackVector":"NETWORK","attackComplexity":"LOW","privilegesRequired":"NONE","userInteraction":"NONE","scope":"UNCHANGED","confidentialityImpact":"HIGH","integrityImpact":"HIGH","availabilityImpact":"HIGH"},"exploitabilityScore":3.9,"impactScore":5.9}],`+
			`"cvssMetricV2":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"2.0","vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P","baseScore":7.5,"accessVector":"NETWORK","accessComplexity":"LOW","authentication":"NONE","confidentialityImpact":"PARTIAL","integrityImpact":"PARTIAL","availabilityImpact":"PARTIAL"},"baseSeverity":"HIGH","exploitabilityScore":10.0,"impactScore":6.4,"acInsufInfo":false,"obtainAllPrivilege":false,"obtainUserPrivilege":false,"obtainOtherPrivilege":false,"userInteractionRequired":false}]},`+
			`"weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-787"}]}],`+
			`"configurations":[%s],"references":[%s]}}`,
			2000+i/100000, i%100000, vendor, product, cfg, strings.Join(refs, ","))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func TestGenFeedParses(t *testing.T) {
	data := genFeed(200, 7)
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("generated feed is not JSON: %v", err)
	}
	n, err := Read(bytes.NewReader(data), "gen", DefaultLimits(), func(a *vuln.Advisory) error {
		if len(a.Configurations) == 0 || len(a.CVSS) != 2 {
			t.Fatalf("record %s: %d configurations %d metrics", a.ID, len(a.Configurations), len(a.CVSS))
		}
		return nil
	})
	if err != nil || n != 200 {
		t.Fatalf("Read = %d, %v", n, err)
	}
}

func benchRead(b *testing.B, data []byte, n int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got, err := Read(bytes.NewReader(data), "bench", DefaultLimits(), func(*vuln.Advisory) error { return nil })
		if err != nil || got != n {
			b.Fatal(got, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRead measures import parsing of a 20,000-record feed (about the
// size of a yearly NVD feed) from memory, plain and gzipped.
func BenchmarkRead(b *testing.B) {
	const n = 20000
	data := genFeed(n, 1)
	b.Logf("feed: %d records, %d MB, %d bytes/record", n, len(data)>>20, len(data)/n)
	b.Run("json", func(b *testing.B) { benchRead(b, data, n) })
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	b.Run("gzip", func(b *testing.B) { benchRead(b, gz.Bytes(), n) })
}
