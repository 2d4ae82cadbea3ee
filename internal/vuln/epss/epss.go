// Package epss reads FIRST EPSS daily score files (epss_scores-YYYY-MM-DD.csv,
// optionally gzipped) as a stream of vuln.EPSS records.
//
// The file starts with a comment line "#model_version:...,score_date:...",
// then the header "cve,epss,percentile". It imports only the standard
// library and internal/vuln; never storage or HTTP.
package epss

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
)

// Limits bound a score file.
type Limits struct {
	MaxBytes int64 // decompressed
	MaxRows  int
}

// DefaultLimits allow ten times today's file (about 300,000 rows, 10 MB).
func DefaultLimits() Limits { return Limits{MaxBytes: 1 << 30, MaxRows: 5_000_000} }

// Header is what the comment line says.
type Header struct {
	Model string
	Date  time.Time
}

var cveID = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// ReadFile reads the score file at path.
func ReadFile(path string, lim Limits, yield func(vuln.EPSS) error) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	return Read(f, path, lim, yield)
}

// Read reads scores from r (gzip detected by magic bytes). Errors name the
// line; rows yielded before an error belong to a batch to discard.
func Read(r io.Reader, name string, lim Limits, yield func(vuln.EPSS) error) (Header, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return Header{}, &vuln.InputError{File: name, Record: -1, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	lr := &io.LimitedReader{R: br, N: lim.MaxBytes + 1}
	var h Header
	line := 0
	fail := func(err error) (Header, error) {
		if lr.N <= 0 {
			err = fmt.Errorf("file larger than %d bytes: %w", lim.MaxBytes, vuln.ErrLimit)
		}
		off, err := vuln.Cause(err, lim.MaxBytes+1-lr.N)
		return h, &vuln.InputError{File: name, Record: line - 3, Offset: off, Err: fmt.Errorf("line %d: %w", line, err)}
	}
	in := bufio.NewReader(lr)
	// The comment line is short: read at most a buffer of it.
	first, err := in.ReadSlice('\n')
	line = 1
	switch {
	case err == bufio.ErrBufferFull:
		return fail(fmt.Errorf("first line longer than %d bytes: %w", in.Size(), vuln.ErrLimit))
	case err != nil && err != io.EOF:
		return fail(err)
	case len(first) == 0:
		return fail(fmt.Errorf("empty file"))
	}
	if h, err = parseComment(strings.TrimRight(string(first), "\r\n")); err != nil {
		return fail(err)
	}
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = 3
	cr.ReuseRecord = true
	hdr, err := cr.Read()
	line = 2
	if err != nil {
		return fail(err)
	}
	if strings.Join(hdr, ",") != "cve,epss,percentile" {
		return fail(fmt.Errorf("header %q, want cve,epss,percentile", strings.Join(hdr, ",")))
	}
	for rows := 0; ; rows++ {
		rec, err := cr.Read()
		line++
		if err == io.EOF {
			if lr.N <= 0 {
				return fail(errors.New("cut"))
			}
			return h, nil
		}
		if err != nil {
			return fail(err)
		}
		if rows >= lim.MaxRows {
			return fail(fmt.Errorf("more than %d rows: %w", lim.MaxRows, vuln.ErrLimit))
		}
		e := vuln.EPSS{CVE: rec[0], Date: h.Date, Model: h.Model}
		if !cveID.MatchString(e.CVE) {
			return fail(fmt.Errorf("%q is not a CVE ID", e.CVE))
		}
		if e.Score, err = prob(rec[1]); err != nil {
			return fail(fmt.Errorf("epss: %w", err))
		}
		if e.Percentile, err = prob(rec[2]); err != nil {
			return fail(fmt.Errorf("percentile: %w", err))
		}
		if err := yield(e); err != nil {
			return h, err
		}
	}
}

func prob(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if !(f >= 0 && f <= 1) {
		return 0, fmt.Errorf("%v is not in [0, 1]", f)
	}
	return f, nil
}

// parseComment reads "#model_version:v2023.03.01,score_date:2025-02-20T00:00:00+0000".
func parseComment(s string) (Header, error) {
	var h Header
	if !strings.HasPrefix(s, "#") {
		return h, fmt.Errorf("first line %q is not the #model_version comment", s)
	}
	for _, kv := range strings.Split(s[1:], ",") {
		k, v, _ := strings.Cut(kv, ":")
		switch k {
		case "model_version":
			h.Model = v
		case "score_date":
			t, err := time.Parse("2006-01-02T15:04:05-0700", v)
			if err != nil {
				if t, err = time.Parse(time.RFC3339, v); err != nil {
					return h, fmt.Errorf("score_date %q: %w", v, err)
				}
			}
			h.Date = t.UTC()
		}
	}
	if h.Date.IsZero() {
		return h, errors.New("comment line has no score_date")
	}
	return h, nil
}
