package firmware

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// readTar extracts a tar archive with archive/tar.
func readTar(u *unpacker, data []byte, s *sink) (int64, string, error) {
	br := bytes.NewReader(data)
	tr := tar.NewReader(br)
	entries := 0
	pos := func() int64 { return int64(len(data) - br.Len()) }
	for {
		if err := u.check(); err != nil {
			return pos(), "", err
		}
		at := pos()
		h, err := tr.Next()
		if err == io.EOF {
			return pos(), "", nil
		}
		if err != nil {
			if entries == 0 {
				return 0, "", errNotFormat
			}
			return at, "", fmt.Errorf("entry at %d: %w", at, err)
		}
		entries++
		mode := unixMode(uint32(h.Mode))
		switch h.Typeflag {
		case tar.TypeDir:
			err = s.dir(h.Name, mode)
		case tar.TypeReg:
			var body []byte
			body, err = io.ReadAll(io.LimitReader(tr, h.Size))
			if err != nil {
				return at, "", fmt.Errorf("entry %q at %d: data truncated", h.Name, at)
			}
			err = s.file(h.Name, mode, body)
		case tar.TypeSymlink:
			err = s.symlink(h.Name, h.Linkname)
		case tar.TypeLink:
			err = s.link(h.Name, h.Linkname)
		case tar.TypeChar:
			err = s.special(h.Name, fs.ModeDevice|fs.ModeCharDevice|mode)
		case tar.TypeBlock:
			err = s.special(h.Name, fs.ModeDevice|mode)
		case tar.TypeFifo:
			err = s.special(h.Name, fs.ModeNamedPipe|mode)
		}
		if err != nil && !errors.Is(err, errEmptyName) {
			return pos(), "", err
		}
	}
}
