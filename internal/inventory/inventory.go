// Package inventory is the device-import service: it imports devices in
// bulk from CSV or JSON, for the API and the UI (as a queued job) and the
// command line alike. It counts as a service, so the doors import it
// (Parse, Resolve, Kind, MaxRows are its whole capability); it is small
// enough to stay functions over the domain rather than a struct.
//
// A file is read and checked whole before anything is written, so a bad row anywhere changes nothing;
// then rows are written in batches, each batch with its progress
// checkpoint, so an import that is interrupted resumes where it stopped.
//
// It imports the domain only; never a store implementation, server, api,
// ui or cli.
package inventory

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Limits on what one import may hold.
const (
	MaxRows      = 1_000_000
	MaxInput     = 128 << 20 // bytes
	MaxFieldLen  = 200
	DefaultBatch = 1000
)

// Row is one device to import, as the file names it. Product is a product
// ID or model number; Firmware a firmware version ID or version string of
// that product, or empty.
type Row struct {
	At       string `json:"-"` // "line 12" (CSV) or "device 3" (JSON), for errors
	UID      string `json:"uid"`
	Product  string `json:"product"`
	Firmware string `json:"firmware,omitempty"`
	State    string `json:"state,omitempty"`
}

// Parse reads rows from CSV (with a header row naming uid, product and
// optionally firmware and state, in any order) or JSON (an array of
// objects, or an object with a "devices" array). The format is told by the
// first non-blank byte.
func Parse(r io.Reader) ([]Row, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxInput+1))
	for {
		b, err := br.Peek(1)
		if err != nil {
			if err == io.EOF {
				return nil, iotsec.Invalid("file", "is empty")
			}
			return nil, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.ReadByte()
			continue
		case '[', '{':
			return parseJSON(br)
		case 0xEF: // UTF-8 byte order mark, as spreadsheets write it
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				br.Discard(3)
				continue
			}
		}
		return parseCSV(br)
	}
}

// atErr is an input error located at a line (CSV) or element (JSON).
func atErr(at, field, format string, args ...any) error {
	return &iotsec.Error{Kind: iotsec.ErrInvalid, Field: field, Message: at + ": " + fmt.Sprintf(format, args...)}
}

func parseCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(&limitedReader{r: r, n: MaxInput})
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, csvErr(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "uid", "product", "firmware", "state":
		case "device_id", "serial", "serial_number":
			h = "uid"
		case "model", "model_number", "product_id":
			h = "product"
		case "firmware_version", "version", "firmware_id":
			h = "firmware"
		default:
			return nil, atErr("line 1", "header", "unknown column %q (want uid, product, firmware, state)", header[i])
		}
		if _, dup := col[h]; dup {
			return nil, atErr("line 1", "header", "column %q appears twice", h)
		}
		col[h] = i
	}
	for _, need := range []string{"uid", "product"} {
		if _, ok := col[need]; !ok {
			return nil, atErr("line 1", "header", "missing column %q", need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rows) == MaxRows {
			return nil, iotsec.Errorf(iotsec.ErrTooLarge, "more than %d rows", MaxRows)
		}
		row := Row{At: fmt.Sprintf("line %d", line), UID: get(rec, "uid"), Product: get(rec, "product"), Firmware: get(rec, "firmware"), State: get(rec, "state")}
		if err := row.check(); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, iotsec.Invalid("file", "has a header but no rows")
	}
	return rows, nil
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine != pe.Line {
			return atErr(fmt.Sprintf("line %d", pe.StartLine), "file", "%v (noticed at line %d, column %d)", pe.Err, pe.Line, pe.Column)
		}
		return atErr(fmt.Sprintf("line %d", pe.Line), "file", "column %d: %v", pe.Column, pe.Err)
	}
	if errors.Is(err, errTooLarge) {
		return iotsec.Errorf(iotsec.ErrTooLarge, "file is larger than %d bytes", MaxInput)
	}
	if err == io.EOF {
		return iotsec.Invalid("file", "is empty")
	}
	return iotsec.Invalid("file", "%v", err)
}

func (r Row) check() error {
	for _, f := range []struct{ name, v string }{{"uid", r.UID}, {"product", r.Product}, {"firmware", r.Firmware}, {"state", r.State}} {
		if len(f.v) > MaxFieldLen {
			return atErr(r.At, f.name, "%s is longer than %d bytes", f.name, MaxFieldLen)
		}
		if strings.ContainsAny(f.v, "\x00\r\n\t") {
			return atErr(r.At, f.name, "%s contains control characters", f.name)
		}
	}
	if r.UID == "" {
		return atErr(r.At, "uid", "uid is empty")
	}
	if r.Product == "" {
		return atErr(r.At, "product", "product is empty")
	}
	if r.State != "" && !iotsec.State(r.State).Valid() {
		return atErr(r.At, "state", "state %q is not one of %v", r.State, iotsec.States())
	}
	return nil
}

func parseJSON(r io.Reader) ([]Row, error) {
	dec := json.NewDecoder(&limitedReader{r: r, n: MaxInput})
	dec.DisallowUnknownFields()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(dec, err)
	}
	if tok == json.Delim('{') {
		// {"devices": [...]}
		key, err := dec.Token()
		if err != nil {
			return nil, jsonErr(dec, err)
		}
		if key != "devices" {
			return nil, iotsec.Invalid("file", "JSON object must have one key, \"devices\", holding an array")
		}
		if tok, err = dec.Token(); err != nil {
			return nil, jsonErr(dec, err)
		}
	}
	if tok != json.Delim('[') {
		return nil, iotsec.Invalid("file", "JSON must be an array of devices or {\"devices\": [...]}")
	}
	var rows []Row
	for dec.More() {
		if len(rows) == MaxRows {
			return nil, iotsec.Errorf(iotsec.ErrTooLarge, "more than %d rows", MaxRows)
		}
		row := Row{At: fmt.Sprintf("device %d", len(rows)+1)}
		if err := dec.Decode(&row); err != nil {
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &te):
				return nil, atErr(row.At, te.Field, "%s must be a %s", te.Field, te.Type)
			case errors.Is(err, errTooLarge):
				return nil, jsonErr(dec, err)
			case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
				return nil, atErr(row.At, "file", "JSON ends early, at byte %d", dec.InputOffset())
			}
			return nil, atErr(row.At, "file", "%v", err)
		}
		row.UID, row.Product, row.Firmware, row.State = strings.TrimSpace(row.UID), strings.TrimSpace(row.Product), strings.TrimSpace(row.Firmware), strings.TrimSpace(row.State)
		if err := row.check(); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if _, err := dec.Token(); err != nil { // closing ]
		return nil, jsonErr(dec, err)
	}
	if len(rows) == 0 {
		return nil, iotsec.Invalid("file", "holds no devices")
	}
	return rows, nil
}

func jsonErr(dec *json.Decoder, err error) error {
	if errors.Is(err, errTooLarge) {
		return iotsec.Errorf(iotsec.ErrTooLarge, "file is larger than %d bytes", MaxInput)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return iotsec.Invalid(te.Field, "must be a %s", te.Type)
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return iotsec.Invalid("file", "JSON ends early, at byte %d", dec.InputOffset())
	}
	return iotsec.Invalid("file", "at byte %d: %v", dec.InputOffset(), err)
}

var errTooLarge = errors.New("input too large")

// limitedReader fails, rather than truncating silently, past n bytes.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// Lifecycle says which states a device in state from may move to: the
// identity service's transition rules (identity.Next), injected so that
// this service does not import another.
type Lifecycle func(from iotsec.State) []iotsec.State

// InitialStates are the states a device may be created in by an import:
// those before any certificate or evidence exists. Later states come only
// by a lifecycle transition.
func InitialStates() []iotsec.State {
	return []iotsec.State{iotsec.StateManufactured, iotsec.StateProvisioned, iotsec.StateOperational}
}

// Reader is what Resolve reads.
type Reader interface {
	iotsec.ProductStore
	ListDevices(ctx context.Context, a iotsec.Actor, f iotsec.DeviceFilter) ([]iotsec.Device, error)
}

// Resolve turns rows into devices of the actor's organisation, matching
// products by ID or model number and firmware by ID or version. Every
// unknown reference is an error naming its line.
//
// An import never moves a device through its lifecycle: a new device
// starts in one of InitialStates (operational when the row names none), an
// existing device keeps its state (the store's upsert does not change it),
// and a row that names another state for an existing device is refused,
// with the states next allows (transitions revoke certificates and need
// evidence, which an import cannot give).
func Resolve(ctx context.Context, s Reader, a iotsec.Actor, rows []Row, next Lifecycle) ([]iotsec.Device, error) {
	products, err := s.ListProducts(ctx, a)
	if err != nil {
		return nil, err
	}
	byKey := map[string]string{} // ID or model -> product ID
	for _, p := range products {
		byKey[p.ID] = p.ID
		byKey[p.Model] = p.ID
	}
	fws, err := s.ListFirmware(ctx, a, "")
	if err != nil {
		return nil, err
	}
	type fwKey struct{ product, ref string }
	fwBy := map[fwKey]string{}
	for _, f := range fws {
		fwBy[fwKey{f.ProductID, f.ID}] = f.ID
		fwBy[fwKey{f.ProductID, f.Version}] = f.ID
	}
	var existing map[string]iotsec.Device
	for _, r := range rows {
		if r.State != "" {
			if existing, err = devicesByUID(ctx, s, a); err != nil {
				return nil, err
			}
			break
		}
	}
	out := make([]iotsec.Device, len(rows))
	for i, r := range rows {
		pid, ok := byKey[r.Product]
		if !ok {
			return nil, atErr(r.At, "product", "no product with ID or model number %q in this organisation", r.Product)
		}
		d := iotsec.Device{UID: r.UID, ProductID: pid, State: iotsec.State(r.State)}
		if r.Firmware != "" {
			if d.FirmwareID, ok = fwBy[fwKey{pid, r.Firmware}]; !ok {
				return nil, atErr(r.At, "firmware", "product %q has no firmware version %q", r.Product, r.Firmware)
			}
		}
		if old, ok := existing[r.UID]; ok && d.State != "" && d.State != old.State {
			allowed := "nothing: it is final"
			if next != nil {
				if ns := next(old.State); len(ns) > 0 {
					allowed = joinStates(ns)
				}
			}
			return nil, atErr(r.At, "state", "device %q is %s and an import does not move devices through the lifecycle; "+
				"from %s it may become %s, by a transition (POST /api/v1/identity/devices/%s/transitions), which revokes or holds its certificates and records evidence",
				r.UID, old.State, old.State, allowed, old.ID)
		} else if !ok && d.State != "" && !slices.Contains(InitialStates(), d.State) {
			return nil, atErr(r.At, "state", "a new device starts as %s; %s comes only by a lifecycle transition", joinStates(InitialStates()), d.State)
		}
		if d.State == "" {
			d.State = iotsec.StateOperational // new devices; the store keeps an existing device's state
		}
		out[i] = d
	}
	return out, nil
}

// devicesByUID reads every device of the organisation, a page at a time.
func devicesByUID(ctx context.Context, s Reader, a iotsec.Actor) (map[string]iotsec.Device, error) {
	out := map[string]iotsec.Device{}
	for after := ""; ; {
		ds, err := s.ListDevices(ctx, a, iotsec.DeviceFilter{After: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out[d.UID] = d
		}
		if len(ds) < 1000 {
			return out, nil
		}
		after = ds[len(ds)-1].ID
	}
}

func joinStates(ss []iotsec.State) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}

// Store is what an import writes through.
type Store interface {
	Reader
	UpsertDevices(ctx context.Context, a iotsec.Actor, ds []iotsec.Device, p *iotsec.Progress) (iotsec.BulkResult, error)
}

// Result is what an import did.
type Result struct {
	Rows    int `json:"rows"`
	Created int `json:"created"`
	Updated int `json:"updated"`
	Skipped int `json:"skipped"` // rows a previous attempt already wrote
}

// JobRef names the job attempt an import checkpoints: the job's ID and
// the attempt (Job.Attempts) that fences its checkpoints.
type JobRef struct {
	ID      string
	Attempt int
}

// Import parses, resolves and writes input as a, in batches. job, if its
// ID is set, receives a checkpoint with each batch, refused (and the
// batch with it) once a newer attempt of the job started; skip rows are
// taken as already written by an earlier attempt. progress, if set, is
// told after each batch.
func Import(ctx context.Context, s Store, a iotsec.Actor, input io.Reader, job JobRef, skip int64, batch int, progress func(done, total int64), next Lifecycle) (Result, error) {
	rows, err := Parse(input)
	if err != nil {
		return Result{}, err
	}
	devices, err := Resolve(ctx, s, a, rows, next)
	if err != nil {
		return Result{}, err
	}
	if batch <= 0 {
		batch = DefaultBatch
	}
	total := int64(len(devices))
	res := Result{Rows: len(rows), Skipped: int(min(skip, total))}
	for lo := skip; lo < total; lo += int64(batch) {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		hi := min(lo+int64(batch), total)
		var p *iotsec.Progress
		if job.ID != "" {
			p = &iotsec.Progress{JobID: job.ID, Done: hi, Total: total, Message: partial(hi, total), Attempt: job.Attempt}
		}
		r, err := s.UpsertDevices(ctx, a, devices[lo:hi], p)
		if err != nil {
			return res, fmt.Errorf("rows %d-%d: %w", lo+1, hi, err)
		}
		res.Created += r.Created
		res.Updated += r.Updated
		if progress != nil {
			progress(hi, total)
		}
	}
	return res, nil
}

// Handler runs device imports as queued jobs.
type Handler struct {
	Store Store
	Batch int // rows per transaction; 0 means DefaultBatch
	// Next is the lifecycle's rules (identity.Next), named in the refusal
	// of a row that asks to move an existing device.
	Next Lifecycle
	// AfterBatch, if set, is called with the job's context after each
	// batch is written; tests use it to stop a job half way.
	AfterBatch func(ctx context.Context, done, total int64)
}

// Kind is the job kind of device imports.
const Kind = "device-import"

func (h Handler) Kind() string { return Kind }

func (h Handler) Run(ctx context.Context, job iotsec.Job, input []byte) (json.RawMessage, error) {
	var progress func(done, total int64)
	if h.AfterBatch != nil {
		progress = func(done, total int64) { h.AfterBatch(ctx, done, total) }
	}
	res, err := Import(ctx, h.Store, job.Actor, bytes.NewReader(input), JobRef{ID: job.ID, Attempt: job.Attempts}, job.Done, h.Batch, progress, h.Next)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// ResultOf is what a finished device-import job did; false for another
// kind of job, or one that has not finished.
func ResultOf(job iotsec.Job) (Result, bool) {
	var res Result
	if job.Kind != Kind || len(job.Result) == 0 || json.Unmarshal(job.Result, &res) != nil {
		return Result{}, false
	}
	return res, true
}

// partial is the job's message while an import is under way: its devices
// are written in batches, each with this checkpoint, so until the last
// batch the import is visibly partial (and after a crash it stays so
// until the queue resumes it from here).
func partial(done, total int64) string {
	if done >= total {
		return fmt.Sprintf("%d of %d devices written", done, total)
	}
	return fmt.Sprintf("partial: %d of %d devices written; the import continues from here if interrupted", done, total)
}
