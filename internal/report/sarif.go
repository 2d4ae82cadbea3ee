package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/scan"
)

// SARIF 2.1.0 (OASIS), the parts a code-scanning dashboard reads.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Artifacts   []sarifArtifact   `json:"artifacts"`
	Results     []sarifResult     `json:"results"`
	Invocations []sarifInvocation `json:"invocations"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifArtifact struct {
	Location sarifArtifactLocation `json:"location"`
	Length   int64                 `json:"length,omitempty"`
	Hashes   map[string]string     `json:"hashes,omitempty"`
}

type sarifArtifactLocation struct {
	URI   string `json:"uri"`
	Index *int   `json:"index,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifRegion struct {
	StartLine  int   `json:"startLine,omitempty"`
	ByteOffset int64 `json:"byteOffset,omitempty"`
	ByteLength int64 `json:"byteLength,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

// level maps a severity to SARIF's result level.
func level(s inspect.Severity) string {
	switch s {
	case "critical", "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning reads from
// a rule's "security-severity" property to rank alerts.
func securitySeverity(s inspect.Severity) string {
	return map[inspect.Severity]string{"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}[s]
}

// fileURI turns a path in the unpacked image into a relative URI.
func fileURI(p string) string {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// SARIF writes the findings as one SARIF 2.1.0 run. Paths are relative to
// the unpacked image; findings about the whole image point at the image
// file. Each result carries the EN 303 645 provisions it bears on and a
// fingerprint (rule, path, evidence) that stays stable across rescans.
func SARIF(w io.Writer, r *scan.Result, m Meta) error {
	name, version, _ := strings.Cut(m.Tool, " ")
	if name == "" {
		name = "iotsec"
	}
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: name, Version: version, InformationURI: "https://github.com/iotsec/iotsec", Rules: []sarifRule{}}},
		Artifacts: []sarifArtifact{{Location: sarifArtifactLocation{URI: fileURI(r.Image.Name)}, Length: r.Image.Size,
			Hashes: map[string]string{"sha-256": r.Image.SHA256}}},
		Results:     []sarifResult{},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
	}
	for _, warn := range r.Warnings {
		run.Invocations[0].ToolExecutionNotifications = append(run.Invocations[0].ToolExecutionNotifications,
			sarifNotification{Level: "warning", Message: sarifText{warn}})
	}
	ruleIndex := map[string]int{}
	for _, f := range r.Findings {
		i, ok := ruleIndex[f.Rule]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			ruleIndex[f.Rule] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
				ID: f.Rule, Name: ruleName(f.Rule),
				ShortDescription:     sarifText{f.Title},
				FullDescription:      sarifText{fmt.Sprintf("%s (%s). Bears on ETSI EN 303 645 %s.", f.Title, f.Category, strings.Join(f.Provisions, ", "))},
				DefaultConfiguration: map[string]any{"level": level(f.Severity)},
				Properties: map[string]any{"category": f.Category, "security-severity": securitySeverity(f.Severity),
					"tags": append([]string{"security", f.Category}, prefixed("EN-303-645-", f.Provisions)...)},
			})
		}
		loc := sarifPhysical{ArtifactLocation: sarifArtifactLocation{URI: fileURI(f.Path)}}
		if f.Path == "." || f.Path == "" {
			zero := 0
			loc.ArtifactLocation = sarifArtifactLocation{URI: fileURI(r.Image.Name), Index: &zero}
		}
		switch {
		case f.Evidence.Line > 0:
			loc.Region = &sarifRegion{StartLine: f.Evidence.Line}
		case f.Evidence.Offset > 0:
			loc.Region = &sarifRegion{ByteOffset: f.Evidence.Offset, ByteLength: int64(max(len(f.Evidence.Text), 1))}
		}
		msg := f.Title
		if f.Evidence.Text != "" {
			msg += ": " + f.Evidence.Text
		}
		fp := sha256.Sum256([]byte(f.Rule + "\x00" + f.Path + "\x00" + f.Evidence.Text))
		props := map[string]any{"severity": string(f.Severity), "category": f.Category, "provisions": f.Provisions}
		if f.Evidence.SHA256 != "" {
			props["sha256"] = f.Evidence.SHA256
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: f.Rule, RuleIndex: i, Level: level(f.Severity), Message: sarifText{msg},
			Locations:           []sarifLocation{{PhysicalLocation: loc}},
			PartialFingerprints: map[string]string{"iotsecFinding/v1": hex.EncodeToString(fp[:16])},
			Properties:          props,
		})
	}
	verdicts, whyNot := map[string]string{}, map[string]string{}
	for _, v := range r.Schemes {
		verdicts[v.Scheme] = v.Summary
		if v.WhyNotFail != "" {
			whyNot[v.Scheme] = v.WhyNotFail
		}
	}
	run.Properties = map[string]any{"image": r.Image, "verdicts": verdicts}
	if m.NoVerdicts != "" {
		run.Properties["verdicts"], run.Properties["no_verdicts"] = map[string]string{}, m.NoVerdicts
		clear(whyNot)
	}
	if len(whyNot) > 0 {
		// why each incomplete scheme is not "not met", in the JSON's words
		run.Properties["why_not_fail"] = whyNot
	}
	if m.Product != "" {
		run.Properties["product"], run.Properties["firmware_version"] = m.Product, m.Version
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

// ruleName is a rule's ID in PascalCase, as SARIF's name property asks.
func ruleName(rule string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(rule, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}
