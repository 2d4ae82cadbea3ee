package firmware

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// fdtNode is a node of a flattened device tree.
type fdtNode struct {
	name     string
	props    map[string][]byte
	children []*fdtNode
}

func (n *fdtNode) child(name string) *fdtNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (n *fdtNode) str(prop string) string {
	v := n.props[prop]
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return string(v)
}

func (n *fdtNode) u32(prop string) (int64, bool) {
	v := n.props[prop]
	if len(v) != 4 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint32(v)), true
}

// Limits for device trees: real FIT images have a handful of nodes.
const (
	fdtMaxNodes = 10000
	fdtMaxDepth = 64
)

// parseFDT parses a flattened device tree and returns its root and total
// size.
func parseFDT(data []byte) (*fdtNode, int64, error) {
	be := binary.BigEndian
	if len(data) < 40 || be.Uint32(data) != 0xd00dfeed {
		return nil, 0, errNotFormat
	}
	total := int64(be.Uint32(data[4:]))
	offStruct := int64(be.Uint32(data[8:]))
	offStrings := int64(be.Uint32(data[12:]))
	sizeStrings := int64(be.Uint32(data[32:]))
	sizeStruct := int64(be.Uint32(data[36:]))
	if total < 40 || offStruct >= total || offStrings > total {
		return nil, 0, errNotFormat
	}
	if total > int64(len(data)) {
		return nil, total, fmt.Errorf("device tree of %d bytes runs past end of image", total)
	}
	if offStrings+sizeStrings > total {
		sizeStrings = total - offStrings
	}
	strs := data[offStrings : offStrings+sizeStrings]
	end := total
	if sizeStruct > 0 && offStruct+sizeStruct <= total {
		end = offStruct + sizeStruct
	}
	st := data[offStruct:end]
	p := 0
	u32 := func() (uint32, error) {
		if p+4 > len(st) {
			return 0, fmt.Errorf("structure block truncated at %d", offStruct+int64(p))
		}
		v := be.Uint32(st[p:])
		p += 4
		return v, nil
	}
	var stack []*fdtNode
	var root *fdtNode
	nodes := 0
	for {
		tok, err := u32()
		if err != nil {
			return root, total, err
		}
		switch tok {
		case 1: // FDT_BEGIN_NODE
			i := bytes.IndexByte(st[p:], 0)
			if i < 0 {
				return root, total, fmt.Errorf("node name at %d not terminated", offStruct+int64(p))
			}
			n := &fdtNode{name: string(st[p : p+i]), props: map[string][]byte{}}
			p = (p + i + 1 + 3) &^ 3
			nodes++
			if nodes > fdtMaxNodes || len(stack) >= fdtMaxDepth {
				return root, total, fmt.Errorf("device tree exceeds %d nodes or depth %d", fdtMaxNodes, fdtMaxDepth)
			}
			if len(stack) == 0 {
				if root != nil {
					return root, total, errors.New("second root node")
				}
				root = n
			} else {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			}
			stack = append(stack, n)
		case 2: // FDT_END_NODE
			if len(stack) == 0 {
				return root, total, fmt.Errorf("unbalanced end of node at %d", offStruct+int64(p)-4)
			}
			stack = stack[:len(stack)-1]
		case 3: // FDT_PROP
			l, err := u32()
			if err != nil {
				return root, total, err
			}
			no, err := u32()
			if err != nil {
				return root, total, err
			}
			if int64(l) > int64(len(st)-p) {
				return root, total, fmt.Errorf("property at %d runs past end of structure block", offStruct+int64(p))
			}
			if len(stack) == 0 || int64(no) >= int64(len(strs)) {
				return root, total, fmt.Errorf("property at %d outside a node or with bad name", offStruct+int64(p))
			}
			name := strs[no:]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			stack[len(stack)-1].props[string(name)] = st[p : p+int(l)]
			p = (p + int(l) + 3) &^ 3
		case 4: // FDT_NOP
		case 9: // FDT_END
			if root == nil {
				return nil, total, errNotFormat
			}
			return root, total, nil
		default:
			return root, total, fmt.Errorf("bad token %#x at %d", tok, offStruct+int64(p)-4)
		}
	}
}

// splitFIT returns the images of a U-Boot FIT image (a device tree with an
// /images node), decompressed. A device tree without images is no FIT.
func splitFIT(u *unpacker, data []byte) ([]part, int64, string, error) {
	root, total, err := parseFDT(data)
	if root == nil {
		if errors.Is(err, errNotFormat) || err == nil {
			return nil, 0, "", errNotFormat
		}
		return nil, 0, "", errNotFormat
	}
	images := root.child("images")
	if images == nil {
		return nil, 0, "", errNotFormat
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	spanned := total
	extBase := (total + 3) &^ 3
	var parts []part
	for _, img := range images.children {
		var d []byte
		if v, ok := img.props["data"]; ok {
			d = v
		} else if size, ok := img.u32("data-size"); ok {
			off, ok := img.u32("data-offset")
			if ok {
				off += extBase
			} else if off, ok = img.u32("data-position"); !ok {
				errs = append(errs, fmt.Errorf("image %s: no data", img.name))
				continue
			}
			if off+size > int64(len(data)) {
				errs = append(errs, fmt.Errorf("image %s: external data at %d runs past end of image", img.name, off))
				continue
			}
			d = data[off : off+size]
			spanned = max(spanned, off+size)
		}
		comp := img.str("compression")
		desc := img.str("type")
		switch comp {
		case "", "none":
		case "lzo":
			errs = append(errs, fmt.Errorf("image %s: lzo compression kept as is", img.name))
		default:
			out, _, derr := u.decompress(comp, d)
			if derr != nil {
				errs = append(errs, fmt.Errorf("image %s: %w", img.name, derr))
			}
			if len(out) > 0 {
				d = out
			}
		}
		name := img.name
		if desc != "" && !strings.Contains(name, desc) {
			name = desc + "-" + name
		}
		parts = append(parts, part{name: name, data: d})
	}
	return parts, spanned, fmt.Sprintf("%d images", len(parts)), errors.Join(errs...)
}
