package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// TakeSlot gives job one of its organisation's limit slots of class, until
// the given time, and reports whether there was one: a slot the job
// already holds (a job picked up again), a free one, or one whose holder
// stopped renewing it before now. Each try is one statement that only
// one writer can win (an insert under the slot's primary key, or an
// update guarded by the expiry it read), so replicas sharing the database
// never hand out more than limit slots.
func (s *Store) TakeSlot(ctx context.Context, org, class, job string, limit int, until, now time.Time) (bool, error) {
	took := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ok, err := affected(tx.ExecContext(ctx, s.q("UPDATE job_slots SET expires_at = ? WHERE job_id = ? AND org_id = ? AND class = ?"),
			s.t(until), job, org, class))
		if err != nil || ok {
			took = ok
			return err
		}
		for slot := range limit {
			ok, err := affected(tx.ExecContext(ctx, s.q("UPDATE job_slots SET job_id = ?, expires_at = ? WHERE org_id = ? AND class = ? AND slot = ? AND expires_at < ?"),
				job, s.t(until), org, class, slot, s.t(now)))
			if err != nil || ok {
				took = ok
				return err
			}
			ok, err = affected(tx.ExecContext(ctx, s.q("INSERT INTO job_slots (org_id, class, slot, job_id, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
				org, class, slot, job, s.t(until)))
			if err != nil || ok {
				took = ok
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("take a %s slot: %w", class, err)
	}
	return took, nil
}

// KeepSlot renews the slot job holds, if any, until the given time.
func (s *Store) KeepSlot(ctx context.Context, job string, until time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q("UPDATE job_slots SET expires_at = ? WHERE job_id = ?"), s.t(until), job); err != nil {
			return fmt.Errorf("keep job slot: %w", err)
		}
		return nil
	})
}

// FreeSlot gives back the slot job holds, if any.
func (s *Store) FreeSlot(ctx context.Context, job string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM job_slots WHERE job_id = ?"), job); err != nil {
			return fmt.Errorf("free job slot: %w", err)
		}
		return nil
	})
}

func affected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
