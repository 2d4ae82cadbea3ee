// Package nvd reads NVD CVE JSON 2.0 data as a stream of vuln.Advisory
// records: the yearly feeds (nvdcve-2.0-YYYY.json.gz), the -modified feed,
// NVD API 2.0 response pages, single CVE objects, and the
// anchore/nvd-data-overrides layout ({"_annotation":..., "cve":{"configurations":...}}).
//
// It imports only the standard library and internal/vuln; never storage
// or HTTP.
package nvd

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

// Limits bound what one file may hold. Feeds come from the network or a
// user's disk and are untrusted.
type Limits struct {
	MaxBytes    int64 // decompressed bytes per file
	MaxRecords  int   // records per file
	MaxCriteria int   // cpeMatch entries per record
	MaxMetrics  int   // CVSS metrics per record
}

// DefaultLimits fit the largest NVD yearly feed (about 40,000 records,
// some with thousands of criteria) with a wide margin.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 4 << 30, MaxRecords: 1_000_000, MaxCriteria: 50_000, MaxMetrics: 64}
}

// ReadFile reads the file at path (gzip-compressed or not) and calls
// yield for each record. It returns the number of records yielded.
func ReadFile(path string, lim Limits, yield func(*vuln.Advisory) error) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return Read(f, path, lim, yield)
}

// Read reads one NVD document from r; name is used in errors. Gzip input
// is detected by its magic bytes. An error from yield stops the read and
// is returned as is; any other error is an *vuln.InputError saying where
// the input broke.
func Read(r io.Reader, name string, lim Limits, yield func(*vuln.Advisory) error) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, &vuln.InputError{File: name, Record: -1, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	lr := &limitReader{r: r, n: lim.MaxBytes}
	d := &decoder{name: name, lim: lim, dec: json.NewDecoder(lr), lr: lr, yield: yield, rec: -1}
	n, err := d.run()
	if err != nil && !errors.Is(err, errYield) {
		return n, err
	}
	if err != nil {
		return n, d.yieldErr
	}
	return n, nil
}

var errYield = errors.New("yield stopped")

type decoder struct {
	name     string
	lim      Limits
	dec      *json.Decoder
	lr       *limitReader
	yield    func(*vuln.Advisory) error
	yieldErr error
	rec      int
	n        int
}

func (d *decoder) fail(err error) error {
	if d.lr.over {
		err = fmt.Errorf("input larger than %d bytes: %w", d.lim.MaxBytes, vuln.ErrLimit)
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	off, err := vuln.Cause(err, d.dec.InputOffset())
	return &vuln.InputError{File: d.name, Record: d.rec, Offset: off, Err: err}
}

func (d *decoder) emit(a *vuln.Advisory) error {
	if err := d.yield(a); err != nil {
		d.yieldErr = err
		return errYield
	}
	d.n++
	return nil
}

func (d *decoder) run() (int, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return 0, d.fail(err)
	}
	if tok != json.Delim('{') {
		return 0, d.fail(fmt.Errorf("document is not a JSON object"))
	}
	rest := map[string]json.RawMessage{}
	sawArray := false
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return d.n, d.fail(err)
		}
		key, _ := tok.(string)
		if key == "vulnerabilities" {
			sawArray = true
			if err := d.array(); err != nil {
				return d.n, err
			}
			continue
		}
		if len(rest) > 64 {
			return d.n, d.fail(fmt.Errorf("more than 64 top-level keys: %w", vuln.ErrLimit))
		}
		var raw json.RawMessage
		if err := d.dec.Decode(&raw); err != nil {
			return d.n, d.fail(err)
		}
		rest[key] = raw
	}
	if _, err := d.dec.Token(); err != nil {
		return d.n, d.fail(err)
	}
	if _, err := d.dec.Token(); err != io.EOF {
		if err != nil && !isSyntax(err) {
			return d.n, d.fail(err) // the reader's: a bad gzip trailer, a limit
		}
		return d.n, d.fail(fmt.Errorf("data after the document"))
	}
	if sawArray {
		return d.n, nil
	}
	d.rec = 0
	switch {
	case rest["_annotation"] != nil || (rest["cve"] != nil && rest["id"] == nil):
		var ov overrideJSON
		if err := json.Unmarshal(rest["_annotation"], &ov.Annotation); rest["_annotation"] != nil && err != nil {
			return 0, d.fail(fmt.Errorf("_annotation: %w", err))
		}
		if err := json.Unmarshal(rest["cve"], &ov.CVE); err != nil {
			return 0, d.fail(fmt.Errorf("cve: %w", err))
		}
		a, err := d.override(&ov)
		if err != nil {
			return 0, d.fail(err)
		}
		return d.n, d.emit(a)
	case rest["id"] != nil:
		// A single CVE object: put the kept keys back together.
		buf, err := json.Marshal(rest)
		if err != nil {
			return 0, d.fail(err)
		}
		var c cveJSON
		if err := json.Unmarshal(buf, &c); err != nil {
			return 0, d.fail(err)
		}
		a, err := d.convert(&c)
		if err != nil {
			return 0, d.fail(err)
		}
		return d.n, d.emit(a)
	}
	return 0, d.fail(fmt.Errorf("neither a feed (vulnerabilities), a CVE object (id) nor an override (_annotation, cve)"))
}

func (d *decoder) array() error {
	tok, err := d.dec.Token()
	if err != nil {
		return d.fail(err)
	}
	if tok == nil {
		return nil // "vulnerabilities": null
	}
	if tok != json.Delim('[') {
		return d.fail(fmt.Errorf("vulnerabilities is not an array"))
	}
	for d.dec.More() {
		d.rec++
		if d.rec >= d.lim.MaxRecords {
			return d.fail(fmt.Errorf("more than %d records: %w", d.lim.MaxRecords, vuln.ErrLimit))
		}
		var item struct {
			CVE *cveJSON `json:"cve"`
		}
		if err := d.dec.Decode(&item); err != nil {
			return d.fail(err)
		}
		if item.CVE == nil {
			return d.fail(fmt.Errorf("item has no cve object"))
		}
		a, err := d.convert(item.CVE)
		if err != nil {
			return d.fail(err)
		}
		if err := d.emit(a); err != nil {
			return err
		}
	}
	if _, err := d.dec.Token(); err != nil {
		return d.fail(err)
	}
	d.rec = -1
	return nil
}

type cveJSON struct {
	ID             string `json:"id"`
	Published      string `json:"published"`
	LastModified   string `json:"lastModified"`
	VulnStatus     string `json:"vulnStatus"`
	CISAExploitAdd string `json:"cisaExploitAdd"`
	Descriptions   []struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	} `json:"descriptions"`
	Metrics struct {
		V40 []metricJSON `json:"cvssMetricV40"`
		V31 []metricJSON `json:"cvssMetricV31"`
		V30 []metricJSON `json:"cvssMetricV30"`
		V2  []metricJSON `json:"cvssMetricV2"`
	} `json:"metrics"`
	Configurations []configJSON `json:"configurations"`
}

type metricJSON struct {
	Source       string `json:"source"`
	Type         string `json:"type"`
	BaseSeverity string `json:"baseSeverity"` // v2 keeps it here
	Data         struct {
		Version      string  `json:"version"`
		Vector       string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
		BaseSeverity string  `json:"baseSeverity"`
	} `json:"cvssData"`
}

type configJSON struct {
	Operator string     `json:"operator"`
	Negate   bool       `json:"negate"`
	Nodes    []nodeJSON `json:"nodes"`
}

type nodeJSON struct {
	Operator string      `json:"operator"`
	Negate   bool        `json:"negate"`
	CPEMatch []matchJSON `json:"cpeMatch"`
}

type matchJSON struct {
	Vulnerable            bool   `json:"vulnerable"`
	Criteria              string `json:"criteria"`
	MatchCriteriaID       string `json:"matchCriteriaId"`
	VersionStartIncluding string `json:"versionStartIncluding"`
	VersionStartExcluding string `json:"versionStartExcluding"`
	VersionEndIncluding   string `json:"versionEndIncluding"`
	VersionEndExcluding   string `json:"versionEndExcluding"`
}

type overrideJSON struct {
	Annotation struct {
		CVEID       string `json:"cve_id"`
		Description string `json:"description"`
		Published   string `json:"published"`
		Modified    string `json:"modified"`
		Reason      string `json:"reason"`
	}
	CVE struct {
		Configurations []configJSON `json:"configurations"`
	}
}

func (d *decoder) override(ov *overrideJSON) (*vuln.Advisory, error) {
	id := ov.Annotation.CVEID
	if !validID(id) {
		return nil, fmt.Errorf("_annotation.cve_id %q is not a CVE ID", id)
	}
	cfgs, err := d.configs(ov.CVE.Configurations)
	if err != nil {
		return nil, err
	}
	return &vuln.Advisory{
		ID:             id,
		Source:         vuln.SourceNVDOverrides,
		Summary:        ov.Annotation.Description,
		Published:      parseTime(ov.Annotation.Published),
		Modified:       parseTime(ov.Annotation.Modified),
		Configurations: cfgs,
	}, nil
}

func (d *decoder) convert(c *cveJSON) (*vuln.Advisory, error) {
	if !validID(c.ID) {
		return nil, fmt.Errorf("id %q is not a CVE ID", c.ID)
	}
	a := &vuln.Advisory{
		ID:        c.ID,
		Source:    vuln.SourceNVD,
		Published: parseTime(c.Published),
		Modified:  parseTime(c.LastModified),
		Status:    c.VulnStatus,
		KEVAdded:  parseTime(c.CISAExploitAdd),
	}
	for _, desc := range c.Descriptions {
		if desc.Lang == "en" {
			a.Summary = desc.Value
			break
		}
	}
	for _, group := range [][]metricJSON{c.Metrics.V40, c.Metrics.V31, c.Metrics.V30, c.Metrics.V2} {
		for _, m := range group {
			if len(a.CVSS) >= d.lim.MaxMetrics {
				return nil, fmt.Errorf("more than %d metrics: %w", d.lim.MaxMetrics, vuln.ErrLimit)
			}
			sev := m.Data.BaseSeverity
			if sev == "" {
				sev = m.BaseSeverity
			}
			a.CVSS = append(a.CVSS, vuln.CVSS{
				Version: m.Data.Version, Vector: m.Data.Vector, Score: m.Data.BaseScore,
				Severity: sev, Source: m.Source, Primary: m.Type == "Primary",
			})
		}
	}
	cfgs, err := d.configs(c.Configurations)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.ID, err)
	}
	a.Configurations = cfgs
	return a, nil
}

func (d *decoder) configs(in []configJSON) ([]cpe.Configuration, error) {
	count := 0
	var out []cpe.Configuration
	for ci, c := range in {
		cfg := cpe.Configuration{Negate: c.Negate}
		var err error
		if cfg.And, err = operator(c.Operator, "OR"); err != nil {
			return nil, fmt.Errorf("configuration %d: %w", ci, err)
		}
		for ni, n := range c.Nodes {
			node := cpe.Node{Negate: n.Negate}
			if node.And, err = operator(n.Operator, "OR"); err != nil {
				return nil, fmt.Errorf("configuration %d node %d: %w", ci, ni, err)
			}
			count += len(n.CPEMatch)
			if count > d.lim.MaxCriteria {
				return nil, fmt.Errorf("more than %d cpeMatch entries: %w", d.lim.MaxCriteria, vuln.ErrLimit)
			}
			node.Criteria = make([]cpe.Criterion, 0, len(n.CPEMatch))
			for mi, m := range n.CPEMatch {
				name, err := cpe.Parse(m.Criteria)
				if err != nil {
					return nil, fmt.Errorf("configuration %d node %d cpeMatch %d: %w", ci, ni, mi, err)
				}
				cr := cpe.Criterion{Name: name, Vulnerable: m.Vulnerable, ID: m.MatchCriteriaID}
				if err := cr.SetRange(m.VersionStartIncluding, m.VersionStartExcluding, m.VersionEndIncluding, m.VersionEndExcluding); err != nil {
					return nil, fmt.Errorf("configuration %d node %d cpeMatch %d: %w", ci, ni, mi, err)
				}
				node.Criteria = append(node.Criteria, cr)
			}
			cfg.Nodes = append(cfg.Nodes, node)
		}
		out = append(out, cfg)
	}
	return out, nil
}

func operator(op, def string) (bool, error) {
	if op == "" {
		op = def
	}
	switch strings.ToUpper(op) {
	case "AND":
		return true, nil
	case "OR":
		return false, nil
	}
	return false, fmt.Errorf("operator %q is neither AND nor OR", op)
}

// validID accepts CVE-YYYY-NNNN... IDs, the only IDs NVD issues.
func validID(id string) bool {
	if len(id) < 13 || len(id) > 32 || !strings.HasPrefix(id, "CVE-") || id[8] != '-' {
		return false
	}
	for i, c := range []byte(id[4:]) {
		if i != 4 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// parseTime reads NVD timestamps, which carry no zone and are UTC.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// limitReader stops after n bytes and remembers that it did, so the error
// can say the limit was hit rather than that the JSON was truncated.
type limitReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		l.over = true
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// isSyntax reports whether err is the JSON decoder's own (a character it
// did not expect), not one of the reader below it.
func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}
