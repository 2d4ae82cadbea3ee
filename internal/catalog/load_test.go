package catalog

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustLoad(tb testing.TB) *Catalog {
	tb.Helper()
	c, err := Load()
	if err != nil {
		tb.Fatalf("Load() = %v", err)
	}
	return c
}

func TestLoadEmbedded(t *testing.T) {
	c := mustLoad(t)
	want := []string{"au-smart-devices", "de-it-sik", "en-18031-1", "en-18031-2", "en-18031-3", "etsi-en-303-645",
		"etsi-ts-103-701", "eu-cra", "fi-label", "iec-62443-4-2", "iec-81001-5-1", "ioxt", "iso-sae-21434", "jp-jc-star",
		"kr-cic", "nist-ir-8259a", "nist-ir-8259b", "nist-ir-8425", "psa-certified", "sg-cls", "uk-psti", "unece-r155",
		"us-cyber-trust-mark", "us-fda-524b"}
	if diff := cmp.Diff(want, c.Slugs()); diff != "" {
		t.Errorf("Slugs() mismatch (-want +got):\n%s", diff)
	}
}
