package label

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// SchemaVersion is the version of the Claims format this engine writes
// and reads. A label with another schema_version is malformed to this
// engine; a later engine that reads both adds the new number here.
const SchemaVersion = 1

// Status is the state of a certification record. The values follow the
// registry's status history (issue 11): a label is valid only while its
// record is StatusCertified.
type Status string

// The statuses of a certification record.
const (
	StatusApplied     Status = "applied"
	StatusCertified   Status = "certified"
	StatusSuspended   Status = "suspended"
	StatusUnderReview Status = "under_review"
	StatusExpired     Status = "expired"
	StatusRevoked     Status = "revoked"
	StatusWithdrawn   Status = "withdrawn" // by the maker
	// StatusUnknown is what Verify reports when it could not establish
	// the claims (bad signature, unknown key, malformed token). It is
	// never the status of a record.
	StatusUnknown Status = "unknown"
)

// Known reports whether s is the status of a record (not StatusUnknown).
func (s Status) Known() bool {
	switch s {
	case StatusApplied, StatusCertified, StatusSuspended, StatusUnderReview, StatusExpired, StatusRevoked, StatusWithdrawn:
		return true
	}
	return false
}

// UpdateDelivery says how security updates reach the product: the
// values of CTA-2120's security_update_information.update_default enum,
// as slugs.
type UpdateDelivery string

// The CTA-2120 update_default values.
const (
	UpdateAutomaticOptOut UpdateDelivery = "automatic_may_opt_out"     // "Automatic – may opt out"
	UpdateAutomatic       UpdateDelivery = "automatic_may_not_opt_out" // "Automatic – may not opt out"
	UpdateManual          UpdateDelivery = "manual"                    // "Manual"
	UpdateConsent         UpdateDelivery = "consent_based"             // "Consent based"
	UpdateNone            UpdateDelivery = "no_updates"                // "No updates"
	UpdateNotDisclosed    UpdateDelivery = "not_disclosed"             // "Not disclosed"
	UpdateOther           UpdateDelivery = "other"                     // "Other"
)

func (u UpdateDelivery) known() bool {
	switch u {
	case UpdateAutomaticOptOut, UpdateAutomatic, UpdateManual, UpdateConsent, UpdateNone, UpdateNotDisclosed, UpdateOther:
		return true
	}
	return false
}

// Date is a calendar day without time or zone, "2029-12-31", like
// CTA-2120's support_date. A day ends at midnight UTC.
type Date string

// DateOf returns the UTC calendar day of t.
func DateOf(t time.Time) Date { return Date(t.UTC().Format(time.DateOnly)) }

// Time returns the start of the day, UTC.
func (d Date) Time() (time.Time, error) {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD", string(d))
	}
	return t, nil
}

// Party is an organisation named on a label: CTA-2120's authorized_by and
// tested_by ({name, contact}); the maker uses the same shape.
type Party struct {
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"` // a URL or an e-mail address
}

// Scheme names the certification scheme of the label, as the catalog
// does.
type Scheme struct {
	Slug  string `json:"slug"`  // the catalog's scheme slug, e.g. "sg-cls"
	Title string `json:"title"` // e.g. "Cybersecurity Labelling Scheme (IoT)"
}

// Claims is the signed statement of one certification record: what a
// label says. Field names follow CTA-2120's consumer (L1) view where one
// fits; the CTA-2120 name is given in brackets.
type Claims struct {
	// SchemaVersion is SchemaVersion [schema_version].
	SchemaVersion int `json:"schema_version"`
	// LabelID identifies the label in its registry and in the public page
	// URL /l/{label_id}: 1 to 128 of A-Z a-z 0-9 . _ -.
	LabelID string `json:"label_id"`
	// Registry is the issuing registry's base URL (the issuer).
	Registry string `json:"registry"`
	// Maker is the manufacturer [manufacturer_name].
	Maker Party `json:"maker"`
	// ProductName [product_name], Model [product_model] and
	// FirmwareVersion [version_and_model_numbers] identify what was
	// certified: a record is keyed by model and firmware version.
	ProductName     string `json:"product_name"`
	Model           string `json:"model"`
	FirmwareVersion string `json:"firmware_version"`
	// Scheme and Level are what was granted; Level is empty for schemes
	// without levels.
	Scheme Scheme `json:"scheme"`
	Level  string `json:"level,omitempty"`
	// GrantedBy is the authority (scheme owner or its delegate)
	// [authorized_by]; TestedBy the lab, absent for self-declared levels
	// [tested_by].
	GrantedBy Party  `json:"granted_by"`
	TestedBy  *Party `json:"tested_by,omitempty"`
	// Status is the record's status when the label was signed. A label
	// is valid only when it is StatusCertified (and the current status,
	// when the verifier knows it, still is).
	Status Status `json:"status"`
	// IssuedAt is when the label was signed [created]; ValidFrom
	// [authorization_date] and ValidUntil bound its validity (ValidUntil
	// excluded), as the scheme's validity rule set them.
	IssuedAt   time.Time `json:"issued_at"`
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until"`
	// SupportEnd is the last day the maker supports this firmware with
	// security updates [support_date]; empty when not declared. A label
	// lapses when support has ended.
	SupportEnd Date `json:"support_end,omitempty"`
	// UpdateDelivery says how updates are delivered
	// [security_update_information.update_default].
	UpdateDelivery UpdateDelivery `json:"update_delivery,omitempty"`
	// SecurityContact is where to report vulnerabilities, a URL or an
	// e-mail address [security_contact].
	SecurityContact string `json:"security_contact,omitempty"`
	// SBOMAvailable says whether the maker keeps an SBOM for this
	// firmware [sbom_hbom_available].
	SBOMAvailable bool `json:"sbom_available"`
	// Reasons say why the record is under review or suspended, in plain
	// words (the reasons of its last status change); absent otherwise.
	// Added after the first labels: an earlier label simply has none.
	Reasons []string `json:"reasons,omitempty"`
	// PageURL is the public page of the label, the URL its QR code
	// encodes [QR_code_url].
	PageURL string `json:"page_url,omitempty"`
	// Proof is the transparency log's inclusion proof bundle for this
	// record, in the log engine's JSON; the label engine only carries it
	// (see VerifyOptions.CheckProof).
	Proof json.RawMessage `json:"proof,omitempty"`
}

// Leaf returns the transparency log entry that states c: the claims' JSON
// with Proof empty and the times in UTC to the second, as Issuer.Sign
// writes them. The registry appends this leaf for every move of a record
// and then signs the claims with the inclusion proof of that leaf in
// Proof; a verifier rebuilds the leaf the same way from the claims it
// verified (Leaf ignores Proof) and checks the proof against it, so a
// label whose claims differ by one byte from the logged entry fails.
func (c Claims) Leaf() ([]byte, error) {
	c.Proof = nil
	for _, t := range []*time.Time{&c.IssuedAt, &c.ValidFrom, &c.ValidUntil} {
		*t = t.UTC().Truncate(time.Second)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("label %s: log leaf: %w", c.LabelID, err)
	}
	return b, nil
}

// Limits on the fields of Claims.
const (
	maxLabelID = 128
	maxText    = 1024
)

// Validate checks that c is a complete, well-formed statement: the
// required fields are present, known enumerations hold known values,
// URLs are absolute http(s) URLs and the validity period is not empty.
// Issuer.Sign refuses claims that do not validate, and Verify reports
// them as CodeMalformed.
func (c *Claims) Validate() error {
	if c.SchemaVersion != SchemaVersion {
		return fmt.Errorf("schema_version is %d; this engine reads %d", c.SchemaVersion, SchemaVersion)
	}
	if err := checkID(c.LabelID); err != nil {
		return err
	}
	if err := checkURL("registry", c.Registry, true); err != nil {
		return err
	}
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"maker.name", c.Maker.Name, true},
		{"product_name", c.ProductName, true},
		{"model", c.Model, true},
		{"firmware_version", c.FirmwareVersion, true},
		{"scheme.slug", c.Scheme.Slug, true},
		{"scheme.title", c.Scheme.Title, false},
		{"level", c.Level, false},
		{"granted_by.name", c.GrantedBy.Name, true},
	} {
		if err := checkText(f.name, f.value, f.required); err != nil {
			return err
		}
	}
	if c.TestedBy != nil {
		if err := checkText("tested_by.name", c.TestedBy.Name, true); err != nil {
			return err
		}
		if err := checkContact("tested_by.contact", c.TestedBy.Contact); err != nil {
			return err
		}
	}
	if err := checkContact("maker.contact", c.Maker.Contact); err != nil {
		return err
	}
	if err := checkContact("granted_by.contact", c.GrantedBy.Contact); err != nil {
		return err
	}
	if err := checkContact("security_contact", c.SecurityContact); err != nil {
		return err
	}
	if !c.Status.Known() {
		return fmt.Errorf("status %q is not a record status", string(c.Status))
	}
	if c.IssuedAt.IsZero() || c.ValidFrom.IsZero() || c.ValidUntil.IsZero() {
		return fmt.Errorf("issued_at, valid_from and valid_until are required")
	}
	if !c.ValidFrom.Before(c.ValidUntil) {
		return fmt.Errorf("valid_from %s is not before valid_until %s", c.ValidFrom.Format(time.RFC3339), c.ValidUntil.Format(time.RFC3339))
	}
	if c.SupportEnd != "" {
		if _, err := c.SupportEnd.Time(); err != nil {
			return fmt.Errorf("support_end: %w", err)
		}
	}
	if c.UpdateDelivery != "" && !c.UpdateDelivery.known() {
		return fmt.Errorf("update_delivery %q is not a CTA-2120 update_default value", string(c.UpdateDelivery))
	}
	if len(c.Reasons) > 100 {
		return fmt.Errorf("reasons: more than 100")
	}
	for _, r := range c.Reasons {
		if err := checkText("reasons", r, true); err != nil {
			return err
		}
	}
	if err := checkURL("page_url", c.PageURL, false); err != nil {
		return err
	}
	if len(c.Proof) > 0 && !json.Valid(c.Proof) {
		return fmt.Errorf("proof is not JSON")
	}
	return nil
}

func checkID(id string) error {
	if id == "" || len(id) > maxLabelID {
		return fmt.Errorf("label_id must be 1 to %d characters", maxLabelID)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("label_id %q may hold only A-Z a-z 0-9 . _ -", id)
		}
	}
	return nil
}

func checkText(name, v string, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s is required", name)
	}
	if len(v) > maxText {
		return fmt.Errorf("%s is longer than %d bytes", name, maxText)
	}
	return nil
}

func checkURL(name, v string, required bool) error {
	if v == "" {
		if required {
			return fmt.Errorf("%s is required", name)
		}
		return nil
	}
	if len(v) > maxText {
		return fmt.Errorf("%s is longer than %d bytes", name, maxText)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute http(s) URL", name, v)
	}
	return nil
}

// checkContact accepts an http(s) URL, a mailto: URL or an e-mail
// address.
func checkContact(name, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > maxText {
		return fmt.Errorf("%s is longer than %d bytes", name, maxText)
	}
	if strings.HasPrefix(v, "mailto:") {
		v = strings.TrimPrefix(v, "mailto:")
	} else if strings.Contains(v, "://") {
		return checkURL(name, v, true)
	}
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
		return fmt.Errorf("%s %q is neither an http(s) URL nor an e-mail address", name, v)
	}
	return nil
}
