package supply

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
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

// DeliveryPolicy bounds how a batch of notifications is sent over a
// channel. Attempts are our own, not River's: the job snoozes for each wait
// (iotsec.JobError), so the count and the waits are the same on every
// database and tests can shorten them here.
type DeliveryPolicy struct {
	// Backoff are the waits before the second, third, ... attempt; there
	// are len(Backoff)+1 attempts in all.
	Backoff []time.Duration
	// WebhookTimeout and MailTimeout bound one attempt; 0 means 10 s and
	// 30 s.
	WebhookTimeout, MailTimeout time.Duration
}

// DefaultDeliveryPolicy makes 5 attempts over about an hour: a receiver
// that is down for a deployment or a restart still gets the batch, one that
// is gone is given up on the same hour and shown as failed.
func DefaultDeliveryPolicy() DeliveryPolicy {
	return DeliveryPolicy{Backoff: []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 40 * time.Minute}}
}

// deliveries are the channels a batch goes over: the webhook, if set, and
// e-mail, if set and this server has a mail relay. A batch is stored even
// when the settings cannot be read; it is then shown in the web UI only.
func (s *Service) deliveries(ctx context.Context, a iotsec.Actor) []iotsec.Delivery {
	set, err := s.Store.NotifySettings(ctx, a)
	if err != nil {
		s.Log.Warn("notification settings", "org", a.OrgID, "err", err)
		return nil
	}
	var ds []iotsec.Delivery
	if set.WebhookURL != "" {
		ds = append(ds, iotsec.Delivery{Channel: iotsec.ChannelWebhook, Target: redact(set.WebhookURL)})
	}
	if set.Email != "" && s.Mail != nil {
		ds = append(ds, iotsec.Delivery{Channel: iotsec.ChannelEmail, Target: set.Email})
	}
	return ds
}

// redact hides a password in a URL, which deliveries show to every member.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// Deliveries lists the organisation's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, a iotsec.Actor, n int) ([]iotsec.Delivery, error) {
	return s.Store.ListDeliveries(ctx, a, n)
}

// DeliveryResult is what a delivery job records when it is done.
type DeliveryResult struct {
	Delivery string               `json:"delivery_id"`
	Channel  string               `json:"channel"`
	State    iotsec.DeliveryState `json:"state"`
	Attempts int                  `json:"attempts"`
}

// Deliver makes one attempt at the delivery job jobID was queued for,
// with the settings as they are now, and records how it went. It returns
// an *iotsec.JobError when the attempt failed: with the wait before the
// next attempt, or Final after the last one.
func (s *Service) Deliver(ctx context.Context, a iotsec.Actor, jobID string) (json.RawMessage, error) {
	d, ns, err := s.Store.JobDelivery(ctx, a, jobID)
	if err != nil {
		return nil, err
	}
	done := func() (json.RawMessage, error) {
		return json.Marshal(DeliveryResult{Delivery: d.ID, Channel: d.Channel, State: d.State, Attempts: d.Attempts})
	}
	if d.State == iotsec.DeliverySent || d.State == iotsec.DeliveryFailed {
		return done() // an attempt that ran again after recording its outcome
	}
	set, err := s.Store.NotifySettings(ctx, a)
	if err != nil {
		return nil, err
	}
	if set.WebhookSecret, err = s.openSecret(a.OrgID, set.WebhookSecret); err != nil {
		return nil, err
	}
	var sendErr error
	final := false
	switch {
	case len(ns) == 0:
		sendErr, final = errors.New("its notifications no longer exist"), true
	case d.Channel == iotsec.ChannelWebhook && set.WebhookURL == "":
		sendErr, final = errors.New("no webhook URL is set any more"), true
	case d.Channel == iotsec.ChannelWebhook:
		d.Target = redact(set.WebhookURL)
		sendErr = s.postWebhook(ctx, a.OrgID, set, ns)
	case d.Channel == iotsec.ChannelEmail && set.Email == "":
		sendErr, final = errors.New("no e-mail address is set any more"), true
	case d.Channel == iotsec.ChannelEmail && s.Mail == nil:
		sendErr, final = errors.New("this server has no mail relay configured"), true
	case d.Channel == iotsec.ChannelEmail:
		d.Target = set.Email
		sendErr = s.sendMail(ctx, set.Email, ns)
	default:
		sendErr, final = fmt.Errorf("unknown channel %q", d.Channel), true
	}
	if sendErr != nil && ctx.Err() != nil {
		// Interrupted (shutdown): not an attempt; the queue runs it again.
		return nil, ctx.Err()
	}
	now := s.Now()
	d.Attempts++
	d.NextAttemptAt = time.Time{}
	var wait time.Duration
	switch {
	case sendErr == nil:
		d.State, d.LastError, d.SentAt = iotsec.DeliverySent, "", now
	case final || d.Attempts > len(s.Delivery.Backoff):
		d.State, d.LastError = iotsec.DeliveryFailed, sendErr.Error()
		final = true
	default:
		wait = s.Delivery.Backoff[d.Attempts-1]
		d.State, d.LastError, d.NextAttemptAt = iotsec.DeliveryRetrying, sendErr.Error(), now.Add(wait)
	}
	// Record the outcome even when ctx ended just after the attempt.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.Store.UpdateDelivery(rctx, a, &d); err != nil {
		return nil, fmt.Errorf("record delivery %s: %w", d.ID, err)
	}
	if sendErr == nil {
		return done()
	}
	s.Log.Warn(d.Channel+" delivery failed", "org", a.OrgID, "delivery", d.ID, "target", d.Target, "attempt", d.Attempts, "final", final, "err", sendErr)
	if final {
		return nil, &iotsec.JobError{Err: fmt.Errorf("%s delivery failed after %d attempt(s): %w", d.Channel, d.Attempts, sendErr), Final: true}
	}
	return nil, &iotsec.JobError{Err: fmt.Errorf("%s delivery attempt %d failed: %w", d.Channel, d.Attempts, sendErr), Retry: wait}
}

func (s *Service) sendMail(ctx context.Context, to string, ns []iotsec.Notification) error {
	var b strings.Builder
	for _, n := range ns {
		fmt.Fprintf(&b, "%s\n%s\n\n", n.Title, n.Body)
	}
	subject := ns[0].Title
	if len(ns) > 1 {
		subject = fmt.Sprintf("iotsec: %d new supply-chain notifications", len(ns))
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(s.Delivery.MailTimeout, 30*time.Second))
	defer cancel()
	return s.Mail.Send(ctx, to, subject, b.String())
}

func (s *Service) postWebhook(ctx context.Context, org string, set iotsec.NotifySettings, ns []iotsec.Notification) error {
	body, err := json.Marshal(WebhookBody{Org: org, Notifications: ns})
	if err != nil {
		return err
	}
	timeout := cmp.Or(s.Delivery.WebhookTimeout, 10*time.Second)
	ctx, cancel := context.WithTimeout(ctx, timeout)
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
		c = &http.Client{Timeout: timeout}
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

// DeliveryHandler runs deliveries as queued jobs, one attempt per run.
type DeliveryHandler struct{ Service *Service }

func (h *DeliveryHandler) Kind() string { return iotsec.JobDeliver }

func (h *DeliveryHandler) Run(ctx context.Context, job iotsec.Job, _ []byte) (json.RawMessage, error) {
	return h.Service.Deliver(ctx, job.Actor, job.ID)
}
