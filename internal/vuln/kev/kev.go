// Package kev reads the CISA Known Exploited Vulnerabilities catalogue
// (known_exploited_vulnerabilities.json) as a stream of vuln.KEV records.
//
// It imports only the standard library and internal/vuln; never storage
// or HTTP.
package kev

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
)

// Limits bound the catalogue.
type Limits struct {
	MaxBytes   int64
	MaxRecords int
}

// DefaultLimits leave room for a catalogue a hundred times today's (1,400 entries, 1.3 MB).
func DefaultLimits() Limits { return Limits{MaxBytes: 256 << 20, MaxRecords: 200_000} }

// Catalog is the catalogue header.
type Catalog struct {
	Title    string
	Version  string
	Released time.Time
	Count    int
}

type entryJSON struct {
	CVEID                      string   `json:"cveID"`
	VendorProject              string   `json:"vendorProject"`
	Product                    string   `json:"product"`
	VulnerabilityName          string   `json:"vulnerabilityName"`
	DateAdded                  string   `json:"dateAdded"`
	RequiredAction             string   `json:"requiredAction"`
	DueDate                    string   `json:"dueDate"`
	KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse"`
	Notes                      string   `json:"notes"`
	CWEs                       []string `json:"cwes"`
}

var cveID = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// ReadFile reads the catalogue at path.
func ReadFile(path string, lim Limits, yield func(vuln.KEV) error) (Catalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return Catalog{}, err
	}
	defer f.Close()
	return Read(f, path, lim, yield)
}

// Read reads a catalogue from r and yields each entry. The count in the
// header must equal the entries read, which catches a cut file that is
// still valid JSON.
func Read(r io.Reader, name string, lim Limits, yield func(vuln.KEV) error) (Catalog, error) {
	lr := &io.LimitedReader{R: r, N: lim.MaxBytes + 1}
	dec := json.NewDecoder(lr)
	var cat Catalog
	rec := -1
	fail := func(err error) (Catalog, error) {
		if lr.N <= 0 {
			err = fmt.Errorf("catalogue larger than %d bytes: %w", lim.MaxBytes, vuln.ErrLimit)
		} else if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		off, err := vuln.Cause(err, dec.InputOffset())
		return cat, &vuln.InputError{File: name, Record: rec, Offset: off, Err: err}
	}
	if tok, err := dec.Token(); err != nil {
		return fail(err)
	} else if tok != json.Delim('{') {
		return fail(errors.New("catalogue is not a JSON object"))
	}
	n := 0
	sawList := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		switch tok {
		case "title":
			err = dec.Decode(&cat.Title)
		case "catalogVersion":
			err = dec.Decode(&cat.Version)
		case "dateReleased":
			var s string
			if err = dec.Decode(&s); err == nil {
				cat.Released, err = time.Parse(time.RFC3339Nano, s)
			}
		case "count":
			err = dec.Decode(&cat.Count)
		case "vulnerabilities":
			sawList = true
			if tok, err := dec.Token(); err != nil {
				return fail(err)
			} else if tok != json.Delim('[') {
				return fail(errors.New("vulnerabilities is not an array"))
			}
			for dec.More() {
				rec++
				if rec >= lim.MaxRecords {
					return fail(fmt.Errorf("more than %d entries: %w", lim.MaxRecords, vuln.ErrLimit))
				}
				var e entryJSON
				if err := dec.Decode(&e); err != nil {
					return fail(err)
				}
				k, err := convert(e)
				if err != nil {
					return fail(err)
				}
				if err := yield(k); err != nil {
					return cat, err
				}
				n++
			}
			if _, err := dec.Token(); err != nil {
				return fail(err)
			}
			rec = -1
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return fail(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var se *json.SyntaxError
		if err != nil && !errors.As(err, &se) {
			return fail(err) // the reader's: a bad gzip trailer, a limit
		}
		return fail(errors.New("data after the catalogue"))
	}
	if !sawList {
		return fail(errors.New("no vulnerabilities array"))
	}
	if cat.Count != n {
		return fail(fmt.Errorf("header count %d but %d entries", cat.Count, n))
	}
	return cat, nil
}

func convert(e entryJSON) (vuln.KEV, error) {
	if !cveID.MatchString(e.CVEID) {
		return vuln.KEV{}, fmt.Errorf("cveID %q is not a CVE ID", e.CVEID)
	}
	added, err := time.Parse(time.DateOnly, e.DateAdded)
	if err != nil {
		return vuln.KEV{}, fmt.Errorf("%s: dateAdded: %w", e.CVEID, err)
	}
	var due time.Time
	if e.DueDate != "" {
		if due, err = time.Parse(time.DateOnly, e.DueDate); err != nil {
			return vuln.KEV{}, fmt.Errorf("%s: dueDate: %w", e.CVEID, err)
		}
	}
	return vuln.KEV{
		CVE: e.CVEID, VendorProject: e.VendorProject, Product: e.Product, Name: e.VulnerabilityName,
		DateAdded: added, DueDate: due, RequiredAction: e.RequiredAction,
		Ransomware: e.KnownRansomwareCampaignUse, Notes: e.Notes, CWEs: e.CWEs,
	}, nil
}
