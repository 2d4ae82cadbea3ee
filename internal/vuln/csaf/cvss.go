package csaf

import (
	"math"
	"strings"
)

// cvss3 returns the cvss_v3 object of a CVSS 3.0 or 3.1 vector, with the
// base score and severity computed from the vector by the FIRST
// specification (CVSS v3.1 section 7.1 and Appendix A, the same formula
// for 3.0 but for its rounding), so the score always agrees with the
// vector (CSAF 2.0 tests 6.1.9 and 6.1.10). ok is false for anything
// else, and the score is then left out.
func cvss3(vector string) (map[string]any, bool) {
	var version string
	switch {
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		version = "3.1"
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		version = "3.0"
	default:
		return nil, false
	}
	weights := map[string]map[string]float64{
		"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
		"AC": {"L": 0.77, "H": 0.44},
		"PR": {"N": 0.85, "L": 0.62, "H": 0.27}, // L and H change when the scope changes
		"UI": {"N": 0.85, "R": 0.62},
		"S":  {"U": 0, "C": 1},
		"C":  {"H": 0.56, "L": 0.22, "N": 0},
		"I":  {"H": 0.56, "L": 0.22, "N": 0},
		"A":  {"H": 0.56, "L": 0.22, "N": 0},
	}
	got := map[string]string{}
	for _, part := range strings.Split(vector, "/")[1:] {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			return nil, false
		}
		if _, base := weights[k]; base {
			if _, dup := got[k]; dup {
				return nil, false
			}
			if _, valid := weights[k][v]; !valid {
				return nil, false
			}
			got[k] = v
		}
	}
	if len(got) != len(weights) {
		return nil, false
	}
	w := func(k string) float64 { return weights[k][got[k]] }
	changed := got["S"] == "C"
	pr := w("PR")
	if changed && got["PR"] == "L" {
		pr = 0.68
	} else if changed && got["PR"] == "H" {
		pr = 0.5
	}
	iss := 1 - (1-w("C"))*(1-w("I"))*(1-w("A"))
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	exploitability := 8.22 * w("AV") * w("AC") * pr * w("UI")
	round := roundup31
	if version == "3.0" {
		round = func(x float64) float64 { return math.Ceil(x*10) / 10 }
	}
	var score float64
	switch {
	case impact <= 0:
		score = 0
	case changed:
		score = round(math.Min(1.08*(impact+exploitability), 10))
	default:
		score = round(math.Min(impact+exploitability, 10))
	}
	return map[string]any{"version": version, "vectorString": vector, "baseScore": score, "baseSeverity": severity(score)}, true
}

// roundup31 is CVSS v3.1's Roundup (Appendix A): the smallest number of
// one decimal place equal to or above x, free of floating point error.
func roundup31(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

func severity(score float64) string {
	switch {
	case score == 0:
		return "NONE"
	case score < 4:
		return "LOW"
	case score < 7:
		return "MEDIUM"
	case score < 9:
		return "HIGH"
	}
	return "CRITICAL"
}
