package crosswalk

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzReadMappingsCSV feeds arbitrary spreadsheets to the CSV importer: it
// must return sets or an error, never panic, and what it returns must be
// well formed.
func FuzzReadMappingsCSV(f *testing.F) {
	c, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteMappingsCSV(&buf, c.MappingSets("uk-psti")); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	f.Add(strings.Join(CSVHeader, ",") + "\na,b,1;2,equal-to,3,why,expert,high,t,https://x\n")
	f.Add("from,to,sources,relationship,targets,rationale\n\"unterminated")
	f.Add("\ufefffrom,to\n,,,\n")
	lim := DefaultCSVLimits()
	lim.MaxBytes = 1 << 16
	f.Fuzz(func(t *testing.T, in string) {
		sets, err := ReadMappingsCSV(strings.NewReader(in), lim)
		if err != nil {
			return
		}
		for _, s := range sets {
			if s.From == "" || s.To == "" || s.Citation.URL == "" || len(s.Maps) == 0 {
				t.Fatalf("ReadMappingsCSV accepted a malformed set %+v", s)
			}
			for _, m := range s.Maps {
				if len(m.Sources) == 0 || len(m.Targets) == 0 || m.Rationale == "" {
					t.Fatalf("ReadMappingsCSV accepted a malformed map %+v", m)
				}
			}
		}
	})
}
