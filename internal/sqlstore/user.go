package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func (s *Store) CreateUser(ctx context.Context, by string, u *iotsec.User) error {
	if err := u.Normalize(); err != nil {
		return err
	}
	u.ID, u.CreatedAt = s.ids.New(iotsec.PrefixUser), s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)"),
			u.ID, u.Email, u.Name, u.PasswordHash, s.t(u.CreatedAt))
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return iotsec.Conflict("a user with email %s exists", u.Email)
			}
			return fmt.Errorf("insert user: %w", err)
		}
		return s.audit(ctx, tx, "", by, "user.create", u.ID, map[string]any{"email": u.Email})
	})
}

const userColumns = "id, email, name, password_hash, created_at"

func (s *Store) getUser(ctx context.Context, where string, arg any) (iotsec.User, error) {
	var u iotsec.User
	err := s.db.QueryRowContext(ctx, s.q("SELECT "+userColumns+" FROM users WHERE "+where), arg).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, tscan{&u.CreatedAt})
	return u, notFound(err, "user")
}

func (s *Store) GetUser(ctx context.Context, id string) (iotsec.User, error) {
	return s.getUser(ctx, "id = ?", id)
}

func (s *Store) GetUserByEmail(ctx context.Context, email string) (iotsec.User, error) {
	e, err := iotsec.NormalizeEmail(email)
	if err != nil {
		return iotsec.User{}, iotsec.NotFound("user")
	}
	return s.getUser(ctx, "email = ?", e)
}

func (s *Store) SetPassword(ctx context.Context, by string, userID, hash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q("UPDATE users SET password_hash = ? WHERE id = ?"), hash, userID)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return iotsec.NotFound("user")
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM sessions WHERE user_id = ?"), userID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return s.audit(ctx, tx, "", by, "user.password", userID, nil)
	})
}
