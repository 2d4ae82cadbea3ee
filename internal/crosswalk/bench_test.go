package crosswalk

import "testing"

// BenchmarkCompareAllPairs compares every scheme with every other scheme
// (at their full provision sets), the whole crosswalk a UI heatmap index
// would draw. Target: under 50 ms per iteration.
func BenchmarkCompareAllPairs(b *testing.B) {
	c := mustLoad(b)
	slugs := c.Slugs()
	b.ReportAllocs()
	for b.Loop() {
		for _, a := range slugs {
			for _, z := range slugs {
				if a == z {
					continue
				}
				if _, err := c.Compare(SchemeRef{Slug: a}, SchemeRef{Slug: z}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(len(slugs)*(len(slugs)-1)), "pairs")
}

// BenchmarkApplies answers one "what applies to my product" query over
// three markets. Target: under 5 ms.
func BenchmarkApplies(b *testing.B) {
	c := mustLoad(b)
	q := AppliesQuery{Class: "camera", Sector: "consumer", Markets: []string{"EU", "GB", "SG"}, Date: july2026}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Applies(q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaseline(b *testing.B) {
	c := mustLoad(b)
	q := BaselineQuery{Markets: []string{"EU", "GB", "SG"}, Class: "camera", Sector: "consumer", Date: july2026, Voluntary: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Baseline(q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGaps(b *testing.B) {
	c := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Gaps(GapQuery{Date: july2026}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
