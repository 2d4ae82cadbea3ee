package policy

import (
	"testing"
	"time"
)

// FuzzProposedEntry feeds arbitrary JSON through the path a proposed entry
// takes (strict decoding, validation, application to the dataset): it must
// never panic, and a dataset it is accepted into must still validate.
func FuzzProposedEntry(f *testing.F) {
	f.Add([]byte(`{"id":"gb-x","jurisdiction":"GB","measure":"SBOM","instrument":{"name":"n","number":"1","url":"https://x"},"status":"adopted","scope":{"text":"t"},"dates":{"applies_from":"2030"},"source":{"title":"s","url":"https://x"},"confidence":"high"}`))
	f.Add([]byte(`{"id":"","dates":{"in_force":"2024-02-30"}}`))
	f.Add([]byte(`[]`))
	base, err := Embedded()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Entry
		if decodeStrict(b, &e) != nil {
			return
		}
		d := base.clone()
		js := map[string]bool{}
		for _, j := range d.Jurisdictions {
			js[j.Code] = true
		}
		ms := map[string]bool{}
		for _, m := range d.Measures {
			ms[m.Code] = true
		}
		_ = e.StatusOn(time.Now())
		if len(e.problems(d, js, ms)) > 0 {
			return
		}
		if _, dup := d.Entry(e.ID); dup {
			return
		}
		d.Entries = append(d.Entries, e)
		if err := d.Validate(); err != nil {
			t.Fatalf("an entry without problems made the dataset invalid: %v", err)
		}
		d.Matrix(time.Now())
	})
}
