package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// The README is tested so it cannot rot. Every iotsec command line in its
// ```sh blocks must name a real command with flags that exist
// (TestREADMECommands), and the blocks marked
//
//	<!-- readme-test: run -->              (or: run with-demo-server)
//
// are pasted in order into one shell in an empty directory, with iotsec
// and every `go run ./PKG` program built from this checkout
// (TestREADMERuns). A line must exit 0, or the code its comment names
// ("# ... exit 3 ..."). "with-demo-server" starts `iotsec serve --demo`
// on a free loopback port first and points the block's localhost:8080
// there.

// readmeBlock is one ```sh block of the README.
type readmeBlock struct {
	line  int      // line number of its first command line
	lines []string // its lines, as written
	run   string   // "", "run" or "run with-demo-server"
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	mark := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```sh"):
			cur = &readmeBlock{line: n + 1, run: mark}
			mark = ""
		case cur != nil && strings.HasPrefix(line, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, line)
		case strings.HasPrefix(line, "<!-- readme-test:"):
			mark = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "<!-- readme-test:"), "-->"))
		case strings.TrimSpace(line) != "":
			mark = ""
		}
	}
	if cur != nil {
		t.Fatalf("README.md: the block at line %d is not closed", cur.line)
	}
	return blocks
}

// logicalLines joins a block's continued lines (a trailing \ or |) and
// drops comments-only and empty lines; each result carries its first line
// number.
func logicalLines(b readmeBlock) (lines []string, numbers []int) {
	var acc string
	start := 0
	for i, l := range b.lines {
		if acc == "" {
			if t := strings.TrimSpace(l); t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			start = b.line + i
		}
		acc += l
		switch t := strings.TrimRight(stripComment(l), " \t"); {
		case strings.HasSuffix(t, `\`):
			acc = strings.TrimSuffix(strings.TrimRight(acc, " \t"), `\`) + " "
			continue
		case strings.HasSuffix(t, "|"):
			acc += "\n"
			continue
		}
		lines, numbers = append(lines, acc), append(numbers, start)
		acc = ""
	}
	if acc != "" {
		lines, numbers = append(lines, acc), append(numbers, start)
	}
	return lines, numbers
}

// stripComment cuts a shell comment (a # after a space, outside quotes).
func stripComment(l string) string {
	quote := rune(0)
	for i, r := range l {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return l[:i]
		}
	}
	return l
}

// iotsecCalls returns the argument lists of every iotsec command in a
// logical line: after `iotsec` or `go run ./cmd/iotsec`, up to a shell
// operator. Optional parts written [--flag value] count as written.
func iotsecCalls(line string) [][]string {
	words := strings.Fields(stripComment(line))
	var calls [][]string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if k := strings.LastIndex(w, "$("); k >= 0 {
			w = w[k+2:] // TOKEN=$(iotsec ...
		}
		start := -1
		switch {
		case w == "iotsec":
			start = i + 1
		case w == "go" && i+2 < len(words) && words[i+1] == "run" && words[i+2] == "./cmd/iotsec":
			start = i + 3
		}
		if start < 0 {
			continue
		}
		var args []string
		j := start
		for ; j < len(words); j++ {
			a := words[j]
			if isShellOperator(a) {
				break
			}
			end := strings.HasSuffix(a, ")") && !strings.Contains(a, "(")
			a = strings.TrimSuffix(a, ")")
			a = strings.Trim(a, "[]")
			if a != "" {
				args = append(args, a)
			}
			if end {
				break
			}
		}
		calls = append(calls, args)
		i = j
	}
	return calls
}

func isShellOperator(w string) bool {
	switch w {
	case "|", "||", "&&", ";", "&", "<", "<<<":
		return true
	}
	return strings.HasPrefix(w, ">") || strings.HasPrefix(w, "2>")
}

// checkCall resolves args against the command tree and checks every flag.
func checkCall(root *cobra.Command, args []string) error {
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if cmd == root {
		return fmt.Errorf("no command")
	}
	if cmd.HasSubCommands() && !cmd.Runnable() {
		return fmt.Errorf("%q is a group: no subcommand %q", cmd.CommandPath(), strings.Join(rest, " "))
	}
	for _, a := range rest {
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var found bool
		if strings.HasPrefix(a, "--") {
			found = cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil || name == "help"
		} else {
			found = cmd.Flags().ShorthandLookup(name[:1]) != nil || cmd.InheritedFlags().ShorthandLookup(name[:1]) != nil || name == "h"
		}
		if !found {
			return fmt.Errorf("%s has no flag %s", cmd.CommandPath(), a)
		}
	}
	return nil
}

func TestREADMECommands(t *testing.T) {
	root := newRoot(&env{getenv: func(string) string { return "" }})
	calls := 0
	for _, b := range readmeBlocks(t) {
		lines, numbers := logicalLines(b)
		for i, l := range lines {
			for _, args := range iotsecCalls(l) {
				calls++
				if err := checkCall(root, args); err != nil {
					t.Errorf("README.md:%d: iotsec %s: %v", numbers[i], strings.Join(args, " "), err)
				}
			}
		}
	}
	if calls < 30 {
		t.Errorf("found only %d iotsec command lines in the README; is the parser broken?", calls)
	}
}

// TestREADMECommandsParser keeps the checker honest: it must catch a
// misspelt command and an unknown flag.
func TestREADMECommandsParser(t *testing.T) {
	root := newRoot(&env{getenv: func(string) string { return "" }})
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{"iotsec scheme applies --class camera --market EU,UK # comment --bogus", true},
		{"TOKEN=$(go run ./cmd/iotsec admin token create --org \"Demo\" --name me --role maker)", true},
		{"iotsec scan router.bin -o sarif --fail-on high > iotsec.sarif   # exit 3", true},
		{"iotsec match x.json [-o json] [--fail-on high|kev]", true},
		{"iotsec scheme aplies --class camera", false},
		{"iotsec scheme applies --klass camera", false},
		{"iotsec registry opertor add --org X", false},
		{"iotsec scan router.bin -x", false},
	} {
		calls := iotsecCalls(tc.line)
		if len(calls) != 1 {
			t.Errorf("%q: %d calls found, want 1", tc.line, len(calls))
			continue
		}
		if err := checkCall(root, calls[0]); (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok %v", tc.line, err, tc.ok)
		}
	}
}

var (
	wantExit = regexp.MustCompile(`#.*\bexit (\d)\b`)
	optional = regexp.MustCompile(` \[[^\]]*\]`)
)

func TestREADMERuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the README walk-through builds binaries and runs a server")
	}
	for _, tool := range []string{"bash", "curl", "openssl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README walk-through needs %s (not found)", tool)
		}
	}
	var run []readmeBlock
	for _, b := range readmeBlocks(t) {
		if strings.HasPrefix(b.run, "run") {
			run = append(run, b)
		}
	}
	if len(run) < 3 {
		t.Fatalf("only %d README blocks are marked <!-- readme-test: run -->", len(run))
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin, work := t.TempDir(), t.TempDir()
	goRun := regexp.MustCompile(`go run (\./[\w./-]+)`)
	built := map[string]bool{}
	build := func(pkg string) string {
		name := filepath.Base(pkg)
		if !built[pkg] {
			cmd := exec.Command("go", "build", "-o", filepath.Join(bin, name), pkg)
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build %s: %v\n%s", pkg, err, out)
			}
			built[pkg] = true
		}
		return name
	}
	build("./cmd/iotsec")

	var script strings.Builder
	script.WriteString(`set -u
check() { if [ "$1" != "$2" ]; then echo "README.md:$3: exit $1, want $2" >&2; exit 1; fi; }
curl() { command curl --silent --show-error --fail-with-body --max-time 20 "$@"; }
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
`)
	for bi, b := range run {
		addr := ""
		if strings.Contains(b.run, "with-demo-server") {
			addr = freeAddr(t)
			// Each such block in a directory of its own, with the demo's
			// data where a user's would be: ./iotsec-data.
			fmt.Fprintf(&script, "mkdir server-%d && cd server-%d\n", bi, bi)
			fmt.Fprintf(&script, "iotsec serve --demo --addr %s --base-url http://%s >server.log 2>&1 &\n", addr, addr)
			fmt.Fprintf(&script, "for i in $(seq 150); do command curl -sf http://%s/readyz >/dev/null && break; sleep 0.2; done\n", addr)
			fmt.Fprintf(&script, "command curl -sf http://%s/readyz >/dev/null || { echo 'README.md:%d: the demo server did not start'; cat server.log; exit 1; } >&2\n", addr, b.line)
		}
		lines, numbers := logicalLines(b)
		for i, l := range lines {
			l = goRun.ReplaceAllStringFunc(l, func(m string) string { return build(strings.TrimPrefix(m, "go run ")) })
			l = optional.ReplaceAllString(l, "") // [--voluntary]: shown as optional, run without
			if addr != "" {
				l = strings.ReplaceAll(l, "localhost:8080", addr)
			}
			want := "0"
			if m := wantExit.FindStringSubmatch(l); m != nil {
				want = m[1]
			}
			fmt.Fprintf(&script, "echo '+ README.md:%d'\n%s\ncheck $? %s %d\n", numbers[i], l, want, numbers[i])
		}
		if addr != "" {
			script.WriteString("cd ..\n")
		}
	}
	os.WriteFile(filepath.Join(work, "readme.sh"), []byte(script.String()), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "readme.sh")
	cmd.Dir = work
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + work, "LANG=C.UTF-8"}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's walk-through failed: %v\n%s\n(script: %s)", err, tail(string(out), 60), filepath.Join(work, "readme.sh"))
	}
	t.Logf("ran %d README blocks:\n%s", len(run), tail(string(out), 20))
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
