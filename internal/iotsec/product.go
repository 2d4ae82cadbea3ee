package iotsec

import (
	"net/url"
	"strings"
	"time"
)

// ProductClass is the kind of device a product is; schemes and laws scope
// themselves by it.
type ProductClass string

// ProductClasses lists the classes iotsec knows, in the order forms show them.
func ProductClasses() []ProductClass {
	return []ProductClass{
		"camera", "router", "hub", "speaker", "wearable", "tv", "appliance", "lock", "alarm",
		"thermostat", "lighting", "sensor", "toy", "printer", "medical", "vehicle-ecu",
		"industrial-controller", "smart-meter", "ev-charger", "other",
	}
}

func (c ProductClass) Valid() bool { return oneOf(c, ProductClasses()) }

// Sector is the market sector a product serves.
type Sector string

// Sectors lists the sectors iotsec knows.
func Sectors() []Sector {
	return []Sector{"consumer", "industrial", "automotive", "health", "energy", "buildings", "other"}
}

func (s Sector) Valid() bool { return oneOf(s, Sectors()) }

// Product is a device model a manufacturer puts on the market.
type Product struct {
	ID          string       `json:"id"`
	OrgID       string       `json:"org_id"`
	Name        string       `json:"name"`
	Model       string       `json:"model_number"`
	Class       ProductClass `json:"class"`
	Sector      Sector       `json:"sector"`
	Markets     []string     `json:"markets"` // ISO 3166-1 alpha-2 codes, or EU
	Description string       `json:"description"`
	// SupportMonths is the support period the maker promises from each
	// firmware release (0: not stated); SupportPolicy says it in words
	// (what "support" covers, how users are told, where it is published).
	SupportMonths int    `json:"support_period_months"`
	SupportPolicy string `json:"support_policy"`
	// UpdateDelivery says how security updates reach users, one of
	// UpdateDeliveries (CTA-2120's update_default); "" when not stated.
	// SecurityContact is where to report a vulnerability: an https URL or
	// an e-mail address. Both go on the product's labels.
	UpdateDelivery  string    `json:"update_delivery"`
	SecurityContact string    `json:"security_contact"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Normalize trims, canonicalises and validates p.
func (p *Product) Normalize() error {
	p.Name = strings.TrimSpace(p.Name)
	p.Model = strings.TrimSpace(p.Model)
	p.Description = strings.TrimSpace(p.Description)
	if err := checkName("name", p.Name, 200); err != nil {
		return err
	}
	if err := checkName("model_number", p.Model, 100); err != nil {
		return err
	}
	if p.Class == "" {
		p.Class = "other"
	}
	if !p.Class.Valid() {
		return Invalid("class", "must be one of %s", joinAny(ProductClasses()))
	}
	if p.Sector == "" {
		p.Sector = "consumer"
	}
	if !p.Sector.Valid() {
		return Invalid("sector", "must be one of %s", joinAny(Sectors()))
	}
	m, err := NormalizeMarkets("markets", p.Markets)
	if err != nil {
		return err
	}
	p.Markets = m
	if len(p.Description) > 4000 {
		return Invalid("description", "is longer than 4000 characters")
	}
	p.SupportPolicy = strings.TrimSpace(p.SupportPolicy)
	if len(p.SupportPolicy) > 4000 {
		return Invalid("support_policy", "is longer than 4000 characters")
	}
	p.UpdateDelivery = strings.TrimSpace(p.UpdateDelivery)
	if p.UpdateDelivery != "" && !oneOf(p.UpdateDelivery, UpdateDeliveries()) {
		return Invalid("update_delivery", "must be one of %s", strings.Join(UpdateDeliveries(), ", "))
	}
	p.SecurityContact = strings.TrimSpace(p.SecurityContact)
	if err := checkContact("security_contact", p.SecurityContact); err != nil {
		return err
	}
	if p.SupportMonths < 0 || p.SupportMonths > 600 {
		return Invalid("support_period_months", "must be between 0 and 600")
	}
	return nil
}

// FirmwareVersion is one released software version of a product.
type FirmwareVersion struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	ProductID   string    `json:"product_id"`
	Version     string    `json:"version"`
	ReleasedOn  Date      `json:"release_date"`
	SupportEnd  Date      `json:"support_end"`  // last day security updates are promised
	ImageDigest string    `json:"image_digest"` // "sha256:<64 hex>", or "" when no image is held
	CreatedAt   time.Time `json:"created_at"`
}

// Normalize trims and validates f.
func (f *FirmwareVersion) Normalize() error {
	f.Version = strings.TrimSpace(f.Version)
	if err := checkName("version", f.Version, 100); err != nil {
		return err
	}
	f.ImageDigest = strings.ToLower(strings.TrimSpace(f.ImageDigest))
	if f.ImageDigest != "" && !validDigest(f.ImageDigest) {
		return Invalid("image_digest", "must be sha256: followed by 64 hex digits")
	}
	if !f.ReleasedOn.IsZero() && !f.SupportEnd.IsZero() && f.SupportEnd.Before(f.ReleasedOn) {
		return Invalid("support_end", "is before the release date")
	}
	return nil
}

// Supported reports whether the version is inside its support period on day d;
// without a support end date, support is unknown and reported as true.
func (f FirmwareVersion) Supported(d Date) bool {
	return f.SupportEnd.IsZero() || !f.SupportEnd.Before(d)
}

// SupportUntil is the last day of the version's support: its own support
// end, or else its release date plus the product's promised period; zero
// when neither is known.
func (f FirmwareVersion) SupportUntil(p Product) Date {
	if !f.SupportEnd.IsZero() || f.ReleasedOn.IsZero() || p.SupportMonths == 0 {
		return f.SupportEnd
	}
	return Date{f.ReleasedOn.t.AddDate(0, p.SupportMonths, -1)}
}

func validDigest(s string) bool {
	hex, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// UpdateDeliveries are the ways security updates reach users, as
// CTA-2120's security_update_information.update_default enumerates them
// (slugs, as the label engine writes them).
func UpdateDeliveries() []string {
	return []string{"automatic_may_opt_out", "automatic_may_not_opt_out", "manual", "consent_based", "no_updates", "not_disclosed", "other"}
}

// checkContact accepts "" (not stated), an http(s) URL with a host, or an
// e-mail address, at most 320 bytes.
func checkContact(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > 320 || strings.ContainsAny(v, " \t\r\n<>\"") {
		return Invalid(field, "must be an https URL or an e-mail address of at most 320 characters, without spaces")
	}
	if u, err := url.Parse(v); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		return nil
	}
	if at := strings.LastIndexByte(v, '@'); at > 0 && at < len(v)-1 && strings.Contains(v[at:], ".") && !strings.Contains(v, "://") {
		return nil
	}
	return Invalid(field, "must be an https URL or an e-mail address")
}
