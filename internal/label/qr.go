package label

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"
)

// Limits on a QR code.
const (
	MaxQRContent = 1024 // bytes of URL
	MaxQRSize    = 4096 // pixels of a PNG side
)

// qrLevel is the error correction of label QR codes: Medium restores up
// to 15% of the modules, enough for a printed label that gets scuffed,
// while keeping the code small.
const qrLevel = qrcode.Medium

// qr encodes content, quiet zone included.
func qr(content string) ([][]bool, error) {
	if content == "" || len(content) > MaxQRContent {
		return nil, fmt.Errorf("qr: content must be 1 to %d bytes, not %d", MaxQRContent, len(content))
	}
	q, err := qrcode.New(content, qrLevel)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return q.Bitmap(), nil
}

// QR returns a size×size PNG of the QR code of url, with the quiet zone.
// Every module is the same whole number of pixels (go-qrcode's own
// scaling rounds module by module and blurs them); the spare pixels
// widen the white margin. size must hold at least one pixel per module
// and at most MaxQRSize.
func QR(url string, size int) ([]byte, error) {
	bm, err := qr(url)
	if err != nil {
		return nil, err
	}
	n := len(bm)
	if size < n || size > MaxQRSize {
		return nil, fmt.Errorf("qr: size %d must be between %d (the code's modules) and %d", size, n, MaxQRSize)
	}
	scale := size / n
	off := (size - n*scale) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bm {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := off + y*scale; py < off+(y+1)*scale; py++ {
				i := img.PixOffset(off+x*scale, py)
				for px := range scale {
					img.Pix[i+px] = 1
				}
			}
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return b.Bytes(), nil
}

// QRSVG returns the QR code of url as a standalone SVG: one unit per
// module in the viewBox (quiet zone included), a white background and one
// black path of horizontal runs, crispEdges rendering, no text and so no
// fonts. It scales to any print size without blurring.
func QRSVG(url string) ([]byte, error) {
	bm, err := qr(url)
	if err != nil {
		return nil, err
	}
	n := strconv.Itoa(len(bm))
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + ` ` + n + `" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	b.WriteByte('\n')
	return b.Bytes(), nil
}
