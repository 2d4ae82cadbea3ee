package policy

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// PDF output. The generated documents print from their own Markdown: a
// small layout of the subset they use (headings, paragraphs, bullet and
// numbered lists, tables of cells), on A4 with the title and page numbers
// in the footer, with fpdf's core fonts (text outside Windows-1252 prints
// as "?"). No browser is needed at run time.

var (
	mdLink   = regexp.MustCompile(`<(https?://[^>]+)>`)
	mdStrong = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdNum    = regexp.MustCompile(`^(\d+)\. `)
)

// plain strips the Markdown marks the documents use inline.
func plain(s string) string {
	s = mdStrong.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllString(s, "$1")
	return strings.ReplaceAll(s, "`", "")
}

// markdownPDF lays md out as a PDF titled title, dated date.
func markdownPDF(md []byte, title string, date time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(title, true)
	pdf.SetCreator("iotsec", true)
	pdf.SetCreationDate(date)
	pdf.SetModificationDate(date)
	pdf.SetMargins(18, 16, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("{nb}")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 5, tr(title), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 5, fmt.Sprintf("page %d of {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	w, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	width := w - left - right
	var table [][]string
	flush := func() {
		if len(table) == 0 {
			return
		}
		cols := len(table[0])
		cw := width / float64(cols)
		for i, row := range table {
			style := ""
			if i == 0 {
				style = "B"
			}
			pdf.SetFont("Helvetica", style, 8.5)
			y := pdf.GetY()
			h := 0.0
			for _, cell := range row {
				if n := len(pdf.SplitText(tr(cell), cw-2)); float64(n)*4.2 > h {
					h = float64(n) * 4.2
				}
			}
			if y+h > 297-18 {
				pdf.AddPage()
				y = pdf.GetY()
			}
			for j := 0; j < cols && j < len(row); j++ {
				pdf.SetXY(left+float64(j)*cw, y)
				pdf.MultiCell(cw, 4.2, tr(row[j]), "1", "L", false)
			}
			pdf.SetXY(left, y+h)
		}
		table = nil
		pdf.Ln(2)
	}
	for _, line := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(line, "|") {
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if strings.HasPrefix(strings.TrimSpace(cells[0]), "---") {
				continue
			}
			for i := range cells {
				cells[i] = plain(strings.TrimSpace(cells[i]))
			}
			table = append(table, cells)
			continue
		}
		flush()
		switch {
		case strings.TrimSpace(line) == "":
			pdf.Ln(1.5)
		case strings.HasPrefix(line, "# "):
			pdf.SetFont("Helvetica", "B", 17)
			pdf.MultiCell(0, 8, tr(plain(line[2:])), "", "L", false)
			pdf.Ln(2)
		case strings.HasPrefix(line, "## "):
			if pdf.GetY() > 297-50 {
				pdf.AddPage()
			}
			pdf.Ln(2)
			pdf.SetFont("Helvetica", "B", 13)
			pdf.MultiCell(0, 6.5, tr(plain(line[3:])), "", "L", false)
			pdf.Ln(1)
		case strings.HasPrefix(line, "### "):
			if pdf.GetY() > 297-40 {
				pdf.AddPage()
			}
			pdf.SetFont("Helvetica", "B", 10.5)
			pdf.MultiCell(0, 5.5, tr(plain(line[4:])), "", "L", false)
		case strings.HasPrefix(line, "- "):
			pdf.SetFont("Helvetica", "", 9.5)
			pdf.SetX(left + 2)
			pdf.CellFormat(4, 4.8, tr("•"), "", 0, "L", false, 0, "")
			pdf.MultiCell(width-6, 4.8, tr(plain(line[2:])), "", "L", false)
		case mdNum.MatchString(line):
			n := mdNum.FindString(line)
			pdf.SetFont("Helvetica", "", 9.5)
			pdf.SetX(left + 2)
			pdf.CellFormat(8, 4.8, n, "", 0, "L", false, 0, "")
			pdf.MultiCell(width-10, 4.8, tr(plain(line[len(n):])), "", "L", false)
		default:
			pdf.SetFont("Helvetica", "", 9.5)
			pdf.MultiCell(0, 4.8, tr(plain(line)), "", "L", false)
		}
	}
	flush()
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// PDF renders the brief as a print-ready PDF.
func (b *Brief) PDF() ([]byte, error) {
	md, err := b.Markdown()
	if err != nil {
		return nil, err
	}
	return markdownPDF(md, "Strategy brief: "+b.Name+" ("+b.Code+")", day(b.Generated))
}

// PDF renders the guide as a print-ready PDF.
func (g *Guide) PDF() ([]byte, error) {
	md, err := g.Markdown()
	if err != nil {
		return nil, err
	}
	return markdownPDF(md, "Good practice guide: "+g.ClassTitle+" ("+g.Sector+") for "+strings.Join(g.Markets, ", "), day(g.Generated))
}

// PDF renders the calls as a print-ready PDF.
func (c *Calls) PDF() ([]byte, error) {
	md, err := c.Markdown()
	if err != nil {
		return nil, err
	}
	return markdownPDF(md, "Calls for missing standards", day(c.Generated))
}
