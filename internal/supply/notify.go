package supply

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Mailer sends one plain-text message.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// SMTP sends mail through a relay with net/smtp (STARTTLS when the relay
// offers it; PLAIN authentication when a user is set).
type SMTP struct {
	Addr     string // host:port
	From     string
	User     string
	Password string
}

func (m SMTP) Send(ctx context.Context, to, subject, body string) error {
	if strings.ContainsAny(to+subject, "\r\n") {
		return fmt.Errorf("mail header with a line break")
	}
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return err
	}
	var auth smtp.Auth
	if m.User != "" {
		auth = smtp.PlainAuth("", m.User, m.Password, host)
	}
	msg := "From: " + m.From + "\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(m.Addr, auth, m.From, []string{to}, []byte(msg)) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SignatureHeader carries the webhook body's HMAC-SHA256 under the
// organisation's webhook secret, hex-encoded as "sha256=<hex>".
const SignatureHeader = "X-Iotsec-Signature"

// WebhookBody is what a webhook receives.
type WebhookBody struct {
	Org           string                `json:"org_id"`
	Notifications []iotsec.Notification `json:"notifications"`
}

// Sign returns the signature header value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// deliver sends notifications to the organisation's webhook and e-mail
// address, if set. Delivery is best effort: the notifications are stored
// already, and failures are logged.
func (s *Service) deliver(ctx context.Context, a iotsec.Actor, ns []iotsec.Notification) {
	set, err := s.Store.NotifySettings(ctx, a)
	if err != nil {
		s.Log.Warn("notification settings", "org", a.OrgID, "err", err)
		return
	}
	if set.WebhookURL != "" {
		if err := s.postWebhook(ctx, a.OrgID, set, ns); err != nil {
			s.Log.Warn("webhook delivery failed", "org", a.OrgID, "url", set.WebhookURL, "err", err)
		}
	}
	if set.Email != "" && s.Mail != nil {
		var b strings.Builder
		for _, n := range ns {
			fmt.Fprintf(&b, "%s\n%s\n\n", n.Title, n.Body)
		}
		subject := ns[0].Title
		if len(ns) > 1 {
			subject = fmt.Sprintf("iotsec: %d new supply-chain notifications", len(ns))
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := s.Mail.Send(ctx, set.Email, subject, b.String()); err != nil {
			s.Log.Warn("e-mail delivery failed", "org", a.OrgID, "err", err)
		}
	}
}

func (s *Service) postWebhook(ctx context.Context, org string, set iotsec.NotifySettings, ns []iotsec.Notification) error {
	body, err := json.Marshal(WebhookBody{Org: org, Notifications: ns})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, set.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.Tool)
	if set.WebhookSecret != "" {
		req.Header.Set(SignatureHeader, Sign(set.WebhookSecret, body))
	}
	c := s.HTTP
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
