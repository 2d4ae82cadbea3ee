package sbom

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// cdxNamespaces are the CycloneDX XML namespaces, one per version.
var cdxNamespaces = map[string]bool{
	"http://cyclonedx.org/schema/bom/1.0": true, "http://cyclonedx.org/schema/bom/1.1": true,
	"http://cyclonedx.org/schema/bom/1.2": true, "http://cyclonedx.org/schema/bom/1.3": true,
	"http://cyclonedx.org/schema/bom/1.4": true, "http://cyclonedx.org/schema/bom/1.5": true,
	"http://cyclonedx.org/schema/bom/1.6": true,
}

// dataFlows are the values of the XSD's dataFlowType.
var dataFlows = map[string]bool{"inbound": true, "outbound": true, "bi-directional": true, "unknown": true}

// checkCycloneDXXML checks the rules of the CycloneDX XSD that decoding
// loses, so the JSON schema cannot see them: the namespace names a
// version, a license has one id or one name, licenses are either licenses
// or one expression, a SWID tag has a tagId, a property has a name, a
// data classification's flow is one of the schema's. Elements are
// located by their path and line.
func checkCycloneDXXML(p *problems, data []byte, lim Limits) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	type frame struct {
		name     string
		children map[string]int
	}
	var stack []frame
	path := func() string {
		names := make([]string, len(stack))
		for i, f := range stack {
			names[i] = f.name
		}
		return "/" + strings.Join(names, "/")
	}
	attr := func(se xml.StartElement, name string) (string, bool) {
		for _, a := range se.Attr {
			if a.Name.Local == name && a.Name.Space == "" {
				return a.Value, true
			}
		}
		return "", false
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			return // the decoder has already read it; nothing more to check
		}
		line, _ := dec.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && t.Name.Local == "bom" && !cdxNamespaces[t.Name.Space] {
				p.add("/bom", "line %d: namespace %q is not a CycloneDX version's", line, t.Name.Space)
			}
			if len(stack) > 0 {
				stack[len(stack)-1].children[t.Name.Local]++
			}
			stack = append(stack, frame{name: t.Name.Local, children: map[string]int{}})
			if len(stack) > lim.MaxDepth {
				return // prescan refuses it
			}
			at := path()
			switch t.Name.Local {
			case "swid":
				if v, _ := attr(t, "tagId"); v == "" {
					p.add(at, "line %d: a SWID tag needs a tagId attribute", line)
				}
			case "property":
				if v, _ := attr(t, "name"); v == "" && len(stack) > 1 && stack[len(stack)-2].name == "properties" {
					p.add(at, "line %d: a property needs a name attribute", line)
				}
			case "classification":
				if v, ok := attr(t, "flow"); ok && !dataFlows[v] {
					p.add(at, "line %d: flow %q is not inbound, outbound, bi-directional or unknown", line, v)
				}
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return
			}
			f := stack[len(stack)-1]
			at := path()
			switch f.name {
			case "license":
				if f.children["id"]+f.children["name"] != 1 {
					p.add(at, "line %d: a license has one id or one name, found %d id and %d name", line, f.children["id"], f.children["name"])
				}
			case "licenses":
				if e := f.children["expression"]; e > 0 && (e > 1 || f.children["license"] > 0) {
					p.add(at, "line %d: licenses hold license elements or one expression, found %d license and %d expression",
						line, f.children["license"], e)
				}
			}
			stack = stack[:len(stack)-1]
		}
	}
}
