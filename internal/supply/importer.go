package supply

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/epss"
	"github.com/iotsec/iotsec/internal/vuln/kev"
	"github.com/iotsec/iotsec/internal/vuln/nvd"
	"github.com/iotsec/iotsec/internal/vuln/osv"
	"github.com/iotsec/iotsec/internal/vuln/vex"
)

// Kinds of vulnerability data files.
const (
	KindNVD  = "nvd"
	KindOSV  = "osv"
	KindKEV  = "kev"
	KindEPSS = "epss"
	KindVEX  = "vex"
)

// Kinds lists the kinds Import takes.
func Kinds() []string { return []string{KindNVD, KindOSV, KindKEV, KindEPSS, KindVEX} }

// batch is how many records go to the store in one call.
const batch = 2000

// MaxFiles bounds the files of one directory import.
const MaxFiles = 200000

// Import reads one path (a file, or a directory of NVD or OSV JSON files,
// or an OSV zip) and stores its records in one transaction: a broken file
// leaves the database as it was, and the error says where it broke. kind
// may be empty to detect it from the content.
func (s *Service) Import(ctx context.Context, by, path, kind string) (iotsec.VulnImport, error) {
	imp := iotsec.VulnImport{File: path, By: by}
	fi, err := os.Stat(path)
	if err != nil {
		return imp, iotsec.Errorf(iotsec.ErrNotFound, "%s: %v", path, errors.Unwrap(err))
	}
	var files []string
	if fi.IsDir() {
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".json") {
				files = append(files, p)
				if len(files) > MaxFiles {
					return fmt.Errorf("%s holds more than %d JSON files", path, MaxFiles)
				}
			}
			return nil
		})
		if err != nil {
			return imp, iotsec.Invalid("path", "%v", err)
		}
		if len(files) == 0 {
			return imp, iotsec.Invalid("path", "%s holds no .json files", path)
		}
		slices.Sort(files)
	} else {
		files = []string{path}
	}
	if kind == "" {
		for _, f := range files {
			k, err := Detect(f)
			if err != nil {
				return imp, err
			}
			if kind != "" && k != kind {
				return imp, iotsec.Invalid("path", "%s mixes %s and %s files (%s); import them separately", path, kind, k, f)
			}
			kind = k
		}
	}
	if !slices.Contains(Kinds(), kind) {
		return imp, iotsec.Invalid("kind", "must be one of %s", strings.Join(Kinds(), ", "))
	}
	if fi.IsDir() && kind != KindNVD && kind != KindOSV {
		return imp, iotsec.Invalid("path", "a directory may hold NVD or OSV records, not %s", kind)
	}
	sum, err := hashFiles(files)
	if err != nil {
		return imp, err
	}
	imp.Kind, imp.SHA256 = kind, sum
	lim := s.feedLimits()
	ctx, cancel := context.WithTimeout(ctx, lim.MaxDuration)
	defer cancel()
	err = s.Store.ImportVulns(ctx, &imp, func(w iotsec.VulnWriter) error {
		for _, f := range files {
			if err := s.importFile(ctx, markedWriter{w}, f, kind); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, vuln.ErrLimit) {
		err = iotsec.Invalid("file", "%s: the import took longer than its time limit (%s); nothing was imported", path, lim.MaxDuration)
	}
	return imp, err
}

func hashFiles(files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// feedLimits are the service's, or the defaults where it has none.
func (s *Service) feedLimits() vuln.FeedLimits {
	if s.FeedLimits == (vuln.FeedLimits{}) {
		return vuln.DefaultFeedLimits()
	}
	return s.FeedLimits
}

// openFeed opens one file of an import behind a vuln.FeedReader: every
// kind gets the same bounds on decompressed size, compression ratio,
// whitespace and time before its reader parses a byte.
func (s *Service) openFeed(ctx context.Context, f string) (*vuln.FeedReader, io.Closer, error) {
	file, err := os.Open(f)
	if err != nil {
		return nil, nil, err
	}
	fr, err := vuln.NewFeedReader(ctx, file, f, s.feedLimits())
	if err != nil {
		file.Close()
		return nil, nil, err
	}
	return fr, file, nil
}

func (s *Service) importFile(ctx context.Context, w iotsec.VulnWriter, f, kind string) error {
	err := s.readFile(ctx, w, f, kind)
	if err != nil {
		var se storeError
		var ie *vuln.InputError
		if !errors.As(err, &ie) && (errors.As(err, &se) || ctx.Err() != nil) {
			return err
		}
		// Everything else is about the input: the readers' *vuln.InputError
		// says which file, record and byte offset.
		msg := err.Error()
		if !strings.Contains(msg, filepath.Base(f)) {
			msg = f + ": " + msg
		}
		return iotsec.Invalid("file", "%s (nothing was imported)", msg)
	}
	return nil
}

func (s *Service) readFile(ctx context.Context, w iotsec.VulnWriter, f, kind string) error {
	zipped := kind == KindOSV && strings.EqualFold(filepath.Ext(f), ".zip")
	var fr *vuln.FeedReader
	if !zipped {
		r, closer, err := s.openFeed(ctx, f)
		if err != nil {
			return err
		}
		defer closer.Close()
		fr = r
	}
	var err error
	switch kind {
	case KindNVD, KindOSV:
		// The store writes one batch while the reader parses the next:
		// each is a large part of an import (docs/benchmarks.md), and
		// done in turn they add up.
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		batches := make(chan []iotsec.VulnRecord, 1)
		written := make(chan struct{})
		go func() {
			defer close(written)
			defer func() {
				if p := recover(); p != nil {
					cancel(storeError{fmt.Errorf("write advisories: panic: %v", p)})
				}
			}()
			for rs := range batches {
				if ctx.Err() != nil {
					continue // after a failure, only drain
				}
				if err := w.PutAdvisories(ctx, rs); err != nil {
					cancel(err)
				}
			}
		}()
		var buf []iotsec.VulnRecord
		flush := func() error {
			if len(buf) == 0 {
				return nil
			}
			select {
			case batches <- buf:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			buf = make([]iotsec.VulnRecord, 0, batch)
			return nil
		}
		yield := func(a *vuln.Advisory) error {
			r, err := Record(a)
			if err != nil {
				return err
			}
			buf = append(buf, r)
			if len(buf) >= batch {
				return flush()
			}
			return nil
		}
		switch {
		case kind == KindNVD:
			_, err = nvd.Read(fr, f, nvd.DefaultLimits(), yield)
		case zipped:
			// The archive reader bounds each entry and the total itself;
			// the deadline is checked at each record.
			_, err = osv.ReadZip(f, osv.DefaultLimits(), func(a *vuln.Advisory) error {
				if ctx.Err() != nil {
					return &vuln.InputError{File: f, Record: -1, Err: fmt.Errorf("import took longer than its time limit (%s): %w",
						s.feedLimits().MaxDuration, vuln.ErrLimit)}
				}
				return yield(a)
			})
		default:
			err = readOSV(fr, f, yield)
		}
		if err == nil {
			err = flush()
		}
		close(batches)
		<-written
		// A store error stops the reader at its next batch; report it
		// rather than what the reader made of the cancellation.
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
			err = cause
		}
	case KindKEV:
		var buf []iotsec.KEVRecord
		_, err = kev.Read(fr, f, kev.DefaultLimits(), func(k vuln.KEV) error {
			data, err := json.Marshal(k)
			if err != nil {
				return err
			}
			buf = append(buf, iotsec.KEVRecord{CVE: k.CVE, DateAdded: k.DateAdded, Data: data})
			if len(buf) >= batch {
				err := w.PutKEV(ctx, buf)
				buf = buf[:0]
				return err
			}
			return nil
		})
		if err == nil {
			err = w.PutKEV(ctx, buf)
		}
	case KindEPSS:
		var buf []iotsec.EPSSRecord
		_, err = epss.Read(fr, f, epss.DefaultLimits(), func(e vuln.EPSS) error {
			buf = append(buf, iotsec.EPSSRecord{CVE: e.CVE, Score: e.Score, Percentile: e.Percentile, Date: e.Date})
			if len(buf) >= batch {
				err := w.PutEPSS(ctx, buf)
				buf = buf[:0]
				return err
			}
			return nil
		})
		if err == nil {
			err = w.PutEPSS(ctx, buf)
		}
	case KindVEX:
		var stmts []vuln.Statement
		// An entry the reader cannot use (a CSAF vulnerability without
		// an ID) is left out and logged; the rest of the file is imported.
		lim := vex.DefaultLimits()
		lim.Warn = func(msg string) { s.Log.Warn("VEX import: entry skipped", "detail", msg) }
		var data []byte
		data, err = io.ReadAll(io.LimitReader(fr, lim.MaxBytes+1))
		if err == nil {
			stmts, err = vex.Read(data, f, lim)
		}
		if err == nil {
			var rs []iotsec.VendorStatement
			for _, st := range stmts {
				data, err := json.Marshal(st)
				if err != nil {
					return err
				}
				rs = append(rs, iotsec.VendorStatement{IDs: append([]string{st.Vulnerability}, st.Aliases...), Data: data})
			}
			err = w.PutStatements(ctx, rs)
		}
	}
	return err
}

// readOSV reads one OSV JSON document (a record) from r.
func readOSV(r io.Reader, f string, yield func(*vuln.Advisory) error) error {
	lim := osv.DefaultLimits()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxRecordBytes+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > lim.MaxRecordBytes {
		return &vuln.InputError{File: f, Record: 0, Offset: lim.MaxRecordBytes, Err: fmt.Errorf("record larger than %d bytes: %w", lim.MaxRecordBytes, vuln.ErrLimit)}
	}
	a, err := osv.Parse(data, lim)
	if err != nil {
		return &vuln.InputError{File: f, Record: 0, Err: err}
	}
	return yield(a)
}

// storeError marks errors of the database, so they are not reported as
// problems of the input.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

type markedWriter struct{ w iotsec.VulnWriter }

func mark(err error) error {
	if err == nil {
		return nil
	}
	return storeError{err}
}

func (m markedWriter) PutAdvisories(ctx context.Context, rs []iotsec.VulnRecord) error {
	return mark(m.w.PutAdvisories(ctx, rs))
}
func (m markedWriter) PutKEV(ctx context.Context, rs []iotsec.KEVRecord) error {
	return mark(m.w.PutKEV(ctx, rs))
}
func (m markedWriter) PutEPSS(ctx context.Context, rs []iotsec.EPSSRecord) error {
	return mark(m.w.PutEPSS(ctx, rs))
}
func (m markedWriter) PutStatements(ctx context.Context, rs []iotsec.VendorStatement) error {
	return mark(m.w.PutStatements(ctx, rs))
}

// Record turns an advisory into the row the store keeps.
func Record(a *vuln.Advisory) (iotsec.VulnRecord, error) {
	data, err := vuln.MarshalAdvisory(a)
	if err != nil {
		return iotsec.VulnRecord{}, fmt.Errorf("encode %s: %w", a.ID, err)
	}
	r := iotsec.VulnRecord{Source: a.Source, ID: a.ID, IDs: a.IDs(), Modified: a.Modified, Data: data}
	for _, k := range vuln.AdvisoryKeys(a) {
		r.Keys = append(r.Keys, iotsec.VulnKey{Kind: k.Kind, A: k.A, B: k.B, C: k.C})
	}
	return r, nil
}

// peekSize is how much of a file Detect reads.
const peekSize = 1 << 20

// Detect says which kind of vulnerability data a file holds, from its name
// (zip, csv) or its first top-level JSON keys.
func Detect(path string) (string, error) {
	low := strings.ToLower(path)
	switch {
	case strings.HasSuffix(low, ".zip"):
		return KindOSV, nil
	case strings.HasSuffix(low, ".csv"), strings.HasSuffix(low, ".csv.gz"):
		return KindEPSS, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", iotsec.Errorf(iotsec.ErrNotFound, "%s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	br := r.(*bufio.Reader)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", iotsec.Invalid("file", "%s: %v", path, err)
		}
		r = zr
	}
	head, _ := io.ReadAll(io.LimitReader(r, peekSize))
	if k := detectBytes(head); k != "" {
		return k, nil
	}
	return "", iotsec.Invalid("file", "%s: not NVD, OSV, KEV, EPSS or VEX data that iotsec recognises (give --kind to say which)", path)
}

// detectBytes decides by the first decisive top-level key of a JSON
// object, or the EPSS CSV header.
func detectBytes(b []byte) string {
	t := bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	if bytes.HasPrefix(t, []byte("#model_version")) || bytes.HasPrefix(t, []byte("cve,epss")) {
		return KindEPSS
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	keys := map[string]string{
		"format": KindNVD, "resultsPerPage": KindNVD, "startIndex": KindNVD, "totalResults": KindNVD, "CVE_Items": KindNVD,
		"_annotation": KindNVD, "cve": KindNVD, "sourceIdentifier": KindNVD, "vulnStatus": KindNVD, "lastModified": KindNVD,
		"vulnerabilities": KindNVD,
		"catalogVersion":  KindKEV, "dateReleased": KindKEV,
		"@context": KindVEX, "bomFormat": KindVEX, "specVersion": KindVEX, "document": KindVEX,
		"schema_version": KindOSV, "affected": KindOSV, "modified": KindOSV, "withdrawn": KindOSV, "database_specific": KindOSV,
	}
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, ok := tok.(string)
		if !ok {
			return ""
		}
		if k, ok := keys[key]; ok {
			return k
		}
		// Skip the value.
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
		if !dec.More() {
			break
		}
	}
	return ""
}
