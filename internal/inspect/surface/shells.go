package surface

import (
	"path"
	"regexp"
	"strings"
)

// Remote shells in scripts. A command line is read the way a shell reads
// it, roughly: split into commands at ;, && and ||, each command into
// pipeline stages at |, each stage into words. Then:
//
//   - netcat in any of its builds (nc, netcat, ncat, nc.traditional,
//     nc.openbsd, BusyBox nc) that executes a shell (-e, -c, --exec,
//     --sh-exec) is a bind shell when it listens (-l, --listen, or l in a
//     cluster such as -lvnp) and a reverse shell when it connects out;
//   - socat with an EXEC: or SYSTEM: address running a shell is a bind
//     shell when its other address listens (TCP-LISTEN:, TCP-L:, ...) and a
//     reverse shell when it connects (TCP:, OPENSSL:, UDP:, ...);
//   - a pipeline joining a shell to nc, ncat, netcat, socat or telnet (the
//     mkfifo and telnet|sh|telnet forms) is a bind or reverse shell by the
//     same test on the network tool;
//   - a shell whose input or output is redirected to /dev/tcp/ or
//     /dev/udp/ (bash -i >& /dev/tcp/host/port 0>&1) is a reverse shell.
//
// A network tool that runs no shell (a health check, a port forward, a
// file received with nc -l > file) is not reported.

// remoteShell is what shellKind finds.
type remoteShell int

const (
	noShell remoteShell = iota
	bindShell
	reverseShell
)

var (
	commandSep = regexp.MustCompile(`&&|\|\||;`)
	pipeSep    = regexp.MustCompile(`\|`)
	// a shell program, as a word or inside an -e/-c/EXEC: argument
	shellWord = regexp.MustCompile(`(?:^|[/\s'":=,])(?:ba|a|da|z|k|tc|c|mk|pdk)?sh(?:$|[\s'",;-])|busybox\s+(?:ba|a)?sh\b`)
	// a shell redirected to /dev/tcp or /dev/udp
	devTCP = regexp.MustCompile(`(?:^|[\s/])(?:ba|a|da|z|k)?sh\b[^|;&]*?(?:>&|<&|&>|>|<)\s*/dev/(?:tcp|udp)/`)
)

// words splits a command into words, dropping quotes.
func words(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		f = strings.Trim(f, `"'()`)
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// program finds the program a command stage runs and its arguments,
// looking through wrappers (exec, nohup, busybox, start-stop-daemon and
// the like) and variable assignments.
func program(ws []string) (string, []string) {
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		base := path.Base(w)
		switch {
		case strings.Contains(w, "=") && !strings.HasPrefix(w, "-"):
			continue // VAR=value
		case base == "exec" || base == "nohup" || base == "setsid" || base == "env" || base == "busybox" || base == "sudo" ||
			base == "while" || base == "do" || base == "then" || base == "else" || base == "{" || base == "!" || base == "time":
			continue
		case base == "start-stop-daemon":
			prog := ""
			for j := i + 1; j < len(ws); j++ {
				if (ws[j] == "-x" || ws[j] == "--exec" || ws[j] == "-a" || ws[j] == "--startas") && j+1 < len(ws) {
					prog = ws[j+1]
				}
				if ws[j] == "--" {
					return prog, ws[j+1:]
				}
			}
			return prog, nil
		}
		return base, ws[i+1:]
	}
	return "", nil
}

// netcat reports programs of the netcat family.
func netcat(prog string) bool {
	name, _, _ := strings.Cut(prog, ".") // nc.traditional, nc.openbsd, ncat
	switch name {
	case "nc", "netcat", "ncat":
		return true
	}
	return false
}

// netcatFlags reads whether nc listens and whether it runs a shell.
func netcatFlags(args []string) (listen, shell bool) {
	for i, a := range args {
		switch {
		case a == "--listen":
			listen = true
		case a == "--exec" || a == "--sh-exec" || a == "--lua-exec" || a == "-e" || a == "-c":
			if i+1 < len(args) && (shellWord.MatchString(" "+args[i+1]+" ") || a == "--sh-exec" || a == "-c") {
				shell = true
			}
		case strings.HasPrefix(a, "--exec=") || strings.HasPrefix(a, "--sh-exec="):
			shell = true
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--"):
			cluster := a[1:]
			// -e/bin/sh: the argument glued to the flag
			if j := strings.IndexAny(cluster, "ec"); j >= 0 && j+1 < len(cluster) && shellWord.MatchString(" "+cluster[j+1:]+" ") {
				shell = true
				cluster = cluster[:j]
			} else if j >= 0 && j == len(cluster)-1 && i+1 < len(args) && shellWord.MatchString(" "+args[i+1]+" ") {
				shell = true // -lve /bin/sh
			}
			if strings.Contains(cluster, "l") {
				listen = true
			}
		}
	}
	return listen, shell
}

// socatAddrs reads socat's two addresses.
func socatAddrs(args []string) (listen, connect, shell bool) {
	for _, a := range args {
		l := strings.ToLower(a)
		kind, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch {
		case strings.HasSuffix(kind, "-listen") || strings.HasSuffix(kind, "-l") || kind == "tcp-l" || kind == "unix-listen":
			listen = true
		case kind == "exec" || kind == "system":
			if shellWord.MatchString(" " + a[len(kind)+1:] + " ") {
				shell = true
			}
		case kind == "tcp" || kind == "tcp4" || kind == "tcp6" || kind == "tcp-connect" || kind == "openssl" || kind == "openssl-connect" ||
			kind == "udp" || kind == "udp4" || kind == "udp-connect" || kind == "ssl" || kind == "sctp" || kind == "sctp-connect":
			connect = true
		}
	}
	return listen, connect, shell
}

// shellKind classifies one line of a script.
func shellKind(line string) remoteShell {
	if devTCP.MatchString(" " + line) {
		return reverseShell
	}
	for _, cmd := range commandSep.Split(line, -1) {
		stages := pipeSep.Split(cmd, -1)
		shellStage, netStage := false, false
		listen := false
		for _, st := range stages {
			prog, args := program(words(st))
			switch {
			case netcat(prog):
				l, sh := netcatFlags(args)
				if sh {
					if l {
						return bindShell
					}
					return reverseShell
				}
				netStage, listen = true, listen || l
			case prog == "socat":
				l, c, sh := socatAddrs(args)
				if sh && l {
					return bindShell
				}
				if sh && c {
					return reverseShell
				}
				netStage, listen = true, listen || l
			case prog == "telnet":
				netStage = true
			case shellWord.MatchString(" " + prog + " "):
				shellStage = true
			}
		}
		if shellStage && netStage && len(stages) > 1 {
			if listen {
				return bindShell
			}
			return reverseShell
		}
	}
	return noShell
}
