// Package hardening checks every ELF executable and shared library of an
// unpacked image for exploit mitigations (stack canary, NX stack, PIE,
// RELRO, FORTIFY_SOURCE), RPATH/RUNPATH, symbols left in, and imports of
// dangerous C functions. It knows that MIPS toolchains mark every stack
// executable (for the kernel's FPU emulation trampolines), so the NX check
// is not applied there.
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package hardening

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"slices"
	"strings"

	"github.com/iotsec/iotsec/internal/inspect/check"
)

// Category is the category of this family's findings.
const Category = "binary-hardening"

// Rules of this family.
const (
	RuleNoCanary    = "binary.no-canary"
	RuleNoNX        = "binary.no-nx"
	RuleNoPIE       = "binary.no-pie"
	RuleNoRELRO     = "binary.no-relro"
	RuleNoFortify   = "binary.no-fortify"
	RuleRPath       = "binary.rpath"
	RuleNotStripped = "binary.not-stripped"
	RuleDangerous   = "binary.dangerous-functions"
)

// Analyser is the binary-hardening family.
type Analyser struct{}

// New returns the analyser.
func New() *Analyser { return &Analyser{} }

// Name is the family name.
func (a *Analyser) Name() string { return Category }

// Props are the hardening properties of one ELF file. Tri-state fields
// use "yes", "no", "partial", "n/a" or "unknown".
type Props struct {
	Arch      string
	Type      string // "exec", "pie", "lib"
	Static    bool
	Canary    string
	NX        string
	PIE       string
	RELRO     string
	Fortify   string
	RPath     []string
	Stripped  bool
	Dangerous []string
}

func (p Props) String() string {
	s := fmt.Sprintf("arch=%s type=%s canary=%s nx=%s pie=%s relro=%s fortify=%s stripped=%v", p.Arch, p.Type, p.Canary, p.NX, p.PIE, p.RELRO, p.Fortify, p.Stripped)
	if p.Static {
		s += " static"
	}
	return s
}

// dangerous C functions and how bad each is.
func danger(name string) check.Severity {
	switch name {
	case "gets":
		return check.High
	case "system", "popen", "execl", "execlp", "execv", "execvp":
		// Importing them proves no flaw: system and popen run a command
		// line through the shell, which is an injection risk only when
		// input reaches it, and every daemon that starts programs (BusyBox,
		// an SSH server, a web server's CGI) imports them. Low: they
		// support 5.13-1 for an assessor to look at, and do not fail it.
		return check.Low
	case "strcpy", "strcat", "sprintf", "vsprintf", "stpcpy", "wcscpy", "wcscat":
		return check.Low
	}
	return ""
}

// fortifiable functions have a __*_chk variant under _FORTIFY_SOURCE.
func fortifiable(name string) bool {
	switch name {
	case "memcpy", "memmove", "memset", "strcpy", "strncpy", "strcat", "strncat", "sprintf", "snprintf", "vsprintf",
		"vsnprintf", "gets", "fgets", "read", "recv", "recvfrom", "printf", "fprintf", "stpcpy", "realpath", "getcwd":
		return true
	}
	return false
}

// alwaysFortified functions are replaced by their __*_chk variant under
// _FORTIFY_SOURCE whenever the destination size is known, which it almost
// always is; a binary importing them plainly was built without FORTIFY.
// (memcpy, snprintf and the like are left out: compilers keep the plain
// call when the sizes are constant, so their presence proves nothing.)
func alwaysFortified(name string) bool {
	switch name {
	case "strcpy", "strcat", "sprintf", "vsprintf", "gets", "stpcpy", "strncpy", "strncat":
		return true
	}
	return false
}

// Inspect reads the hardening properties of an ELF image.
func Inspect(b []byte) (p Props, err error) {
	defer func() {
		if r := recover(); r != nil { // debug/elf on hostile input
			err = fmt.Errorf("malformed ELF: %v", r)
		}
	}()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return p, err
	}
	defer f.Close()
	p.Arch = strings.TrimPrefix(f.Machine.String(), "EM_")
	var interp, gnuStack, relro bool
	stackX := false
	for _, prog := range f.Progs {
		switch prog.Type {
		case elf.PT_INTERP:
			interp = true
		case elf.PT_GNU_STACK:
			gnuStack = true
			stackX = prog.Flags&elf.PF_X != 0
		case elf.PT_GNU_RELRO:
			relro = true
		}
	}
	dyn := false
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_DYNAMIC {
			dyn = true
		}
	}
	p.Static = !dyn
	var flags, flags1 uint64
	bindNow := false
	if dyn {
		if v, err := f.DynValue(elf.DT_FLAGS); err == nil && len(v) > 0 {
			flags = v[0]
		}
		if v, err := f.DynValue(elf.DT_FLAGS_1); err == nil && len(v) > 0 {
			flags1 = v[0]
		}
		if v, err := f.DynValue(elf.DT_BIND_NOW); err == nil && len(v) > 0 {
			bindNow = true
		}
		for _, tag := range []elf.DynTag{elf.DT_RPATH, elf.DT_RUNPATH} {
			if v, err := f.DynString(tag); err == nil {
				p.RPath = append(p.RPath, v...)
			}
		}
	}
	bindNow = bindNow || flags&uint64(elf.DF_BIND_NOW) != 0 || flags1&uint64(elf.DF_1_NOW) != 0

	switch {
	case f.Type == elf.ET_EXEC:
		p.Type, p.PIE = "exec", "no"
	case f.Type == elf.ET_DYN && (interp || flags1&uint64(elf.DF_1_PIE) != 0):
		p.Type, p.PIE = "pie", "yes"
	case f.Type == elf.ET_DYN:
		p.Type, p.PIE = "lib", "n/a"
	default:
		return p, fmt.Errorf("ELF type %s is not an executable or library", f.Type)
	}
	switch {
	case f.Machine == elf.EM_MIPS:
		p.NX = "n/a" // MIPS marks stacks executable for FPU emulation
	case !gnuStack || stackX:
		p.NX = "no"
	default:
		p.NX = "yes"
	}
	switch {
	case relro && bindNow:
		p.RELRO = "yes"
	case relro:
		p.RELRO = "partial"
	default:
		p.RELRO = "no"
	}

	syms := map[string]bool{}
	if imp, err := f.ImportedSymbols(); err == nil {
		for _, s := range imp {
			syms[s.Name] = true
		}
	}
	symtab, err := f.Symbols()
	p.Stripped = err != nil || len(symtab) == 0
	for _, s := range symtab {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC || elf.ST_TYPE(s.Info) == elf.STT_OBJECT || s.Section == elf.SHN_UNDEF {
			syms[s.Name] = true
		}
	}
	if dynsyms, err := f.DynamicSymbols(); err == nil {
		for _, s := range dynsyms {
			if s.Section == elf.SHN_UNDEF {
				syms[s.Name] = true
			}
		}
	}
	known := len(syms) > 0
	switch {
	case syms["__stack_chk_fail"] || syms["__stack_chk_guard"] || syms["__stack_chk_fail_local"]:
		p.Canary = "yes"
	case known:
		p.Canary = "no"
	default:
		p.Canary = "unknown"
	}
	chk, fort := 0, 0
	for s := range syms {
		base := strings.TrimSuffix(strings.TrimPrefix(s, "__"), "_chk")
		if strings.HasPrefix(s, "__") && strings.HasSuffix(s, "_chk") && s != "__stack_chk" && fortifiable(base) {
			chk++
		} else if alwaysFortified(s) {
			fort++
		}
		if danger(s) != "" {
			p.Dangerous = append(p.Dangerous, s)
		}
	}
	slices.Sort(p.Dangerous)
	switch {
	case chk > 0:
		p.Fortify = "yes"
	case fort > 0:
		p.Fortify = "no"
	case known:
		p.Fortify = "n/a"
	default:
		p.Fortify = "unknown"
	}
	return p, nil
}

// Analyse checks every ELF executable and library.
func (a *Analyser) Analyse(ctx context.Context, t *check.Target) (check.Report, error) {
	var r check.Report
	for _, f := range t.Regular(func(f check.File) bool { return f.Size > 52 }) {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		if strings.HasSuffix(f.Path, ".ko") {
			continue
		}
		b, err := t.Read(f.Path)
		if err != nil || !bytes.HasPrefix(b, []byte("\x7fELF")) {
			continue
		}
		p, err := Inspect(b)
		if err != nil {
			continue
		}
		// Hash only files with findings: most libraries of a hardened
		// distribution have none, and hashing is a pass over every byte.
		fs := findings(f.Path, "", p)
		if len(fs) > 0 {
			sum := check.Hash(b)
			for i := range fs {
				fs[i].Evidence.SHA256 = sum
			}
		}
		r.Findings = append(r.Findings, fs...)
	}
	return r, nil
}

func findings(path, sum string, p Props) []check.Finding {
	var out []check.Finding
	ev := check.Evidence{Text: p.String(), SHA256: sum}
	add := func(rule string, sev check.Severity, title string, prov ...string) {
		out = append(out, check.Finding{Rule: rule, Category: Category, Severity: sev, Title: title, Path: path, Evidence: ev, Provisions: prov})
	}
	kind := "Executable"
	if p.Type == "lib" {
		kind = "Library"
	}
	if p.Canary == "no" {
		add(RuleNoCanary, check.Medium, kind+" built without stack canaries", "5.6-9")
	}
	if p.NX == "no" {
		add(RuleNoNX, check.Medium, kind+" has an executable stack", "5.6-9")
	}
	if p.PIE == "no" && !p.Static {
		add(RuleNoPIE, check.Low, "Executable is not position independent (no ASLR)", "5.6-9")
	}
	if p.RELRO == "no" && !p.Static {
		add(RuleNoRELRO, check.Low, kind+" built without RELRO", "5.6-9")
	}
	if p.Fortify == "no" {
		add(RuleNoFortify, check.Low, kind+" built without FORTIFY_SOURCE", "5.6-9")
	}
	if len(p.RPath) > 0 {
		sev := check.Low
		for _, rp := range p.RPath {
			for _, d := range strings.Split(rp, ":") {
				if d == "" || d == "." || !strings.HasPrefix(d, "/") && !strings.HasPrefix(d, "$ORIGIN") || strings.HasPrefix(d, "/tmp") || strings.HasPrefix(d, "/var/tmp") {
					sev = check.Medium
				}
			}
		}
		o := check.Finding{Rule: RuleRPath, Category: Category, Severity: sev, Title: kind + " sets RPATH/RUNPATH " + strings.Join(p.RPath, ":"), Path: path,
			Evidence: check.Evidence{Text: strings.Join(p.RPath, ":"), SHA256: sum}, Provisions: []string{"5.6-9"}}
		out = append(out, o)
	}
	if !p.Stripped {
		add(RuleNotStripped, check.Info, kind+" is not stripped of symbols", "5.6-9")
	}
	if len(p.Dangerous) > 0 {
		sev := check.Low
		for _, d := range p.Dangerous {
			if danger(d).Rank() > sev.Rank() {
				sev = danger(d)
			}
		}
		out = append(out, check.Finding{Rule: RuleDangerous, Category: Category, Severity: sev,
			Title: kind + " imports dangerous functions: " + strings.Join(p.Dangerous, ", "), Path: path,
			Evidence: check.Evidence{Text: strings.Join(p.Dangerous, " "), SHA256: sum}, Provisions: []string{"5.6-9", "5.13-1"}})
	}
	return out
}
