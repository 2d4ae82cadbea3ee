package label

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	qrcode "github.com/skip2/go-qrcode"
)

// decode reads the QR code in img back, as a phone would.
func decode(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return res.GetText()
}

func TestQRPNG(t *testing.T) {
	for _, tc := range []struct {
		url  string
		size int
	}{
		{"https://registry.example.org/l/CSA-311228-0042", 256},
		{"https://registry.example.org/l/CSA-311228-0042", 100},
		{"https://registry.example.org/l/" + strings.Repeat("x", 300), 1000},
	} {
		t.Run(fmt.Sprint(len(tc.url), "/", tc.size), func(t *testing.T) {
			b, err := QR(tc.url, tc.size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds(); got != image.Rect(0, 0, tc.size, tc.size) {
				t.Errorf("bounds %v", got)
			}
			if got := decode(t, img); got != tc.url {
				t.Errorf("decoded %q", got)
			}
			// Crisp: only pure black and white, every module whole pixels.
			for y := range tc.size {
				for x := range tc.size {
					if c := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y; c != 0 && c != 255 {
						t.Fatalf("pixel %d,%d is gray %d", x, y, c)
					}
				}
			}
		})
	}
	for name, tc := range map[string]struct {
		url  string
		size int
	}{
		"smaller than the modules": {"https://e.org/l/x", 20},
		"too big":                  {"https://e.org/l/x", MaxQRSize + 1},
		"empty URL":                {"", 256},
		"too long URL":             {strings.Repeat("x", MaxQRContent+1), 4096},
	} {
		if _, err := QR(tc.url, tc.size); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := QRSVG(""); err == nil {
		t.Errorf("QRSVG of nothing: no error")
	}
}

// The SVG draws exactly go-qrcode's module matrix, and decodes.
func TestQRSVG(t *testing.T) {
	const url = "https://registry.example.org/l/CSA-311228-0042"
	svg, err := QRSVG(url)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
		ViewBox string   `xml:"viewBox,attr"`
		Shape   string   `xml:"shape-rendering,attr"`
		Rect    struct {
			Fill string `xml:"fill,attr"`
		} `xml:"rect"`
		Path struct {
			Fill string `xml:"fill,attr"`
			D    string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatal(err)
	}
	q, err := qrcode.New(url, qrLevel)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Bitmap()
	n := len(want)
	if doc.ViewBox != fmt.Sprintf("0 0 %d %d", n, n) || doc.Shape != "crispEdges" || doc.Rect.Fill != "#fff" || doc.Path.Fill != "#000" {
		t.Errorf("svg attributes %+v", doc)
	}
	if bytes.Contains(svg, []byte("<text")) || bytes.Contains(svg, []byte("font")) || bytes.Contains(svg, []byte("href")) {
		t.Errorf("svg refers to fonts or other resources")
	}

	got := make([][]bool, n)
	for i := range got {
		got[i] = make([]bool, n)
	}
	runs := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	if rest := runs.ReplaceAllString(doc.Path.D, ""); rest != "" {
		t.Fatalf("path holds more than runs: %.60q", rest)
	}
	for _, m := range runs.FindAllStringSubmatch(doc.Path.D, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		if m[3] != m[4] || y >= n || x+w > n {
			t.Fatalf("bad run %q", m[0])
		}
		for i := x; i < x+w; i++ {
			if got[y][i] {
				t.Fatalf("module %d,%d drawn twice", i, y)
			}
			got[y][i] = true
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("module matrix (-bitmap +svg):\n%s", diff)
	}

	// Rasterise the matrix the SVG drew, 4 pixels a module, and read it.
	img := image.NewGray(image.Rect(0, 0, 4*n, 4*n))
	for y := range 4 * n {
		for x := range 4 * n {
			if !got[y/4][x/4] {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	if text := decode(t, img); text != url {
		t.Errorf("decoded %q", text)
	}
}
