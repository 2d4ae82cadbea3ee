package vuln_test

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

// genCorpus builds an NVD-shaped corpus: n CVEs over p products whose CVE
// counts follow a Zipf law (a few products, like the kernel, carry
// thousands of CVEs; most carry a handful). Each CVE has one OR
// configuration of one to four criteria on its product (70 % version
// ranges, 27 % exact versions, 3 % all versions); one in ten adds an AND
// configuration with a vulnerable:false platform node; one in twenty
// names a target_sw.
func genCorpus(n, p int, seed int64) []*vuln.Advisory {
	var out []*vuln.Advisory
	eachCorpus(n, p, seed, func(a *vuln.Advisory) { out = append(out, a) })
	return out
}

// eachCorpus yields the corpus one record at a time, as an importer would.
func eachCorpus(n, p int, seed int64, yield func(*vuln.Advisory)) {
	r := rand.New(rand.NewSource(seed))
	z := rand.NewZipf(r, 1.1, 8, uint64(p-1))
	platform := cpe.Criterion{Name: cpe.MustParse("cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*")}
	for i := range n {
		prod := z.Uint64()
		base := fmt.Sprintf("cpe:2.3:a:vendor%d:product%d:", prod, prod)
		nc := 1 + r.Intn(4)
		crits := make([]cpe.Criterion, 0, nc) // exact size, as the NVD reader makes them
		for range nc {
			maj, min := r.Intn(10), r.Intn(20)
			tsw := "*"
			if r.Intn(20) == 0 {
				tsw = "node.js"
			}
			var c cpe.Criterion
			switch x := r.Intn(100); {
			case x < 70:
				c = cpe.Criterion{Name: cpe.MustParse(base + "*:*:*:*:*:" + tsw + ":*:*"), Start: fmt.Sprintf("%d.%d", maj, min), End: fmt.Sprintf("%d.%d.%d", maj, min+r.Intn(5), r.Intn(30))}
			case x < 97:
				c = cpe.Criterion{Name: cpe.MustParse(fmt.Sprintf("%s%d.%d.%d:*:*:*:*:%s:*:*", base, maj, min, r.Intn(30), tsw))}
			default:
				c = cpe.Criterion{Name: cpe.MustParse(base + "*:*:*:*:*:" + tsw + ":*:*")}
			}
			c.Vulnerable = true
			// NVD gives one matchCriteriaId per distinct criterion and
			// range, shared by every CVE that uses it.
			c.ID = fmt.Sprintf("%08X-0000-4000-8000-%012X", crc32.ChecksumIEEE([]byte(c.Name.String()+c.Start+c.End)), prod)
			crits = append(crits, c)
		}
		cfgs := []cpe.Configuration{{Nodes: []cpe.Node{{Criteria: crits}}}}
		if r.Intn(10) == 0 {
			cfgs = append(cfgs, cpe.Configuration{And: true, Nodes: []cpe.Node{{Criteria: crits[:1]}, {Criteria: []cpe.Criterion{platform}}}})
		}
		yield(&vuln.Advisory{
			ID: fmt.Sprintf("CVE-%d-%06d", 2000+i/1000000, i%1000000), Source: vuln.SourceNVD,
			CVSS:           []vuln.CVSS{cvssSamples()[r.Intn(5)]},
			Configurations: cfgs,
		})
	}
}

// cvssSamples are five CVSS vectors common in NVD records.
func cvssSamples() []vuln.CVSS {
	return []vuln.CVSS{
		{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Severity: "CRITICAL", Primary: true},
		{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5, Severity: "HIGH", Primary: true},
		{Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Score: 7.8, Severity: "HIGH", Primary: true},
		{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", Score: 6.1, Severity: "MEDIUM", Primary: true},
		{Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", Score: 5.5, Severity: "MEDIUM", Primary: true},
	}
}

// genSBOM lists n components, each a different product as in a real
// SBOM: the 100 products with the most CVEs (the kernel, openssl, curl of
// the corpus), then products drawn uniformly from the corpus, and one in
// ten products the corpus does not know.
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

func heapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// vmHWM is the process's peak resident set size in MiB (Linux).
func vmHWM() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func TestGenCorpusShape(t *testing.T) {
	advs := genCorpus(20000, 3000, 1)
	b := vuln.NewBuilder(nil)
	for _, a := range advs {
		b.AddAdvisory(a)
	}
	ix := b.Build()
	ms := ix.Match(vuln.Firmware{}, genSBOM(1000, 3000, 2))
	if st := ix.Stats(); st.Advisories != 20000 || st.CPEKeys < 1000 {
		t.Errorf("stats %+v", st)
	}
	if len(ms) == 0 {
		t.Error("generated SBOM matches nothing")
	}
}

// BenchmarkMatch matches a 10,000-component SBOM against a 300,000-CVE
// NVD-shaped index, warm (index built once, outside the timer).
func BenchmarkMatch(b *testing.B) {
	const cves, products, comps = 300_000, 30_000, 10_000
	before := heapMiB()
	bld := vuln.NewBuilder(cpe.DefaultAliases())
	eachCorpus(cves, products, 1, bld.AddAdvisory)
	ix := bld.Build()
	sbom := genSBOM(comps, products, 2)
	index := heapMiB() - before
	st := ix.Stats()
	b.Logf("index: %d advisories, %d CPE keys, %.0f MiB live heap", st.Advisories, st.CPEKeys, index)
	buildPeak := vmHWM()
	// Writing 5 to clear_refs resets the peak RSS (Linux), so the peak of
	// the match phase alone can be read afterwards.
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	var n int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n = len(ix.Match(vuln.Firmware{}, sbom))
	}
	b.StopTimer()
	b.ReportMetric(float64(n), "matches")
	b.ReportMetric(index, "index-MiB")
	b.ReportMetric(buildPeak, "buildPeakRSS-MiB")
	b.ReportMetric(vmHWM(), "matchPeakRSS-MiB")
}

// BenchmarkBuild measures building the index from 300,000 records, what a
// store does when it loads stored rows.
func BenchmarkBuild(b *testing.B) {
	advs := genCorpus(300_000, 30_000, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		bld := vuln.NewBuilder(cpe.DefaultAliases())
		for _, a := range advs {
			bld.AddAdvisory(a)
		}
		bld.Build()
	}
	b.ReportMetric(300_000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
