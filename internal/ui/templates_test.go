package ui

import (
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestTemplatesParse parses every page with the real template functions,
// so a template that does not parse fails go test, not the server's start.
func TestTemplatesParse(t *testing.T) {
	pages, err := parsePages((&Handler{Now: time.Now}).funcs())
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != len(files)-1 { // every file but the layout is a page
		t.Errorf("%d pages from %d template files", len(pages), len(files))
	}
	for name, p := range pages {
		if p.Lookup("content") == nil {
			t.Errorf("page %s defines no content", name)
		}
	}
}

// TestTemplatesMissingKey: a key a page reads but the handler did not set
// is an error, not an empty string.
func TestTemplatesMissingKey(t *testing.T) {
	pages, err := parsePages((&Handler{Now: time.Now}).funcs())
	if err != nil {
		t.Fatal(err)
	}
	err = pages["error"].Execute(io.Discard, view{Data: map[string]string{"Title": "Gone"}})
	if err == nil || !strings.Contains(err.Error(), `map has no entry for key "Message"`) {
		t.Errorf("error page without Message: err = %v, want a missing key", err)
	}
	if err := pages["error"].Execute(io.Discard, view{Data: map[string]string{"Title": "Gone", "Message": "m"}}); err != nil {
		t.Errorf("error page: %v", err)
	}
}

// maxTemplateLine keeps template lines short enough for a diff to show a
// change in them; break long ones between tags or attributes, or at an
// action with {{- or -}} where a space would show.
const maxTemplateLine = 200

func TestTemplateLineLength(t *testing.T) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(templateFS, f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if n := utf8.RuneCountInString(line); n > maxTemplateLine {
				t.Errorf("%s:%d: %d characters, at most %d", f, i+1, n, maxTemplateLine)
			}
		}
	}
}
