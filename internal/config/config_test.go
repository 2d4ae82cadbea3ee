package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "iotsec.json")
	os.WriteFile(file, []byte(`{"addr":"127.0.0.1:9000","workers":3,"session_ttl":"2h","data":"/from/file"}`), 0o600)
	env := map[string]string{"IOTSEC_CONFIG": file, "IOTSEC_ADDR": "127.0.0.1:9100", "IOTSEC_TRUST_PROXY": "true"}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	Flags(fs, true)
	if err := fs.Parse([]string{"--addr", "127.0.0.1:9200"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(fs, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"flag beats env and file", c.Addr, "127.0.0.1:9200"},
		{"env beats default", c.TrustProxy, true},
		{"file beats default", c.Workers, 3},
		{"file duration", c.SessionTTL, 2 * time.Hour},
		{"file string", c.Data, "/from/file"},
		{"default", c.LogLevel, "info"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		env  map[string]string
		file string
		want string
	}{
		{"bad addr", map[string]string{"IOTSEC_ADDR": "8080"}, "", "addr"},
		{"bad workers", map[string]string{"IOTSEC_WORKERS": "many"}, "", "IOTSEC_WORKERS"},
		{"bad cookies", map[string]string{"IOTSEC_SECURE_COOKIES": "sometimes"}, "", "secure-cookies"},
		{"unknown file key", nil, `{"colour":"red"}`, `unknown setting "colour"`},
		{"missing file", map[string]string{"IOTSEC_CONFIG": filepath.Join(dir, "none.json")}, "", "config file"},
		{"csaf publisher category", map[string]string{"IOTSEC_CSAF_PUBLISHER_CATEGORY": "maker"}, "", `csaf-publisher-category "maker"`},
		{"csaf namespace", nil, `{"csaf_namespace":"psirt.example"}`, `csaf-namespace "psirt.example"`},
		{"csaf placeholder namespace", map[string]string{"IOTSEC_CSAF_NAMESPACE": "https://iotsec.invalid/x"}, "", ".invalid names never resolve"},
		{"source date", map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, "", "SOURCE_DATE_EPOCH"},
		{"scans per org", map[string]string{"IOTSEC_SCANS_PER_ORG": "0"}, "", "scans-per-org 0: want 1 to 64"},
		{"imports per org", map[string]string{"IOTSEC_IMPORTS_PER_ORG": "65"}, "", "imports-per-org 65: want 1 to 64"},
		{"matches per org", nil, `{"matches_per_org":-1}`, "matches-per-org -1: want 1 to 64"},
		{"matches per org word", map[string]string{"IOTSEC_MATCHES_PER_ORG": "two"}, "", "IOTSEC_MATCHES_PER_ORG"},
		{"fair rate", map[string]string{"IOTSEC_FAIR_RATE": "0"}, "", "fair-rate 0: want 0.01 to 10000"},
		{"fair rate NaN", map[string]string{"IOTSEC_FAIR_RATE": "NaN"}, "", "fair-rate NaN"},
		{"fair burst", nil, `{"fair_burst":0}`, "fair-burst 0: want 1 to 100000"},
		{"fair in flight", map[string]string{"IOTSEC_FAIR_IN_FLIGHT": "2000"}, "", "fair-in-flight 2000: want 1 to 1024"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.file != "" {
				f := filepath.Join(dir, tt.name+".json")
				os.WriteFile(f, []byte(tt.file), 0o600)
				env["IOTSEC_CONFIG"] = f
			}
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			Flags(fs, true)
			_, err := Load(fs, func(k string) string { return env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestFairShare: the fair-share settings come from their defaults, the
// file, the environment and the flags like any other.
func TestFairShare(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		file string
		args []string
		want [6]float64 // rate, burst, in flight, scans, imports, matches
	}{
		{"defaults", nil, "", nil, [6]float64{5, 60, 8, 1, 1, 1}},
		{"file", nil, `{"fair_rate":0.5,"fair_burst":10,"fair_in_flight":2,"scans_per_org":3,"imports_per_org":4,"matches_per_org":5}`, nil, [6]float64{0.5, 10, 2, 3, 4, 5}},
		{"env", map[string]string{"IOTSEC_FAIR_RATE": "20", "IOTSEC_FAIR_BURST": "100", "IOTSEC_FAIR_IN_FLIGHT": "16",
			"IOTSEC_SCANS_PER_ORG": "2", "IOTSEC_IMPORTS_PER_ORG": "3", "IOTSEC_MATCHES_PER_ORG": "4"}, "", nil, [6]float64{20, 100, 16, 2, 3, 4}},
		{"flags beat env", map[string]string{"IOTSEC_FAIR_RATE": "20", "IOTSEC_IMPORTS_PER_ORG": "3"}, "",
			[]string{"--fair-rate", "1.5", "--fair-burst", "7", "--fair-in-flight", "3", "--imports-per-org", "6", "--matches-per-org", "2"}, [6]float64{1.5, 7, 3, 1, 6, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.file != "" {
				f := filepath.Join(t.TempDir(), "c.json")
				os.WriteFile(f, []byte(tt.file), 0o600)
				env["IOTSEC_CONFIG"] = f
			}
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			Flags(fs, true)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := Load(fs, func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			got := [6]float64{c.FairRate, float64(c.FairBurst), float64(c.FairInFlight), float64(c.ScansPerOrg), float64(c.ImportsPerOrg), float64(c.MatchesPerOrg)}
			if got != tt.want {
				t.Errorf("rate, burst, in flight, scans, imports, matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestURLAndRedaction(t *testing.T) {
	for _, tt := range []struct {
		c        Config
		url, dsn string
	}{
		{Config{Addr: "localhost:8080", Data: "d"}, "http://localhost:8080", "d/iotsec.db"},
		{Config{Addr: ":8080", Database: "sqlite:/x.db"}, "http://localhost:8080", "/x.db"},
		{Config{Addr: ":1", BaseURL: "https://iot.example/", Database: "postgres://u:secret@db:5432/x"}, "https://iot.example", "postgres://u:***@db:5432/x"},
	} {
		if got := tt.c.URL(); got != tt.url {
			t.Errorf("URL() = %q, want %q", got, tt.url)
		}
		if got := tt.c.Redacted(); got != tt.dsn {
			t.Errorf("Redacted() = %q, want %q", got, tt.dsn)
		}
	}
}

// The publisher of written documents: from settings, else derived from
// the base URL; SOURCE_DATE_EPOCH fixes their creation time.
func TestPublisher(t *testing.T) {
	for _, tt := range []struct {
		name      string
		env       map[string]string
		file      string
		namespace string
		category  string
		date      time.Time
	}{
		{"defaults", nil, "", "http://localhost:8080", "vendor", time.Time{}},
		{"base url", map[string]string{"IOTSEC_BASE_URL": "https://iot.example/"}, "", "https://iot.example", "vendor", time.Time{}},
		{"settings", map[string]string{"IOTSEC_BASE_URL": "https://iot.example", "SOURCE_DATE_EPOCH": "1767225600"},
			`{"csaf_namespace":"https://psirt.example/","csaf_publisher_category":"coordinator","csaf_publisher_name":"Example PSIRT"}`,
			"https://psirt.example", "coordinator", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.file != "" {
				f := filepath.Join(t.TempDir(), "c.json")
				os.WriteFile(f, []byte(tt.file), 0o600)
				env["IOTSEC_CONFIG"] = f
			}
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			Flags(fs, false)
			c, err := Load(fs, func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got := c.PublisherNamespace(); got != tt.namespace {
				t.Errorf("PublisherNamespace() = %q, want %q", got, tt.namespace)
			}
			if c.CSAFPublisherCategory != tt.category || !c.SourceDate.Equal(tt.date) {
				t.Errorf("category %q, source date %v; want %q, %v", c.CSAFPublisherCategory, c.SourceDate, tt.category, tt.date)
			}
			if tt.file != "" && c.CSAFPublisherName != "Example PSIRT" {
				t.Errorf("publisher name %q", c.CSAFPublisherName)
			}
			if fs.Lookup("csaf-namespace") == nil {
				t.Error("the commands that write documents have no --csaf-namespace")
			}
		})
	}
}

func TestKEK(t *testing.T) {
	dir := t.TempDir()
	key := strings.Repeat("ab", 32)
	raw := filepath.Join(dir, "raw.key")
	os.WriteFile(raw, []byte(strings.Repeat("k", 32)), 0o600)
	hexFile := filepath.Join(dir, "hex.key")
	os.WriteFile(hexFile, []byte(key+"\n"), 0o600)
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("abcd\n"), 0o600)
	for _, tt := range []struct {
		name string
		c    Config
		want string // hex of the key, or "" for none
		err  string
	}{
		{"none", Config{}, "", ""},
		{"env hex", Config{CAKey: Secret(key)}, key, ""},
		{"env base64", Config{CAKey: Secret("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=")}, key, ""},
		{"env beats file", Config{CAKey: Secret(key), CAKeyFile: short}, key, ""},
		{"raw file", Config{CAKeyFile: raw}, strings.Repeat("6b", 32), ""},
		{"hex file", Config{CAKeyFile: hexFile}, key, ""},
		{"short file", Config{CAKeyFile: short}, "", "want a 32-byte key"},
		{"missing file", Config{CAKeyFile: filepath.Join(dir, "none")}, "", "CA key file"},
		{"short env", Config{CAKey: "abcd"}, "", "IOTSEC_CA_KEY"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.KEK()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("KEK() error = %v, want it to say %q", err, tt.err)
				}
				return
			}
			if err != nil || fmt.Sprintf("%x", got) != tt.want && !(tt.want == "" && got == nil) {
				t.Errorf("KEK() = %x, %v; want %s", got, err, tt.want)
			}
		})
	}
	// The key never shows in printed or encoded configuration.
	c := Config{CAKey: Secret(key)}
	b, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), string(b)} {
		if strings.Contains(s, key) {
			t.Errorf("the CA key leaks: %s", s)
		}
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	Flags(fs, true)
	got, err := Load(fs, func(k string) string { return map[string]string{"IOTSEC_CA_KEY": key}[k] })
	if err != nil || string(got.CAKey) != key {
		t.Errorf("Load with IOTSEC_CA_KEY: %v", err)
	}
}
