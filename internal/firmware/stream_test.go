package firmware

import (
	"bytes"
	"testing"
)

func TestXZDict(t *testing.T) {
	b := xzc(t, bytes.Repeat([]byte("x"), 1000))
	d, ok := xzDict(b)
	if !ok || d != 8<<20 { // ulikunitz's writer uses an 8 MiB dictionary
		t.Errorf("xzDict() = %d, %v; want 8 MiB", d, ok)
	}
	// forge a 1.5 GiB dictionary and fix nothing else: it must be refused
	// before the reader allocates it
	forged := bytes.Clone(b)
	i := bytes.IndexByte(forged[12:], 0x21) + 12
	forged[i+2] = 39
	if _, _, err := unxz(forged, 1<<20); err == nil {
		t.Error("unxz accepted a 1.5 GiB dictionary")
	}
}
