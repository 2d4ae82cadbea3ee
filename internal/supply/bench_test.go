package supply_test

import (
	"archive/zip"
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	randv2 "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/postgres"
	"github.com/iotsec/iotsec/internal/sqlite"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/storetest"
	"github.com/iotsec/iotsec/internal/supply"
	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/cpe"
	"github.com/iotsec/iotsec/internal/vuln/nvd"
	"github.com/iotsec/iotsec/internal/vuln/osv"
)

// The store-backed counterparts of the engine benchmarks in internal/vuln,
// internal/vuln/nvd and internal/vuln/osv (docs/benchmarks.md). Test files
// cannot be imported across packages, so the generators are repeated here
// in the form the importer reads: NVD CVE API 2.0 feed files and an OSV
// all.zip.

// corpusProducts is the number of products of the generated NVD corpus,
// as in internal/vuln's BenchmarkMatch.
const corpusProducts = 30_000

// feedGen generates the NVD-shaped corpus of internal/vuln's eachCorpus
// (same seed, same draws, so the same CVEs, criteria and CVSS vectors)
// as feed files, a number of records at a time: CVE counts per product
// follow a Zipf law (s = 1.1) over the products; each CVE has one OR
// configuration of one to four criteria on its product (70 % version
// ranges, 27 % exact versions, 3 % all versions), one in ten adds an AND
// configuration with a vulnerable:false platform node, one criterion in
// twenty names target_sw node.js. The records carry what the engine
// corpus leaves out and a real record has (descriptions, a CVSS 2.0
// metric, a weakness, five references): about 2.5 KB each in the file.
type feedGen struct {
	r *rand.Rand
	z *rand.Zipf
	i int
}

func newFeedGen(products int, seed int64) *feedGen {
	r := rand.New(rand.NewSource(seed))
	return &feedGen{r: r, z: rand.NewZipf(r, 1.1, 8, uint64(products-1))}
}

// cvss31 are internal/vuln's cvssSamples as NVD writes them.
var cvss31 = []struct {
	vector   string
	score    float64
	severity string
}{
	{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL"},
	{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "HIGH"},
	{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "HIGH"},
	{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "MEDIUM"},
	{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 5.5, "MEDIUM"},
}

// write writes the next n records of the corpus to w as one feed.
func (g *feedGen) write(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, `{"resultsPerPage":%d,"startIndex":0,"totalResults":%d,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-25T00:00:00.000","vulnerabilities":[`, n, n)
	r := g.r
	for k := range n {
		i := g.i
		g.i++
		if k > 0 {
			bw.WriteByte(',')
		}
		prod := g.z.Uint64()
		base := fmt.Sprintf("cpe:2.3:a:vendor%d:product%d:", prod, prod)
		nc := 1 + r.Intn(4)
		crits := make([]string, 0, nc)
		for range nc {
			maj, min := r.Intn(10), r.Intn(20)
			tsw := "*"
			if r.Intn(20) == 0 {
				tsw = "node.js"
			}
			var name, start, end string
			switch x := r.Intn(100); {
			case x < 70:
				name, start = base+"*:*:*:*:*:"+tsw+":*:*", fmt.Sprintf("%d.%d", maj, min)
				end = fmt.Sprintf("%d.%d.%d", maj, min+r.Intn(5), r.Intn(30))
			case x < 97:
				name = fmt.Sprintf("%s%d.%d.%d:*:*:*:*:%s:*:*", base, maj, min, r.Intn(30), tsw)
			default:
				name = base + "*:*:*:*:*:" + tsw + ":*:*"
			}
			c := fmt.Sprintf(`{"vulnerable":true,"criteria":"%s"`, name)
			if start != "" {
				c += fmt.Sprintf(`,"versionStartIncluding":"%s","versionEndExcluding":"%s"`, start, end)
			}
			c += fmt.Sprintf(`,"matchCriteriaId":"%08X-0000-4000-8000-%012X"}`, crc32.ChecksumIEEE([]byte(name+start+end)), prod)
			crits = append(crits, c)
		}
		cfg := `{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[` + strings.Join(crits, ",") + `]}]}`
		if r.Intn(10) == 0 {
			cfg += `,{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[` + crits[0] +
				`]},{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*","matchCriteriaId":"703AF700-7A70-47E2-BC3A-7FD03B3CA9C1"}]}]}`
		}
		m := cvss31[r.Intn(len(cvss31))]
		var refs []string
		for j := range 5 {
			refs = append(refs, fmt.Sprintf(`{"url":"https://vendor%d.example.com/security/advisory/%d-%d","source":"cve@mitre.org","tags":["Vendor Advisory","Patch"]}`, prod, i, j))
		}
		fmt.Fprintf(bw, `{"cve":{"id":"CVE-%d-%06d","sourceIdentifier":"cve@mitre.org","published":"2024-01-31T13:15:10.703","lastModified":"2024-06-20T19:59:27.430","vulnStatus":"Analyzed","cveTags":[],`+
			`"descriptions":[{"lang":"en","value":"A buffer overflow in the product%d request parser allows remote attackers to execute arbitrary code or cause a denial of service via a crafted packet with an overlong header field, because the length is not checked before the copy into a fixed-size stack buffer."},{"lang":"es","value":"Un desbordamiento de búfer en el analizador de solicitudes permite a atacantes remotos ejecutar código arbitrario."}],`+
			`"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"%s","baseScore":%.1f,"baseSeverity":"%s"},"exploitabilityScore":3.9,"impactScore":5.9}],`+
			`"cvssMetricV2":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"2.0","vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P","baseScore":7.5},"baseSeverity":"HIGH","exploitabilityScore":10.0,"impactScore":6.4}]},`+
			`"weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-787"}]}],`+
			`"configurations":[%s],"references":[%s]}}`,
			2000+i/1000000, i%1000000, prod, m.vector, m.score, m.severity, cfg, strings.Join(refs, ","))
	}
	bw.WriteString(`]}`)
	return bw.Flush()
}

// writeFeed writes the next n records of g to path, gzipped if the name
// ends in .gz.
func writeFeed(tb testing.TB, g *feedGen, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(f)
		w = zw
	}
	err = g.write(w, n)
	if zw != nil && err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// genSBOM is internal/vuln's genSBOM: n components, each a different
// product: the 100 products with the most CVEs, then products drawn
// uniformly, one in ten unknown to the corpus; random x.y.z versions.
func genSBOM(n, p int, seed int64) []vuln.Component {
	r := rand.New(rand.NewSource(seed))
	perm := r.Perm(p)
	out := make([]vuln.Component, n)
	for i := range out {
		prod := uint64(perm[i%p])
		if i < 100 {
			prod = uint64(i)
		}
		if r.Intn(10) == 0 {
			prod = uint64(p + i)
		}
		v := fmt.Sprintf("%d.%d.%d", r.Intn(10), r.Intn(25), r.Intn(30))
		out[i] = vuln.Component{
			Name: fmt.Sprintf("product%d", prod), Version: v,
			CPEs: []string{fmt.Sprintf("cpe:2.3:a:vendor%d:product%d:%s:*:*:*:*:*:*:*", prod, prod, v)},
		}
	}
	return out
}

// writeOSVZip writes internal/vuln/osv's genZip archive to path: n
// Alpine-style records (one to three affected packages with ECOSYSTEM
// ranges, upstream and related CVE, references, a details paragraph).
func writeOSVZip(tb testing.TB, path string, n int, seed uint64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := randv2.New(randv2.NewPCG(seed, 2))
	zw := zip.NewWriter(f)
	for i := range n {
		var aff []string
		for range 1 + r.IntN(3) {
			name := fmt.Sprintf("pkg%d", r.IntN(20000))
			aff = append(aff, fmt.Sprintf(`{"package":{"ecosystem":"Alpine:v3.%d","name":"%s","purl":"pkg:apk/alpine/%s?arch=source"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"%d.%d.%d-r%d"}]}],"database_specific":{"source":"https://secdb.alpinelinux.org/v3.%d/main.json"}}`,
				r.IntN(20), name, name, r.IntN(10), r.IntN(30), r.IntN(50), r.IntN(5), r.IntN(20)))
		}
		id := fmt.Sprintf("CVE-%d-%05d", 2000+i/100000, i%100000)
		w, err := zw.Create("ALPINE-" + id + ".json")
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(w, `{"schema_version":"1.6.0","id":"ALPINE-%s","modified":"2025-01-14T10:46:28.398574Z","published":"2024-02-05T01:15:09.823Z","upstream":["%s"],"related":["%s"],`+
			`"details":"A flaw was found in the request handling of the package, where a remote attacker could send a crafted request that causes an out-of-bounds read, leading to a crash of the service or disclosure of memory contents. Versions before the fixed release are affected.",`+
			`"affected":[%s],"references":[{"type":"ADVISORY","url":"https://security.alpinelinux.org/vuln/%s"},{"type":"REPORT","url":"https://nvd.nist.gov/vuln/detail/%s"}]}`,
			id, id, id, strings.Join(aff, ","), id, id)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
}

// benchStore opens a fresh migrated store: SQLite in a new file under dir,
// or a new PostgreSQL schema (storetest.PostgresDSN skips without
// IOTSEC_TEST_POSTGRES).
func benchStore(tb testing.TB, kind, dir string) *sqlstore.Store {
	tb.Helper()
	ctx := context.Background()
	var s *sqlstore.Store
	var err error
	switch kind {
	case "sqlite":
		f, ferr := os.CreateTemp(dir, "iotsec-*.db")
		if ferr != nil {
			tb.Fatal(ferr)
		}
		f.Close()
		os.Remove(f.Name())
		s, err = sqlite.Open(ctx, f.Name(), sqlstore.Options{})
	case "postgres":
		s, err = postgres.Open(ctx, storetest.PostgresDSN(tb), sqlstore.Options{})
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

var storeKinds = []string{"sqlite", "postgres"}

// TestGenFeedStoreMatch checks the generated files and the store path
// together: the feed parses into the records the engine corpus describes,
// and matching through the store (import, key look-up by CPE and purl,
// index from the loaded rows) finds the same matches as an in-memory
// index of every record.
func TestGenFeedStoreMatch(t *testing.T) {
	const n, products, nOSV = 4000, 1000, 2000
	path := filepath.Join(t.TempDir(), "nvdcve-2.0-2000.json.gz")
	writeFeed(t, newFeedGen(products, 1), path, n)
	zipPath := filepath.Join(t.TempDir(), "all.zip")
	writeOSVZip(t, zipPath, nOSV, 1)
	if k, err := supply.Detect(path); err != nil || k != supply.KindNVD {
		t.Fatalf("Detect = %q, %v", k, err)
	}
	bld := vuln.NewBuilder(cpe.DefaultAliases())
	and, ranged := 0, 0
	got, err := nvd.ReadFile(path, nvd.DefaultLimits(), func(a *vuln.Advisory) error {
		if len(a.CVSS) != 2 || a.Summary == "" || len(a.Configurations) == 0 {
			t.Fatalf("%s: %d metrics, summary %q, %d configurations", a.ID, len(a.CVSS), a.Summary, len(a.Configurations))
		}
		if len(a.Configurations) == 2 {
			and++
		}
		for _, c := range a.Configurations[0].Nodes[0].Criteria {
			if c.HasRange() {
				ranged++
			}
		}
		bld.AddAdvisory(a)
		return nil
	})
	if err != nil || got != n {
		t.Fatalf("nvd.ReadFile = %d, %v", got, err)
	}
	// One in ten AND configurations, 70 % of about 2.5 criteria per CVE
	// ranged: loose bounds that a broken generator misses.
	if and < n/20 || and > n/5 || ranged < n || ranged > 3*n {
		t.Errorf("%d AND configurations, %d ranged criteria in %d records", and, ranged, n)
	}
	if got, err := osv.ReadFile(zipPath, osv.DefaultLimits(), func(a *vuln.Advisory) error {
		bld.AddAdvisory(a)
		return nil
	}); err != nil || got != nOSV {
		t.Fatalf("osv.ReadFile = %d, %v", got, err)
	}
	comps := genSBOM(1000, products, 2)
	r := rand.New(rand.NewSource(3))
	for range 1000 {
		comps = append(comps, vuln.Component{Name: "alpine package", PURL: fmt.Sprintf("pkg:apk/alpine/pkg%d@%d.%d.%d-r0", r.Intn(20000), r.Intn(10), r.Intn(30), r.Intn(50))})
	}
	want := bld.Build().Match(vuln.Firmware{}, comps)
	var viaPURL int
	for _, m := range want {
		if m.Via == "purl" {
			viaPURL++
		}
	}
	if len(want) == viaPURL || viaPURL == 0 {
		t.Fatalf("the generated SBOM matches %d times, %d by purl", len(want), viaPURL)
	}
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			st := benchStore(t, kind, t.TempDir())
			svc := supply.New(st, nil)
			imp, err := svc.Import(context.Background(), "bench", path, "")
			if err != nil || imp.Records != n {
				t.Fatalf("Import = %d records, %v", imp.Records, err)
			}
			imp, err = svc.Import(context.Background(), "bench", zipPath, "")
			if err != nil || imp.Records != nOSV {
				t.Fatalf("Import = %d records, %v", imp.Records, err)
			}
			ms, err := svc.Match(context.Background(), vuln.Firmware{}, comps, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(matchSet(want), matchSet(ms)); diff != "" {
				t.Errorf("store-backed matches differ from the in-memory index (-index +store):\n%s", diff)
			}
		})
	}
}

func matchSet(ms []vuln.Match) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		out[m.Vulnerability.ID+" "+m.Component.Name+"@"+m.Component.Version+" "+m.Component.PURL] = true
	}
	return out
}

// BenchmarkImportNVD measures Service.Import of a 20,000-record NVD feed
// file (plain JSON and gzipped) into an empty database, and, for
// reference, the same file read and encoded into store rows without a
// store ("parse").
func BenchmarkImportNVD(b *testing.B) {
	const n = 20_000
	dir := b.TempDir()
	plain, gz := filepath.Join(dir, "nvdcve-2.0-2000.json"), filepath.Join(dir, "nvdcve-2.0-2000.json.gz")
	writeFeed(b, newFeedGen(corpusProducts, 1), plain, n)
	writeFeed(b, newFeedGen(corpusProducts, 1), gz, n)
	for _, f := range []string{plain, gz} {
		fi, _ := os.Stat(f)
		b.Logf("%s: %d records, %.1f MB", filepath.Base(f), n, float64(fi.Size())/1e6)
	}
	files := []struct{ name, path string }{{"json", plain}, {"gzip", gz}}
	for _, f := range files {
		b.Run("parse/"+f.name, func(b *testing.B) {
			c0 := cpuSeconds()
			for range b.N {
				got, err := nvd.ReadFile(f.path, nvd.DefaultLimits(), func(a *vuln.Advisory) error {
					_, err := supply.Record(a)
					return err
				})
				if err != nil || got != n {
					b.Fatal(got, err)
				}
			}
			b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric((cpuSeconds()-c0)/float64(b.N), "cpu-s/op")
		})
	}
	// The rows the importer writes, encoded once: "rows" times the store
	// alone.
	var rows []iotsec.VulnRecord
	if _, err := nvd.ReadFile(plain, nvd.DefaultLimits(), func(a *vuln.Advisory) error {
		r, err := supply.Record(a)
		rows = append(rows, r)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	for _, kind := range storeKinds {
		for _, f := range files {
			b.Run(kind+"/"+f.name, func(b *testing.B) { benchImport(b, kind, f.path, n) })
		}
		b.Run(kind+"/rows", func(b *testing.B) { benchRows(b, kind, rows) })
	}
}

// benchRows writes encoded rows through the store's VulnWriter in the
// importer's batches, into a fresh store each iteration.
func benchRows(b *testing.B, kind string, rows []iotsec.VulnRecord) {
	ctx := context.Background()
	dir := b.TempDir()
	var cpu float64
	for range b.N {
		b.StopTimer()
		st := benchStore(b, kind, dir)
		b.StartTimer()
		c0 := cpuSeconds()
		imp := iotsec.VulnImport{Kind: supply.KindNVD, File: "rows", By: "bench"}
		err := st.ImportVulns(ctx, &imp, func(w iotsec.VulnWriter) error {
			for lo := 0; lo < len(rows); lo += 2000 {
				if err := w.PutAdvisories(ctx, rows[lo:min(lo+2000, len(rows))]); err != nil {
					return err
				}
			}
			return nil
		})
		cpu += cpuSeconds() - c0
		b.StopTimer()
		if err != nil || imp.Records != len(rows) {
			b.Fatalf("ImportVulns = %d records, %v", imp.Records, err)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}

// BenchmarkImportOSV measures Service.Import of a 20,000-record
// Alpine-style OSV all.zip into an empty database.
func BenchmarkImportOSV(b *testing.B) {
	const n = 20_000
	path := filepath.Join(b.TempDir(), "all.zip")
	writeOSVZip(b, path, n, 1)
	b.Run("parse", func(b *testing.B) {
		c0 := cpuSeconds()
		for range b.N {
			got, err := osv.ReadFile(path, osv.DefaultLimits(), func(a *vuln.Advisory) error {
				_, err := supply.Record(a)
				return err
			})
			if err != nil || got != n {
				b.Fatal(got, err)
			}
		}
		b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric((cpuSeconds()-c0)/float64(b.N), "cpu-s/op")
	})
	for _, kind := range storeKinds {
		b.Run(kind, func(b *testing.B) { benchImport(b, kind, path, n) })
	}
}

// benchImport imports path into a fresh store each iteration; opening and
// migrating the store is outside the timer.
func benchImport(b *testing.B, kind, path string, n int) {
	ctx := context.Background()
	dir := b.TempDir()
	var cpu float64
	for range b.N {
		b.StopTimer()
		st := benchStore(b, kind, dir)
		svc := supply.New(st, nil)
		b.StartTimer()
		c0 := cpuSeconds()
		imp, err := svc.Import(ctx, "bench", path, "")
		cpu += cpuSeconds() - c0
		b.StopTimer()
		if err != nil || imp.Records != n {
			b.Fatalf("Import = %d records, %v", imp.Records, err)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}

// BenchmarkStoreMatch matches a 10,000-component SBOM through the store
// against 300,000 stored NVD-shaped CVEs (IOTSEC_BENCH_CVES lowers it for
// quick runs; a lower count is a prefix of the same corpus). The CVEs are
// imported once, outside the timer, as 20,000-record yearly feed files;
// one Match runs before the timer (warm).
func BenchmarkStoreMatch(b *testing.B) {
	cves := 300_000
	if v := os.Getenv("IOTSEC_BENCH_CVES"); v != "" {
		var err error
		if cves, err = strconv.Atoi(v); err != nil || cves <= 0 {
			b.Fatalf("IOTSEC_BENCH_CVES=%q is not a positive number", v)
		}
	}
	const perFile, comps = 20_000, 10_000
	sbom := genSBOM(comps, corpusProducts, 2)
	for _, kind := range storeKinds {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			st := benchStore(b, kind, dir)
			svc := supply.New(st, nil)
			g := newFeedGen(corpusProducts, 1)
			var imported time.Duration
			for done := 0; done < cves; done += perFile {
				path := filepath.Join(dir, fmt.Sprintf("nvdcve-2.0-%d.json", done/perFile))
				writeFeed(b, g, path, min(perFile, cves-done))
				start := time.Now()
				if _, err := svc.Import(ctx, "bench", path, supply.KindNVD); err != nil {
					b.Fatal(err)
				}
				imported += time.Since(start)
				os.Remove(path)
			}
			b.Logf("%d CVEs imported in %s (%.0f records/s)", cves, imported.Round(time.Second), float64(cves)/imported.Seconds())

			ph := matchParts(b, st, svc, sbom)
			// per-sbom loads each SBOM's candidates from the store; index
			// keeps an index of all the data in memory (the server's
			// default below supply.IndexLimit), built by the warm-up run.
			for _, mode := range []struct {
				name  string
				limit int
			}{{"per-sbom", 0}, {"index", 1 << 30}} {
				b.Run(mode.name, func(b *testing.B) {
					svc := supply.New(st, nil)
					svc.IndexLimit = mode.limit
					start := time.Now()
					if _, err := svc.Match(ctx, vuln.Firmware{}, sbom, nil); err != nil { // warm
						b.Fatal(err)
					}
					warm := time.Since(start)
					runtime.GC()
					// Writing 5 to clear_refs resets the peak RSS (Linux), so the
					// peak of the match phase alone can be read afterwards.
					os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
					var found int
					b.ReportAllocs()
					c0 := cpuSeconds()
					for b.Loop() {
						ms, err := svc.Match(ctx, vuln.Firmware{}, sbom, nil)
						if err != nil {
							b.Fatal(err)
						}
						found = len(ms)
					}
					b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/match")
					b.ReportMetric((cpuSeconds()-c0)/float64(b.N), "cpu-s/match")
					b.ReportMetric(warm.Seconds(), "first-match-s")
					b.ReportMetric(float64(found), "matches")
					b.ReportMetric(vmHWM(), "matchPeakRSS-MiB")
					if mode.limit == 0 {
						b.ReportMetric(float64(ph.candidates), "candidates")
						b.ReportMetric(ph.load.Seconds(), "load-s")
						b.ReportMetric(ph.build.Seconds(), "decode+build-s")
						b.ReportMetric(ph.engine.Seconds(), "engine-s")
					}
				})
			}
		})
	}
}

type phases struct {
	candidates          int
	load, build, engine time.Duration
}

// matchParts times the parts of one match run, as Service.Match does them:
// the store's key look-up and load of the candidate rows, decoding them
// and building an index (this corpus has no KEV, EPSS or VEX rows), and
// the engine's match.
func matchParts(b *testing.B, st *sqlstore.Store, svc *supply.Service, comps []vuln.Component) phases {
	ctx := context.Background()
	var keys []iotsec.VulnKey
	for _, c := range comps {
		for _, k := range vuln.ComponentKeys(c, svc.Aliases) {
			keys = append(keys, iotsec.VulnKey{Kind: k.Kind, A: k.A, B: k.B, C: k.C})
		}
	}
	t0 := time.Now()
	data, err := st.VulnData(ctx, keys)
	if err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	bld := vuln.NewBuilder(svc.Aliases)
	for _, r := range data.Advisories {
		a, err := vuln.UnmarshalAdvisory(r.Data)
		if err != nil {
			b.Fatal(err)
		}
		bld.AddAdvisory(a)
	}
	ix := bld.Build()
	t2 := time.Now()
	if len(ix.Match(vuln.Firmware{}, comps)) == 0 {
		b.Fatal("the SBOM matches nothing")
	}
	return phases{candidates: len(data.Advisories), load: t1.Sub(t0), build: t2.Sub(t1), engine: time.Since(t2)}
}

// cpuSeconds is the CPU time (user and system, every thread) the process
// has used, from /proc/self/stat (Linux, 100 clock ticks a second; 0
// elsewhere). On a shared machine it is steadier than the wall clock.
func cpuSeconds() float64 {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which ends with the last ')':
	// state is field 3, utime 14 and stime 15.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

// vmHWM is the process's peak resident set size in MiB (Linux; 0
// elsewhere).
func vmHWM() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
