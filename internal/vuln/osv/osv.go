// Package osv reads OSV records (https://ossf.github.io/osv-schema/) from
// single JSON files, directories and zip archives (osv.dev's per-ecosystem
// all.zip) into vuln.Advisory records, parsing with the schema's own Go
// bindings.
//
// It imports the standard library, the OSV schema bindings and
// internal/vuln; never storage or HTTP.
package osv

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/iotsec/iotsec/internal/vuln"
)

// Limits bound what an import may read.
type Limits struct {
	MaxRecordBytes int64 // one JSON record
	MaxRecords     int   // records per directory or archive
	MaxTotalBytes  int64 // decompressed bytes per directory or archive
	MaxAffected    int   // affected entries per record
}

// DefaultLimits fit osv.dev's largest ecosystem archives with a margin.
func DefaultLimits() Limits {
	return Limits{MaxRecordBytes: 16 << 20, MaxRecords: 2_000_000, MaxTotalBytes: 8 << 30, MaxAffected: 10_000}
}

// Parse converts one OSV JSON record. It is the unit the other readers use.
func Parse(data []byte, lim Limits) (*vuln.Advisory, error) {
	var v osvschema.Vulnerability
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if v.GetId() == "" {
		return nil, errors.New("record has no id")
	}
	if len(v.GetAffected()) > lim.MaxAffected {
		return nil, fmt.Errorf("more than %d affected entries: %w", lim.MaxAffected, vuln.ErrLimit)
	}
	a := &vuln.Advisory{
		ID:      v.GetId(),
		Source:  vuln.SourceOSV,
		Aliases: append(append([]string(nil), v.GetAliases()...), v.GetUpstream()...),
		Related: v.GetRelated(),
		Summary: v.GetSummary(),
	}
	if a.Summary == "" {
		a.Summary = firstLine(v.GetDetails())
	}
	if t := v.GetPublished(); t != nil {
		a.Published = t.AsTime()
	}
	if t := v.GetModified(); t != nil {
		a.Modified = t.AsTime()
	}
	if t := v.GetWithdrawn(); t != nil {
		a.Withdrawn = t.AsTime()
	}
	for _, s := range v.GetSeverity() {
		a.CVSS = append(a.CVSS, severity(s))
	}
	for _, af := range v.GetAffected() {
		out := vuln.Affected{
			Ecosystem: af.GetPackage().GetEcosystem(),
			Name:      af.GetPackage().GetName(),
			PURL:      af.GetPackage().GetPurl(),
			Versions:  af.GetVersions(),
		}
		for _, r := range af.GetRanges() {
			rr := vuln.Range{Type: r.GetType().String(), Repo: r.GetRepo()}
			for _, e := range r.GetEvents() {
				rr.Events = append(rr.Events, vuln.Event{
					Introduced: e.GetIntroduced(), Fixed: e.GetFixed(),
					LastAffected: e.GetLastAffected(), Limit: e.GetLimit(),
				})
			}
			out.Ranges = append(out.Ranges, rr)
		}
		for _, s := range af.GetSeverity() {
			a.CVSS = append(a.CVSS, severity(s))
		}
		a.Affected = append(a.Affected, out)
	}
	return a, nil
}

// severity keeps the vector; OSV gives no base score, so Score stays 0
// unless the vector is the plain number some databases put there.
func severity(s *osvschema.Severity) vuln.CVSS {
	c := vuln.CVSS{Vector: s.GetScore(), Source: "osv"}
	switch s.GetType() {
	case osvschema.Severity_CVSS_V2:
		c.Version = "2.0"
	case osvschema.Severity_CVSS_V3:
		c.Version = "3.1"
		if strings.HasPrefix(c.Vector, "CVSS:3.0/") {
			c.Version = "3.0"
		}
	case osvschema.Severity_CVSS_V4:
		c.Version = "4.0"
	}
	return c
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// ReadFile reads one OSV JSON file, a directory of them (recursively) or
// a zip archive of them, by what path is.
func ReadFile(p string, lim Limits, yield func(*vuln.Advisory) error) (int, error) {
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	if st.IsDir() {
		return ReadFS(os.DirFS(p), p, lim, yield)
	}
	if strings.EqualFold(path.Ext(p), ".zip") {
		return ReadZip(p, lim, yield)
	}
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	data, err := readLimited(f, lim.MaxRecordBytes)
	if err != nil {
		return 0, &vuln.InputError{File: p, Record: 0, Err: err}
	}
	a, err := Parse(data, lim)
	if err != nil {
		return 0, &vuln.InputError{File: p, Record: 0, Err: err}
	}
	if err := yield(a); err != nil {
		return 0, err
	}
	return 1, nil
}

// ReadFS reads every *.json file under fsys in lexical order; name
// prefixes file names in errors.
func ReadFS(fsys fs.FS, name string, lim Limits, yield func(*vuln.Advisory) error) (int, error) {
	n := 0
	var total int64
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &vuln.InputError{File: path.Join(name, p), Record: -1, Err: err}
		}
		if d.IsDir() || !strings.EqualFold(path.Ext(p), ".json") {
			return nil
		}
		if n >= lim.MaxRecords {
			return &vuln.InputError{File: path.Join(name, p), Record: n, Err: fmt.Errorf("more than %d records: %w", lim.MaxRecords, vuln.ErrLimit)}
		}
		f, err := fsys.Open(p)
		if err != nil {
			return &vuln.InputError{File: path.Join(name, p), Record: n, Err: err}
		}
		data, err := readLimited(f, lim.MaxRecordBytes)
		f.Close()
		total += int64(len(data))
		if err == nil && total > lim.MaxTotalBytes {
			err = fmt.Errorf("more than %d bytes in all: %w", lim.MaxTotalBytes, vuln.ErrLimit)
		}
		if err != nil {
			return &vuln.InputError{File: path.Join(name, p), Record: n, Err: err}
		}
		a, err := Parse(data, lim)
		if err != nil {
			return &vuln.InputError{File: path.Join(name, p), Record: n, Err: err}
		}
		if err := yield(a); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}

// ReadZip reads every *.json entry of a zip archive.
func ReadZip(p string, lim Limits, yield func(*vuln.Advisory) error) (int, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return 0, &vuln.InputError{File: p, Record: -1, Err: err}
	}
	defer zr.Close()
	return readZip(&zr.Reader, p, lim, yield)
}

// ReadZipReader is ReadZip over an open archive (size bytes long).
func ReadZipReader(r io.ReaderAt, size int64, name string, lim Limits, yield func(*vuln.Advisory) error) (int, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return 0, &vuln.InputError{File: name, Record: -1, Err: err}
	}
	return readZip(zr, name, lim, yield)
}

func readZip(zr *zip.Reader, name string, lim Limits, yield func(*vuln.Advisory) error) (int, error) {
	n := 0
	var total int64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.EqualFold(path.Ext(f.Name), ".json") {
			continue
		}
		where := name + ":" + f.Name
		fail := func(err error) (int, error) {
			return n, &vuln.InputError{File: where, Record: n, Offset: headerOffset(f), Err: err}
		}
		if n >= lim.MaxRecords {
			return fail(fmt.Errorf("more than %d records: %w", lim.MaxRecords, vuln.ErrLimit))
		}
		if f.UncompressedSize64 > uint64(lim.MaxRecordBytes) {
			return fail(fmt.Errorf("entry of %d bytes is larger than %d: %w", f.UncompressedSize64, lim.MaxRecordBytes, vuln.ErrLimit))
		}
		rc, err := f.Open()
		if err != nil {
			return fail(err)
		}
		data, err := readLimited(rc, lim.MaxRecordBytes)
		rc.Close()
		if err != nil {
			return fail(err)
		}
		total += int64(len(data))
		if total > lim.MaxTotalBytes {
			return fail(fmt.Errorf("more than %d bytes in all: %w", lim.MaxTotalBytes, vuln.ErrLimit))
		}
		a, err := Parse(data, lim)
		if err != nil {
			return fail(err)
		}
		if err := yield(a); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func headerOffset(f *zip.File) int64 {
	off, err := f.DataOffset()
	if err != nil {
		return 0
	}
	return off
}

// readLimited reads all of r, failing past max bytes; zip entries may lie
// about their size.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("record larger than %d bytes: %w", max, vuln.ErrLimit)
	}
	return data, nil
}
