package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

const deviceColumns = "id, org_id, uid, product_id, coalesce(firmware_id, ''), state, created_at, updated_at"

func scanDevice(sc interface{ Scan(...any) error }) (iotsec.Device, error) {
	var d iotsec.Device
	err := sc.Scan(&d.ID, &d.OrgID, &d.UID, &d.ProductID, &d.FirmwareID, &d.State, tscan{&d.CreatedAt}, tscan{&d.UpdatedAt})
	return d, err
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// checkRefs verifies that the device's product (and firmware, if set)
// belong to the organisation and to each other, with errors that name the
// field; the composite foreign keys would refuse the row anyway, but less
// helpfully.
func (s *Store) checkRefs(ctx context.Context, tx *sql.Tx, org string, d *iotsec.Device) error {
	var n int
	if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM products WHERE id = ? AND org_id = ?"), d.ProductID, org).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return iotsec.Invalid("product_id", "no product %q in this organisation", d.ProductID)
	}
	if d.FirmwareID == "" {
		return nil
	}
	if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM firmware WHERE id = ? AND org_id = ? AND product_id = ?"), d.FirmwareID, org, d.ProductID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return iotsec.Invalid("firmware_id", "no firmware version %q of product %q", d.FirmwareID, d.ProductID)
	}
	return nil
}

func uidConflict(uid string) error {
	return &iotsec.Error{Kind: iotsec.ErrConflict, Field: "uid", Message: fmt.Sprintf("a device with uid %q exists", uid)}
}

func (s *Store) CreateDevice(ctx context.Context, a iotsec.Actor, d *iotsec.Device) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := d.Normalize(); err != nil {
		return err
	}
	d.ID, d.OrgID, d.CreatedAt = s.ids.New(iotsec.PrefixDevice), a.OrgID, s.now()
	d.UpdatedAt = d.CreatedAt
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkRefs(ctx, tx, a.OrgID, d); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO devices (id, org_id, uid, product_id, firmware_id, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
			d.ID, d.OrgID, d.UID, d.ProductID, nullString(d.FirmwareID), d.State, s.t(d.CreatedAt), s.t(d.UpdatedAt))
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return uidConflict(d.UID)
			}
			return fmt.Errorf("insert device: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "device.create", d.ID, map[string]any{"uid": d.UID, "product_id": d.ProductID, "state": d.State})
	})
}

func (s *Store) GetDevice(ctx context.Context, a iotsec.Actor, id string) (iotsec.Device, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.Device{}, err
	}
	d, err := scanDevice(s.queryRow(ctx, nil, "SELECT "+deviceColumns+" FROM devices WHERE id = ? AND org_id = ?", id, a.OrgID))
	return d, notFound(err, "device")
}

func (s *Store) ListDevices(ctx context.Context, a iotsec.Actor, f iotsec.DeviceFilter) ([]iotsec.Device, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	var where strings.Builder
	args := []any{a.OrgID}
	where.WriteString("org_id = ?")
	add := func(cond string, v any) {
		where.WriteString(" AND " + cond)
		args = append(args, v)
	}
	if f.ProductID != "" {
		add("product_id = ?", f.ProductID)
	}
	if f.FirmwareID != "" {
		add("firmware_id = ?", f.FirmwareID)
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	if f.UID != "" {
		add("uid = ?", f.UID)
	}
	if f.Query != "" {
		add(`lower(uid) LIKE ? ESCAPE '\'`, "%"+likeEscape(strings.ToLower(f.Query))+"%")
	}
	if f.After != "" {
		add("id > ?", f.After)
	}
	args = append(args, limit(f.Limit, 100, 1000))
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+deviceColumns+" FROM devices WHERE "+where.String()+" ORDER BY id LIMIT ?"), args...)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Device{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UpdateDevice changes a device's UID, product and firmware version. It
// never changes its lifecycle state: that moves only by a transition
// (TransitionDevice, through the identity service's rules, with their
// certificate actions and evidence). d.State empty or the stored state is
// left as stored; any other state is refused, naming the stored one.
func (s *Store) UpdateDevice(ctx context.Context, a iotsec.Actor, d *iotsec.Device) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	want := d.State
	if err := d.Normalize(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanDevice(tx.QueryRowContext(ctx, s.q("SELECT "+deviceColumns+" FROM devices WHERE id = ? AND org_id = ?"), d.ID, a.OrgID))
		if err != nil {
			return notFound(err, "device")
		}
		if want != "" && want != old.State {
			return iotsec.Invalid("state", "is %s and changes only by a lifecycle transition, under its rules, not by an update", old.State)
		}
		d.State = old.State
		if err := s.checkRefs(ctx, tx, a.OrgID, d); err != nil {
			return err
		}
		d.OrgID, d.CreatedAt, d.UpdatedAt = old.OrgID, old.CreatedAt, s.now()
		_, err = tx.ExecContext(ctx, s.q("UPDATE devices SET uid = ?, product_id = ?, firmware_id = ?, updated_at = ? WHERE id = ? AND org_id = ?"),
			d.UID, d.ProductID, nullString(d.FirmwareID), s.t(d.UpdatedAt), d.ID, a.OrgID)
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return uidConflict(d.UID)
			}
			return fmt.Errorf("update device: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "device.update", d.ID, changes(old, *d))
	})
}

func (s *Store) DeleteDevice(ctx context.Context, a iotsec.Actor, id string) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		d, err := scanDevice(tx.QueryRowContext(ctx, s.q("SELECT "+deviceColumns+" FROM devices WHERE id = ? AND org_id = ?"), id, a.OrgID))
		if err != nil {
			return notFound(err, "device")
		}
		// A device with an identity history keeps its record: its
		// certificates, lifecycle and transfers refer to it.
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT (SELECT count(*) FROM device_certs WHERE device_id = ?) +
			(SELECT count(*) FROM device_transitions WHERE device_id = ?) + (SELECT count(*) FROM device_transfers WHERE device_id = ?)`),
			id, id, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iotsec.Conflict("device %s has an identity history; decommission or dispose of it instead of deleting its record", d.UID)
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM devices WHERE id = ? AND org_id = ?"), id, a.OrgID); err != nil {
			return fmt.Errorf("delete device: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "device.delete", id, map[string]any{"uid": d.UID})
	})
}

// Batches stay well under both databases' bound-parameter limits.
const (
	lookupChunk = 500
	upsertChunk = 250
)

func (s *Store) UpsertDevices(ctx context.Context, a iotsec.Actor, ds []iotsec.Device, p *iotsec.Progress) (iotsec.BulkResult, error) {
	var res iotsec.BulkResult
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return res, err
	}
	// The last row for a UID wins, as if the rows were applied in order.
	last := make(map[string]int, len(ds))
	for i := range ds {
		if err := ds[i].Normalize(); err != nil {
			return res, fmt.Errorf("device %d (uid %q): %w", i+1, ds[i].UID, err)
		}
		last[ds[i].UID] = i
	}
	batch := make([]iotsec.Device, 0, len(last))
	for i, d := range ds {
		if last[d.UID] == i {
			batch = append(batch, d)
		}
	}
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkBatchRefs(ctx, tx, a.OrgID, batch); err != nil {
			return err
		}
		existing := make(map[string]bool, len(batch))
		uids := make([]string, len(batch))
		for i, d := range batch {
			uids[i] = d.UID
		}
		if err := s.lookupIn(ctx, tx, "SELECT uid, uid FROM devices WHERE org_id = ? AND uid %s", a.OrgID, uids, func(uid, _ string) {
			existing[uid] = true
		}); err != nil {
			return err
		}
		for lo := 0; lo < len(batch); lo += upsertChunk {
			part := batch[lo:min(lo+upsertChunk, len(batch))]
			var b strings.Builder
			b.WriteString("INSERT INTO devices (id, org_id, uid, product_id, firmware_id, state, created_at, updated_at) VALUES ")
			args := make([]any, 0, len(part)*8)
			for i, d := range part {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, s.ids.New(iotsec.PrefixDevice), a.OrgID, d.UID, d.ProductID, nullString(d.FirmwareID), d.State, s.t(now), s.t(now))
			}
			// An existing device keeps its lifecycle state: that changes
			// only by a transition (TransitionDevice), with its
			// certificate changes and evidence.
			b.WriteString(` ON CONFLICT (org_id, uid) DO UPDATE SET product_id = excluded.product_id,
				firmware_id = excluded.firmware_id, updated_at = excluded.updated_at`)
			if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
				if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
					return iotsec.Invalid("product_id", "a device names a product or firmware version that is not in this organisation, or a version of another product")
				}
				return fmt.Errorf("upsert devices: %w", err)
			}
		}
		for _, d := range batch {
			if existing[d.UID] {
				res.Updated++
			} else {
				res.Created++
			}
		}
		if p != nil {
			if err := s.saveProgress(ctx, tx, *p); err != nil {
				return err
			}
		}
		details := map[string]any{"created": res.Created, "updated": res.Updated}
		if p != nil {
			details["job"] = p.JobID
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "device.import", "", details)
	})
	if err != nil {
		return iotsec.BulkResult{}, err
	}
	return res, nil
}

func (s *Store) Overview(ctx context.Context, a iotsec.Actor, today iotsec.Date) (iotsec.Overview, error) {
	o, _, err := s.FleetTally(ctx, a, today)
	return o, err
}

// FleetTally reads the devices once, grouped by firmware version and
// state (at most versions × states rows), each group marked whether its
// version's support ended before today; every device figure is a sum of
// those groups.
func (s *Store) FleetTally(ctx context.Context, a iotsec.Actor, today iotsec.Date) (iotsec.Overview, map[string]int, error) {
	o := iotsec.Overview{DevicesByState: map[iotsec.State]int{}}
	if err := a.Can(iotsec.PermRead); err != nil {
		return o, nil, err
	}
	counts := []struct {
		dst   *int
		query string
		args  []any
	}{
		{&o.Products, "SELECT count(*) FROM products WHERE org_id = ?", []any{a.OrgID}},
		{&o.FirmwareVersions, "SELECT count(*) FROM firmware WHERE org_id = ?", []any{a.OrgID}},
		{&o.UnsupportedFirmware, "SELECT count(*) FROM firmware WHERE org_id = ? AND support_end < ?", []any{a.OrgID, s.date(today)}},
	}
	for _, c := range counts {
		if err := s.db.QueryRowContext(ctx, s.q(c.query), c.args...).Scan(c.dst); err != nil {
			return o, nil, fmt.Errorf("overview: %w", err)
		}
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT g.firmware_id, g.state, g.n, CASE WHEN f.support_end < ? THEN 1 ELSE 0 END
		FROM (SELECT firmware_id, state, count(*) AS n FROM devices WHERE org_id = ? GROUP BY firmware_id, state) g
		LEFT JOIN firmware f ON f.id = g.firmware_id`), s.date(today), a.OrgID)
	if err != nil {
		return o, nil, fmt.Errorf("overview: %w", err)
	}
	defer rows.Close()
	byFirmware := map[string]int{}
	for rows.Next() {
		var fw sql.NullString
		var st iotsec.State
		var n, unsupported int
		if err := rows.Scan(&fw, &st, &n, &unsupported); err != nil {
			return o, nil, err
		}
		o.DevicesByState[st] += n
		o.Devices += n
		if !fw.Valid {
			o.DevicesNoFirmware += n
			continue
		}
		byFirmware[fw.String] += n
		if unsupported == 1 {
			o.DevicesUnsupported += n
		}
	}
	if err := rows.Err(); err != nil {
		return o, nil, err
	}
	return o, byFirmware, nil
}

// checkBatchRefs is checkRefs for a whole batch, in two queries: the
// distinct products and firmware versions of a batch are few.
func (s *Store) checkBatchRefs(ctx context.Context, tx *sql.Tx, org string, batch []iotsec.Device) error {
	products := map[string]bool{}
	firmware := map[string]string{} // firmware ID -> product ID
	for _, d := range batch {
		products[d.ProductID] = false
		if d.FirmwareID != "" {
			firmware[d.FirmwareID] = ""
		}
	}
	if err := s.lookupIn(ctx, tx, "SELECT id, id FROM products WHERE org_id = ? AND id %s", org, keys(products), func(id, _ string) {
		products[id] = true
	}); err != nil {
		return err
	}
	if err := s.lookupIn(ctx, tx, "SELECT id, product_id FROM firmware WHERE org_id = ? AND id %s", org, keys(firmware), func(id, product string) {
		firmware[id] = product
	}); err != nil {
		return err
	}
	for i, d := range batch {
		if !products[d.ProductID] {
			return iotsec.Invalid("product_id", "device %d (uid %q): no product %q in this organisation", i+1, d.UID, d.ProductID)
		}
		if d.FirmwareID != "" && firmware[d.FirmwareID] != d.ProductID {
			return iotsec.Invalid("firmware_id", "device %d (uid %q): no firmware version %q of product %q", i+1, d.UID, d.FirmwareID, d.ProductID)
		}
	}
	return nil
}

// lookupIn runs query, whose last condition is a column followed by %s,
// for every ID in ids, calling fn with the two selected columns of each
// row. IDs go as an array where the dialect has them, else as IN lists in
// chunks.
func (s *Store) lookupIn(ctx context.Context, tx *sql.Tx, query, org string, ids []string, fn func(a, b string)) error {
	return s.inChunks(ids, func(cond string, args []any) error {
		rows, err := tx.QueryContext(ctx, s.q(fmt.Sprintf(query, cond)), append([]any{org}, args...)...)
		if err != nil {
			return fmt.Errorf("look up: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				return err
			}
			fn(a, b)
		}
		return rows.Err()
	})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (s *Store) DeviceCounts(ctx context.Context, a iotsec.Actor) (map[string]int, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT firmware_id, count(*) FROM devices WHERE org_id = ? AND firmware_id IS NOT NULL GROUP BY firmware_id"), a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("count devices: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
