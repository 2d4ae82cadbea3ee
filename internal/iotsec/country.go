package iotsec

import (
	"slices"
	"strings"
)

// CountryName returns the English short name of an ISO 3166-1 alpha-2 code
// (or "European Union" for EU), and whether the code is known.
func CountryName(code string) (string, bool) {
	n, ok := countries[code]
	return n, ok
}

// NormalizeCountry upper-cases code and maps the common alias UK to its ISO
// code GB. It returns false when the result is not a known code.
func NormalizeCountry(code string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "UK" {
		c = "GB"
	}
	_, ok := countries[c]
	return c, ok
}

// NormalizeMarkets validates, normalizes, sorts and de-duplicates a list of
// market codes. field names the input in the error.
func NormalizeMarkets(field string, markets []string) ([]string, error) {
	out := make([]string, 0, len(markets))
	for _, m := range markets {
		if strings.TrimSpace(m) == "" {
			continue
		}
		c, ok := NormalizeCountry(m)
		if !ok {
			return nil, Invalid(field, "%q is not an ISO 3166-1 alpha-2 country code or EU", m)
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
