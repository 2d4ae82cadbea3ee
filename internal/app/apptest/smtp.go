package apptest

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

// SMTPPeer is an SMTP relay on loopback, enough of RFC 5321 for net/smtp's
// client (EHLO without extensions, MAIL, RCPT, DATA, QUIT); it passes on
// each message's envelope and data. It stops when the test ends.
func SMTPPeer(t testing.TB) (addr string, got <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				say := func(s string) { c.Write([]byte(s + "\r\n")) }
				say("220 peer ESMTP")
				var msg strings.Builder
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
						msg.WriteString(strings.TrimSpace(line) + "\n")
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
							msg.WriteString(l)
						}
						say("250 queued")
					case cmd == "QUIT":
						say("221 bye")
						ch <- msg.String()
						return
					default:
						say("502 no")
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), ch
}
