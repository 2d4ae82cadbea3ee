package firmware

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
)

// readCpio extracts a cpio archive in the "newc" (070701), "crc" (070702)
// or portable "odc" (070707) format. Hand-written: the Go cpio libraries
// read newc only and cannot say where in the archive an error is.
func readCpio(u *unpacker, data []byte, s *sink) (int64, string, error) {
	p := 0
	kind := string(data[:min(6, len(data))])
	type link struct {
		paths []string
		mode  fs.FileMode
	}
	links := map[[2]uint64]*link{} // newc hard links: data comes with the last
	entries := 0
	for {
		if err := u.check(); err != nil {
			return int64(p), kind, err
		}
		if p+6 > len(data) {
			if entries == 0 {
				return 0, "", errNotFormat
			}
			return int64(len(data)), kind, fmt.Errorf("entry at %d: truncated before trailer", p)
		}
		var (
			mode, size, nameSize, ino, dev uint64
			hdr                            int
			align                          int
			err                            error
		)
		switch string(data[p : p+6]) {
		case "070701", "070702":
			hdr, align = 110, 4
			if p+hdr > len(data) {
				return int64(len(data)), kind, fmt.Errorf("entry at %d: header truncated", p)
			}
			h := data[p : p+hdr]
			field := func(i int) uint64 {
				if err != nil {
					return 0
				}
				var v uint64
				v, err = strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
				return v
			}
			ino, mode, size, nameSize = field(0), field(1), field(6), field(11)
			dev = field(7)<<32 | field(8)
		case "070707":
			hdr, align = 76, 1
			if p+hdr > len(data) {
				return int64(len(data)), kind, fmt.Errorf("entry at %d: header truncated", p)
			}
			h := data[p : p+hdr]
			oct := func(a, b int) uint64 {
				if err != nil {
					return 0
				}
				var v uint64
				v, err = strconv.ParseUint(string(h[a:b]), 8, 64)
				return v
			}
			dev, ino, mode = oct(6, 12), oct(12, 18), oct(18, 24)
			nameSize, size = oct(59, 65), oct(65, 76)
		default:
			if entries == 0 {
				return 0, "", errNotFormat
			}
			return int64(p), kind, fmt.Errorf("entry at %d: bad magic", p)
		}
		if err != nil {
			if entries == 0 {
				return 0, "", errNotFormat
			}
			return int64(p), kind, fmt.Errorf("entry at %d: bad header field", p)
		}
		start := p
		np := p + hdr
		if nameSize == 0 || nameSize > 4096 || uint64(np)+nameSize > uint64(len(data)) {
			return int64(len(data)), kind, fmt.Errorf("entry at %d: name runs past end of archive", start)
		}
		name := string(data[np : np+int(nameSize)-1])
		dp := alignUp(np+int(nameSize), align)
		if size > uint64(len(data)) || uint64(dp)+size > uint64(len(data)) {
			return int64(len(data)), kind, fmt.Errorf("entry %q at %d: data of %d bytes runs past end of archive", name, start, size)
		}
		body := data[dp : dp+int(size)]
		p = alignUp(dp+int(size), align)
		entries++
		if name == "TRAILER!!!" {
			return int64(min(p, len(data))), kind, nil
		}
		perm := unixMode(uint32(mode))
		switch mode & 0o170000 {
		case 0o040000:
			err = s.dir(name, perm)
		case 0o100000:
			if kind != "070707" && size == 0 && mode&0o170000 == 0o100000 {
				// maybe a hard link whose data comes later
				key := [2]uint64{dev, ino}
				if l, ok := links[key]; ok {
					l.paths = append(l.paths, name)
				} else {
					links[key] = &link{paths: []string{name}, mode: perm}
				}
			} else if l, ok := links[[2]uint64{dev, ino}]; ok && kind != "070707" {
				for _, lp := range l.paths {
					if err = s.file(lp, l.mode, body); err != nil {
						break
					}
				}
				delete(links, [2]uint64{dev, ino})
			}
			if err == nil {
				err = s.file(name, perm, body)
			}
		case 0o120000:
			err = s.symlink(name, string(body))
		case 0o020000:
			err = s.special(name, fs.ModeDevice|fs.ModeCharDevice|perm)
		case 0o060000:
			err = s.special(name, fs.ModeDevice|perm)
		case 0o010000:
			err = s.special(name, fs.ModeNamedPipe|perm)
		case 0o140000:
			err = s.special(name, fs.ModeSocket|perm)
		}
		if err != nil && !errors.Is(err, errEmptyName) {
			return int64(p), kind, err
		}
	}
}

func alignUp(n, a int) int {
	if a <= 1 {
		return n
	}
	return (n + a - 1) &^ (a - 1)
}
