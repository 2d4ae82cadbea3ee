package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// The shared vulnerability data. Rows are written in multi-row statements
// (an NVD year is some 30,000 records with several keys each), and looked
// up by key with IN lists or arrays.

// rowsPerInsert bounds one multi-row INSERT: under SQLite's and
// PostgreSQL's parameter limits for the widest table here (6 columns).
const rowsPerInsert = 500

// insertRows inserts rows (each of len(cols) values) into table, in
// statements of at most rowsPerInsert rows, with suffix (an ON CONFLICT
// clause) appended to each.
func insertRows(ctx context.Context, s *Store, tx *sql.Tx, table string, cols []string, suffix string, rows [][]any) error {
	row := "(" + placeholders(len(cols)) + ")"
	for lo := 0; lo < len(rows); lo += rowsPerInsert {
		part := rows[lo:min(lo+rowsPerInsert, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, len(part)*len(cols))
		for i, r := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
			args = append(args, r...)
		}
		b.WriteString(" " + suffix)
		if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// inChunks runs fn over vs in slices small enough for an IN list, or all
// at once where the dialect binds arrays; cond is "IN (?, ...)" or
// "= ANY(?)" and args its arguments.
func (s *Store) inChunks(vs []string, fn func(cond string, args []any) error) error {
	if len(vs) == 0 {
		return nil
	}
	if s.d.Arrays {
		return fn("= ANY(?)", []any{vs})
	}
	for lo := 0; lo < len(vs); lo += lookupChunk {
		part := vs[lo:min(lo+lookupChunk, len(vs))]
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		if err := fn("IN ("+placeholders(len(part))+")", args); err != nil {
			return err
		}
	}
	return nil
}

type vulnWriter struct {
	s  *Store
	tx *sql.Tx
	n  *int
}

func (w vulnWriter) PutAdvisories(ctx context.Context, rs []iotsec.VulnRecord) error {
	// The last of duplicate records wins, as a later import would.
	last := map[[2]string]int{}
	for i, r := range rs {
		if r.Source == "" || r.ID == "" {
			return iotsec.Invalid("record", "advisory %d has no source or ID", i)
		}
		last[[2]string{r.Source, r.ID}] = i
	}
	bySource := map[string][]string{}
	var adv, keys, ids [][]any
	for i, r := range rs {
		if last[[2]string{r.Source, r.ID}] != i {
			continue
		}
		bySource[r.Source] = append(bySource[r.Source], r.ID)
		all := uniq(append([]string{r.ID}, r.IDs...))
		adv = append(adv, []any{r.Source, r.ID, strings.Join(all, " "), w.s.t(r.Modified), r.Data})
		for _, k := range uniqKeys(r.Keys) {
			keys = append(keys, []any{k.Kind, k.A, k.B, k.C, r.Source, r.ID})
		}
		for _, id := range all {
			ids = append(ids, []any{id, r.Source, r.ID})
		}
	}
	for src, list := range bySource {
		for _, t := range []string{"vuln_keys", "vuln_ids"} {
			err := w.s.inChunks(list, func(cond string, args []any) error {
				_, err := w.tx.ExecContext(ctx, w.s.q("DELETE FROM "+t+" WHERE source = ? AND id "+cond), append([]any{src}, args...)...)
				return err
			})
			if err != nil {
				return fmt.Errorf("replace %s: %w", t, err)
			}
		}
	}
	if err := insertRows(ctx, w.s, w.tx, "vuln_advisories", []string{"source", "id", "ids", "modified", "data"},
		"ON CONFLICT (source, id) DO UPDATE SET ids = excluded.ids, modified = excluded.modified, data = excluded.data", adv); err != nil {
		return err
	}
	if err := insertRows(ctx, w.s, w.tx, "vuln_keys", []string{"kind", "a", "b", "c", "source", "id"}, "ON CONFLICT DO NOTHING", keys); err != nil {
		return err
	}
	if err := insertRows(ctx, w.s, w.tx, "vuln_ids", []string{"alias", "source", "id"}, "ON CONFLICT DO NOTHING", ids); err != nil {
		return err
	}
	*w.n += len(adv)
	return nil
}

func (w vulnWriter) PutKEV(ctx context.Context, rs []iotsec.KEVRecord) error {
	last := map[string]int{}
	for i, r := range rs {
		last[r.CVE] = i
	}
	var rows [][]any
	for i, r := range rs {
		if last[r.CVE] == i {
			rows = append(rows, []any{r.CVE, w.s.t(r.DateAdded), r.Data})
		}
	}
	*w.n += len(rows)
	return insertRows(ctx, w.s, w.tx, "vuln_kev", []string{"cve", "date_added", "data"},
		"ON CONFLICT (cve) DO UPDATE SET date_added = excluded.date_added, data = excluded.data", rows)
}

func (w vulnWriter) PutEPSS(ctx context.Context, rs []iotsec.EPSSRecord) error {
	last := map[string]int{}
	for i, r := range rs {
		last[r.CVE] = i
	}
	var rows [][]any
	for i, r := range rs {
		if last[r.CVE] == i {
			rows = append(rows, []any{r.CVE, r.Score, r.Percentile, w.s.t(r.Date)})
		}
	}
	*w.n += len(rows)
	return insertRows(ctx, w.s, w.tx, "vuln_epss", []string{"cve", "score", "percentile", "date"},
		"ON CONFLICT (cve) DO UPDATE SET score = excluded.score, percentile = excluded.percentile, date = excluded.date", rows)
}

func (w vulnWriter) PutStatements(ctx context.Context, rs []iotsec.VendorStatement) error {
	var st, ids [][]any
	seen := map[string]bool{}
	for _, r := range rs {
		sum := sha256.Sum256(r.Data)
		h := hex.EncodeToString(sum[:])
		if seen[h] {
			continue
		}
		seen[h] = true
		st = append(st, []any{h, r.Data})
		for _, id := range uniq(r.IDs) {
			ids = append(ids, []any{id, h})
		}
	}
	*w.n += len(st)
	if err := insertRows(ctx, w.s, w.tx, "vuln_statements", []string{"hash", "data"}, "ON CONFLICT DO NOTHING", st); err != nil {
		return err
	}
	return insertRows(ctx, w.s, w.tx, "vuln_statement_ids", []string{"alias", "hash"}, "ON CONFLICT DO NOTHING", ids)
}

func (s *Store) ImportVulns(ctx context.Context, imp *iotsec.VulnImport, fn func(w iotsec.VulnWriter) error) error {
	switch imp.Kind {
	case "nvd", "nvd-overrides", "osv", "kev", "epss", "vex":
	default:
		return iotsec.Invalid("kind", "unknown vulnerability data kind %q", imp.Kind)
	}
	imp.ID, imp.ImportedAt = s.ids.New(iotsec.PrefixVulnImport), s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		n := 0
		if err := fn(vulnWriter{s, tx, &n}); err != nil {
			return err
		}
		imp.Records = n
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO vuln_imports (id, kind, file, sha256, records, by_name, imported_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), imp.ID, imp.Kind, imp.File, imp.SHA256, imp.Records, imp.By, s.t(imp.ImportedAt)); err != nil {
			return fmt.Errorf("record import: %w", err)
		}
		return s.audit(ctx, tx, "", imp.By, "vulndb.import", imp.ID, map[string]any{"kind": imp.Kind, "file": imp.File, "sha256": imp.SHA256, "records": n})
	})
}

func (s *Store) VulnSources(ctx context.Context) ([]iotsec.VulnSource, []iotsec.VulnImport, error) {
	counts := []struct{ kind, query string }{
		{"nvd", "SELECT count(*), max(modified) FROM vuln_advisories WHERE source = 'nvd'"},
		{"nvd-overrides", "SELECT count(*), max(modified) FROM vuln_advisories WHERE source = 'nvd-overrides'"},
		{"osv", "SELECT count(*), max(modified) FROM vuln_advisories WHERE source = 'osv'"},
		{"kev", "SELECT count(*), max(date_added) FROM vuln_kev"},
		{"epss", "SELECT count(*), max(date) FROM vuln_epss"},
		{"vex", "SELECT count(*), NULL FROM vuln_statements"},
	}
	var out []iotsec.VulnSource
	for _, c := range counts {
		v := iotsec.VulnSource{Kind: c.kind}
		var newest any
		if err := s.db.QueryRowContext(ctx, c.query).Scan(&v.Records, &newest); err != nil {
			return nil, nil, fmt.Errorf("count %s: %w", c.kind, err)
		}
		if err := (tscan{&v.Newest}).Scan(newest); err != nil {
			return nil, nil, err
		}
		var last any
		if err := s.db.QueryRowContext(ctx, s.q("SELECT count(*), max(imported_at) FROM vuln_imports WHERE kind = ?"), c.kind).Scan(&v.Files, &last); err != nil {
			return nil, nil, fmt.Errorf("count imports: %w", err)
		}
		if err := (tscan{&v.LastImport}).Scan(last); err != nil {
			return nil, nil, err
		}
		out = append(out, v)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, file, sha256, records, by_name, imported_at FROM vuln_imports ORDER BY id DESC LIMIT 20`)
	if err != nil {
		return nil, nil, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	imps := []iotsec.VulnImport{}
	for rows.Next() {
		var i iotsec.VulnImport
		if err := rows.Scan(&i.ID, &i.Kind, &i.File, &i.SHA256, &i.Records, &i.By, tscan{&i.ImportedAt}); err != nil {
			return nil, nil, err
		}
		imps = append(imps, i)
	}
	return out, imps, rows.Err()
}

func (s *Store) VulnData(ctx context.Context, keys []iotsec.VulnKey) (iotsec.VulnData, error) {
	// One query per kind joins the keys with the key index: the keys as
	// three arrays where the dialect binds arrays, else as VALUES lists of
	// keyChunk keys. A 10,000-component SBOM has some 10,000 keys, which
	// one indexed probe each made as many round trips.
	byKind := map[string][]iotsec.VulnKey{}
	var kinds []string
	for _, k := range uniqKeys(keys) {
		if _, ok := byKind[k.Kind]; !ok {
			kinds = append(kinds, k.Kind)
		}
		byKind[k.Kind] = append(byKind[k.Kind], k)
	}
	ids := map[string]bool{}
	for _, kind := range kinds {
		err := s.keyChunks(byKind[kind], func(q string, args []any) error {
			// CROSS JOIN: SQLite then loops over the keys and probes the
			// index, rather than scanning the index and probing the keys.
			rows, err := s.db.QueryContext(ctx, s.q(q+` SELECT DISTINCT k.id FROM q CROSS JOIN vuln_keys k
				WHERE k.kind = ? AND k.a = q.a AND k.b = q.b AND k.c = q.c`), append(args, kind)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids[id] = true
			}
			return rows.Err()
		})
		if err != nil {
			return iotsec.VulnData{}, fmt.Errorf("look up %s keys: %w", kind, err)
		}
	}
	return s.vulnByIDs(ctx, sortedKeys(ids), false)
}

// keyChunk bounds the keys of one VALUES list (three parameters each).
const keyChunk = 500

// keyChunks runs fn over ks with q a WITH clause naming them as a table
// q(a, b, c) and args its arguments: all at once where the dialect binds
// arrays, else in chunks of keyChunk.
func (s *Store) keyChunks(ks []iotsec.VulnKey, fn func(q string, args []any) error) error {
	if s.d.Arrays {
		as, bs, cs := make([]string, len(ks)), make([]string, len(ks)), make([]string, len(ks))
		for i, k := range ks {
			as[i], bs[i], cs[i] = k.A, k.B, k.C
		}
		return fn("WITH q(a, b, c) AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[]))", []any{as, bs, cs})
	}
	for lo := 0; lo < len(ks); lo += keyChunk {
		part := ks[lo:min(lo+keyChunk, len(ks))]
		var b strings.Builder
		b.WriteString("WITH q(a, b, c) AS (VALUES ")
		args := make([]any, 0, 3*len(part))
		for i, k := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, k.A, k.B, k.C)
		}
		b.WriteString(")")
		if err := fn(b.String(), args); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) Vulnerability(ctx context.Context, id string) (iotsec.VulnData, error) {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 200 {
		return iotsec.VulnData{}, iotsec.Invalid("id", "is empty or too long")
	}
	d, err := s.vulnByIDs(ctx, []string{id}, true)
	if err == nil && len(d.Advisories) == 0 && len(d.KEV) == 0 {
		err = iotsec.NotFound("vulnerability " + id)
	}
	return d, err
}

// vulnByIDs loads the advisories with the given IDs (of any source; with
// aliases, also those known by them), then KEV, EPSS and vendor statements
// for every ID and alias they carry.
func (s *Store) vulnByIDs(ctx context.Context, ids []string, aliases bool) (iotsec.VulnData, error) {
	var d iotsec.VulnData
	col := "id"
	if aliases {
		// Advisory IDs that carry one of ids as an alias.
		var more []string
		err := s.inChunks(ids, func(cond string, args []any) error {
			rows, err := s.db.QueryContext(ctx, s.q("SELECT DISTINCT id FROM vuln_ids WHERE alias "+cond), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				more = append(more, id)
			}
			return rows.Err()
		})
		if err != nil {
			return d, fmt.Errorf("look up aliases: %w", err)
		}
		ids = uniq(append(ids, more...))
	}
	all := map[string]bool{}
	for _, id := range ids {
		all[id] = true
	}
	err := s.inChunks(ids, func(cond string, args []any) error {
		rows, err := s.db.QueryContext(ctx, s.q("SELECT source, id, ids, modified, data FROM vuln_advisories WHERE "+col+" "+cond+" ORDER BY source, id"), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r iotsec.VulnRecord
			var list string
			if err := rows.Scan(&r.Source, &r.ID, &list, tscan{&r.Modified}, &r.Data); err != nil {
				return err
			}
			r.IDs = strings.Fields(list)
			for _, id := range r.IDs {
				all[id] = true
			}
			d.Advisories = append(d.Advisories, r)
		}
		return rows.Err()
	})
	if err != nil {
		return d, fmt.Errorf("load advisories: %w", err)
	}
	every := sortedKeys(all)
	err = s.inChunks(every, func(cond string, args []any) error {
		return queryInto(ctx, s.db, s.q(kevQuery+" WHERE cve "+cond), args, scanKEV, &d.KEV)
	})
	if err != nil {
		return d, fmt.Errorf("load KEV: %w", err)
	}
	err = s.inChunks(every, func(cond string, args []any) error {
		return queryInto(ctx, s.db, s.q(epssQuery+" WHERE cve "+cond), args, scanEPSS, &d.EPSS)
	})
	if err != nil {
		return d, fmt.Errorf("load EPSS: %w", err)
	}
	seen := map[string]bool{}
	err = s.inChunks(every, func(cond string, args []any) error {
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT s.hash, s.data FROM vuln_statement_ids i JOIN vuln_statements s ON s.hash = i.hash
			WHERE i.alias `+cond), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h string
			var st iotsec.VendorStatement
			if err := rows.Scan(&h, &st.Data); err != nil {
				return err
			}
			if !seen[h] {
				seen[h] = true
				d.Statements = append(d.Statements, st)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return d, fmt.Errorf("load vendor statements: %w", err)
	}
	return d, nil
}

func uniq(vs []string) []string {
	out := make([]string, 0, len(vs))
	seen := make(map[string]bool, len(vs))
	for _, v := range vs {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func uniqKeys(ks []iotsec.VulnKey) []iotsec.VulnKey {
	out := slices.Clone(ks)
	slices.SortFunc(out, func(x, y iotsec.VulnKey) int {
		return strings.Compare(x.Kind+"\x00"+x.A+"\x00"+x.B+"\x00"+x.C, y.Kind+"\x00"+y.A+"\x00"+y.B+"\x00"+y.C)
	})
	return slices.Compact(out)
}

func sortedKeys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

func (s *Store) VulnRevision(ctx context.Context) (string, error) {
	var n int
	var last sql.NullString
	if err := s.db.QueryRowContext(ctx, "SELECT count(*), max(id) FROM vuln_imports").Scan(&n, &last); err != nil {
		return "", fmt.Errorf("vulnerability data revision: %w", err)
	}
	return fmt.Sprintf("%d/%s", n, last.String), nil
}

func (s *Store) EachVuln(ctx context.Context, fn func(iotsec.VulnRecord) error) (iotsec.VulnData, error) {
	var d iotsec.VulnData
	rows, err := s.db.QueryContext(ctx, "SELECT source, id, ids, modified, data FROM vuln_advisories")
	if err != nil {
		return d, fmt.Errorf("read advisories: %w", err)
	}
	for rows.Next() {
		var r iotsec.VulnRecord
		var list string
		if err := rows.Scan(&r.Source, &r.ID, &list, tscan{&r.Modified}, &r.Data); err != nil {
			rows.Close()
			return d, err
		}
		r.IDs = strings.Fields(list)
		if err := fn(r); err != nil {
			rows.Close()
			return d, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}
	if err := queryInto(ctx, s.db, kevQuery, nil, scanKEV, &d.KEV); err != nil {
		return d, fmt.Errorf("read KEV: %w", err)
	}
	if err := queryInto(ctx, s.db, epssQuery, nil, scanEPSS, &d.EPSS); err != nil {
		return d, fmt.Errorf("read EPSS: %w", err)
	}
	err = queryInto(ctx, s.db, "SELECT data FROM vuln_statements", nil, func(r rowScanner) (iotsec.VendorStatement, error) {
		var v iotsec.VendorStatement
		return v, r.Scan(&v.Data)
	}, &d.Statements)
	if err != nil {
		return d, fmt.Errorf("read vendor statements: %w", err)
	}
	return d, nil
}

const (
	kevQuery  = "SELECT cve, date_added, data FROM vuln_kev"
	epssQuery = "SELECT cve, score, percentile, date FROM vuln_epss"
)

func scanKEV(r rowScanner) (iotsec.KEVRecord, error) {
	var k iotsec.KEVRecord
	return k, r.Scan(&k.CVE, tscan{&k.DateAdded}, &k.Data)
}

func scanEPSS(r rowScanner) (iotsec.EPSSRecord, error) {
	var e iotsec.EPSSRecord
	return e, r.Scan(&e.CVE, &e.Score, &e.Percentile, tscan{&e.Date})
}

// queryInto appends the rows of a query, each read by scan, to out.
func queryInto[T any](ctx context.Context, db *sql.DB, query string, args []any, scan func(rowScanner) (T, error), out *[]T) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return rows.Err()
}
