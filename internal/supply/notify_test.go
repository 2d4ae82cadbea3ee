package supply_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/supply"
)

// smtpPeer is a minimal SMTP server on loopback: enough of RFC 5321 for
// net/smtp's client (EHLO without extensions, MAIL, RCPT, DATA, QUIT).
func smtpPeer(t *testing.T) (addr string, got <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		say := func(s string) { c.Write([]byte(s + "\r\n")) }
		say("220 peer ESMTP")
		var env strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 peer")
			case strings.HasPrefix(cmd, "MAIL FROM"), strings.HasPrefix(cmd, "RCPT TO"):
				env.WriteString(strings.TrimSpace(line) + "\n")
				say("250 ok")
			case cmd == "DATA":
				say("354 go on")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
					env.WriteString(l)
				}
				say("250 queued")
			case cmd == "QUIT":
				say("221 bye")
				ch <- env.String()
				return
			default:
				say("502 no")
			}
		}
	}()
	return ln.Addr().String(), ch
}

func TestSMTP(t *testing.T) {
	addr, got := smtpPeer(t)
	m := supply.SMTP{Addr: addr, From: "iotsec@maker.example"}
	if err := m.Send(context.Background(), "psirt@maker.example", "Router R100 1.2 is affected by CVE-2023-28450", "line one\nline two"); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	for _, want := range []string{"MAIL FROM:<iotsec@maker.example>", "RCPT TO:<psirt@maker.example>",
		"Subject: Router R100 1.2 is affected by CVE-2023-28450\r\n", "To: psirt@maker.example\r\n", "\r\nline one\r\nline two\r\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// Header injection is refused before anything is sent.
	if err := m.Send(context.Background(), "a@b.example\r\nBcc: x@y.example", "s", "b"); err == nil {
		t.Error("a recipient with a line break was accepted")
	}
}
