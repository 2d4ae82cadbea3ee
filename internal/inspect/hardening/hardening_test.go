package hardening

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

const source = `#include <stdio.h>
#include <string.h>
#include <stdlib.h>
int main(int argc, char **argv) {
	char buf[16];
	strcpy(buf, argc > 1 ? argv[1] : "x");
	printf("%s\n", buf);
	return system(buf);
}
`

// compile builds source with a C compiler, or skips.
func compile(t *testing.T, cc, pkg string, flags ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("%s not installed (Debian package %s)", cc, pkg)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "a.c")
	out := filepath.Join(dir, "a.out")
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, flags...), "-o", out, src)
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", cc, args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	unhardened = []string{"-O1", "-fno-stack-protector", "-no-pie", "-fno-pie", "-Wl,-z,norelro", "-Wl,-z,execstack", "-U_FORTIFY_SOURCE", "-D_FORTIFY_SOURCE=0", "-Wl,-rpath,/tmp/lib"}
	hardened   = []string{"-O2", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-fPIE", "-pie", "-Wl,-z,relro,-z,now", "-Wl,-z,noexecstack", "-s"}
)

func TestInspect(t *testing.T) {
	cases := []struct {
		name string
		cc   string
		pkg  string
		args []string
		want string
	}{
		{"x86-unhardened", "gcc", "gcc", unhardened, "arch=X86_64 type=exec canary=no nx=no pie=no relro=no fortify=no stripped=false"},
		{"x86-hardened", "gcc", "gcc", hardened, "arch=X86_64 type=pie canary=yes nx=yes pie=yes relro=yes fortify=yes stripped=true"},
		{"mipsel-unhardened", "mipsel-linux-gnu-gcc", "gcc-mipsel-linux-gnu", unhardened, "arch=MIPS type=exec canary=no nx=n/a pie=no relro=no fortify=no stripped=false"},
		{"mipsel-hardened", "mipsel-linux-gnu-gcc", "gcc-mipsel-linux-gnu", hardened, "arch=MIPS type=pie canary=yes nx=n/a pie=yes relro=yes fortify=yes stripped=true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Inspect(compile(t, c.cc, c.pkg, c.args...))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != c.want {
				t.Errorf("Inspect() = %s\nwant          %s", got, c.want)
			}
			if diff := cmp.Diff([]string{"strcpy", "system"}, p.Dangerous); diff != "" && !strings.Contains(c.name, "hardened") {
				t.Errorf("Dangerous (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnalyse(t *testing.T) {
	bad := compile(t, "gcc", "gcc", unhardened...)
	good := compile(t, "gcc", "gcc", hardened...)
	inspecttest.New().
		WithFiles(inspecttest.Files{
			"usr/bin/bad":    {Data: bad},
			"usr/bin/good":   {Data: good},
			"usr/bin/script": inspecttest.Text("#!/bin/sh\necho hi\n"),
			"lib/notelf.so":  inspecttest.Text("\x7fELF garbage garbage garbage garbage garbage garbage garbage"),
		}).
		ExpectFindings(
			"binary.dangerous-functions usr/bin/bad low 5.6-9,5.13-1",
			"binary.no-canary usr/bin/bad medium 5.6-9",
			"binary.no-fortify usr/bin/bad low 5.6-9",
			"binary.no-nx usr/bin/bad medium 5.6-9",
			"binary.no-pie usr/bin/bad low 5.6-9",
			"binary.no-relro usr/bin/bad low 5.6-9",
			"binary.not-stripped usr/bin/bad info 5.6-9",
			"binary.rpath usr/bin/bad medium 5.6-9",
			// the hardened binary still calls system(); that is reported (low: an import proves no flaw), nothing else
			"binary.dangerous-functions usr/bin/good low 5.6-9,5.13-1",
		).
		Test(t, New())
}
