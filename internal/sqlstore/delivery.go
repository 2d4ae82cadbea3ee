package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Deliveries of notification batches over webhook and e-mail: each is a
// row with its state and a queued job that sends it.

// maxDeliveryError bounds the stored reason of a failed attempt.
const maxDeliveryError = 1000

type deliveryJob struct {
	job   iotsec.Job
	actor []byte
	input []byte
}

// newDeliveries fills in the deliveries of a batch of notifications (ids)
// and makes their jobs, before the transaction that inserts them.
func (s *Store) newDeliveries(a iotsec.Actor, ds []iotsec.Delivery, ids []string, now time.Time) ([]deliveryJob, error) {
	jobs := make([]deliveryJob, 0, len(ds))
	for i := range ds {
		d := &ds[i]
		if d.Channel != iotsec.ChannelWebhook && d.Channel != iotsec.ChannelEmail {
			return nil, iotsec.Invalid("channel", "must be webhook or email")
		}
		j := deliveryJob{job: iotsec.Job{Kind: iotsec.JobDeliver}}
		actor, err := s.newJob(a, &j.job, &j.input)
		if err != nil {
			return nil, err
		}
		j.actor = actor
		d.ID, d.OrgID, d.State, d.JobID = s.ids.New(iotsec.PrefixDelivery), a.OrgID, iotsec.DeliveryQueued, j.job.ID
		d.Notifications = append([]string(nil), ids...)
		d.Attempts, d.NextAttemptAt, d.LastError, d.SentAt = 0, time.Time{}, "", time.Time{}
		d.CreatedAt, d.UpdatedAt = now, now
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// insertDeliveries records and enqueues the deliveries inside tx.
func (s *Store) insertDeliveries(ctx context.Context, tx *sql.Tx, a iotsec.Actor, ds []iotsec.Delivery, jobs []deliveryJob) error {
	for i, d := range ds {
		j := jobs[i]
		if err := s.insertJob(ctx, tx, a, &j.job, j.actor, j.input); err != nil {
			return err
		}
		ids, err := json.Marshal(d.Notifications)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO notify_deliveries (id, org_id, channel, target, state, notifications, job_id,
			attempts, last_error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, '', ?, ?)`),
			d.ID, d.OrgID, d.Channel, d.Target, d.State, string(ids), d.JobID, s.t(d.CreatedAt), s.t(d.UpdatedAt)); err != nil {
			return fmt.Errorf("insert delivery: %w", err)
		}
	}
	return nil
}

const deliveryColumns = "id, org_id, channel, target, state, notifications, job_id, attempts, next_attempt_at, last_error, created_at, updated_at, sent_at"

func scanDelivery(sc rowScanner) (iotsec.Delivery, error) {
	var d iotsec.Delivery
	var ids string
	if err := sc.Scan(&d.ID, &d.OrgID, &d.Channel, &d.Target, &d.State, &ids, &d.JobID, &d.Attempts, tscan{&d.NextAttemptAt}, &d.LastError,
		tscan{&d.CreatedAt}, tscan{&d.UpdatedAt}, tscan{&d.SentAt}); err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(ids), &d.Notifications); err != nil {
		return d, fmt.Errorf("delivery %s: notifications: %w", d.ID, err)
	}
	return d, nil
}

func (s *Store) ListDeliveries(ctx context.Context, a iotsec.Actor, n int) ([]iotsec.Delivery, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+deliveryColumns+" FROM notify_deliveries WHERE org_id = ? ORDER BY id DESC LIMIT ?"),
		a.OrgID, limit(n, 50, 500))
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *Store) JobDelivery(ctx context.Context, a iotsec.Actor, jobID string) (iotsec.Delivery, []iotsec.Notification, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.Delivery{}, nil, err
	}
	d, err := scanDelivery(s.db.QueryRowContext(ctx, s.q("SELECT "+deliveryColumns+" FROM notify_deliveries WHERE job_id = ? AND org_id = ?"), jobID, a.OrgID))
	if err != nil {
		return d, nil, notFound(err, "delivery")
	}
	ns := []iotsec.Notification{}
	err = s.inChunks(d.Notifications, func(cond string, args []any) error {
		rows, err := s.db.QueryContext(ctx, s.q("SELECT id, org_id, kind, title, body, link, created_at, read_at FROM notifications WHERE org_id = ? AND id "+cond+" ORDER BY id"),
			append([]any{a.OrgID}, args...)...)
		if err != nil {
			return fmt.Errorf("delivery notifications: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var x iotsec.Notification
			if err := rows.Scan(&x.ID, &x.OrgID, &x.Kind, &x.Title, &x.Body, &x.Link, tscan{&x.CreatedAt}, tscan{&x.ReadAt}); err != nil {
				return err
			}
			ns = append(ns, x)
		}
		return rows.Err()
	})
	return d, ns, err
}

func (s *Store) UpdateDelivery(ctx context.Context, a iotsec.Actor, d *iotsec.Delivery) error {
	if err := a.Can(iotsec.PermRead); err != nil {
		return err
	}
	switch d.State {
	case iotsec.DeliveryQueued, iotsec.DeliverySent, iotsec.DeliveryRetrying, iotsec.DeliveryFailed:
	default:
		return iotsec.Invalid("state", "must be queued, sent, retrying or failed")
	}
	if d.Attempts < 0 {
		return iotsec.Invalid("attempts", "must not be negative")
	}
	// Cut long reasons on a character boundary: PostgreSQL refuses
	// invalid UTF-8.
	d.LastError = strings.ToValidUTF8(d.LastError, "?")
	if len(d.LastError) > maxDeliveryError {
		n := maxDeliveryError
		for n > 0 && !utf8.RuneStart(d.LastError[n]) {
			n--
		}
		d.LastError = d.LastError[:n]
	}
	d.UpdatedAt = s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE notify_deliveries SET target = ?, state = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
			sent_at = ?, updated_at = ? WHERE id = ? AND org_id = ?`),
			d.Target, d.State, d.Attempts, s.t(d.NextAttemptAt), d.LastError, s.t(d.SentAt), s.t(d.UpdatedAt), d.ID, a.OrgID)
		if err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return iotsec.NotFound("delivery")
		}
		return nil
	})
}
