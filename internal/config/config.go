// Package config holds iotsec's settings: defaults, then a JSON file, then
// IOTSEC_* environment variables, then command-line flags, each overriding
// the one before. It has no package-level state; the CLI builds a Config
// and hands it to the app.
//
// It must not import any other package of the module.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Config is every setting of the server and the commands that open the
// database.
type Config struct {
	Addr          string        `json:"addr"`           // where to listen
	Data          string        `json:"data"`           // directory for the SQLite database
	Database      string        `json:"database"`       // "" (SQLite in Data), a SQLite file path, or postgres://...
	BaseURL       string        `json:"base_url"`       // how users reach the server; for links iotsec prints
	Workers       int           `json:"workers"`        // jobs run at once by this process
	SecureCookies string        `json:"secure_cookies"` // auto, always or never
	TrustProxy    bool          `json:"trust_proxy"`    // take the client address from X-Forwarded-For
	SessionTTL    time.Duration `json:"session_ttl"`
	MaxBody       int64         `json:"max_body"`  // JSON request bodies, bytes
	MaxImage      int64         `json:"max_image"` // firmware image uploads, bytes
	// ScanMaxBytes caps what one server scan may unpack, whatever the
	// image's size (which allows 20 times itself, at least 64 MiB).
	ScanMaxBytes int64 `json:"scan_max_bytes"`
	// ScansPerOrg is how many scans one organisation may run at once;
	// the others wait in the queue. ImportsPerOrg and MatchesPerOrg are
	// the same for device imports and for re-matches. The bounds hold
	// across replicas: the slots are counted in the database.
	ScansPerOrg   int `json:"scans_per_org"`
	ImportsPerOrg int `json:"imports_per_org"`
	MatchesPerOrg int `json:"matches_per_org"`
	// Each organisation's share of the expensive requests (uploads,
	// imports, re-matches; API and web forms alike), per replica: FairRate
	// a second after a burst of FairBurst, and at most FairInFlight at
	// once. Past them the answer is 429 with Retry-After.
	FairRate     float64 `json:"fair_rate"`
	FairBurst    int     `json:"fair_burst"`
	FairInFlight int     `json:"fair_in_flight"`
	// AuditHeadDir, when set, is where the server writes every hour each
	// organisation's signed audit head (ORG-ID/SEQ.head), for `iotsec
	// audit verify --org ORG --head FILE`; keep it off the database's
	// storage.
	AuditHeadDir string `json:"audit_head_dir"`
	LogLevel     string `json:"log_level"`
	LogFormat    string `json:"log_format"` // text or json
	// CAKeyFile holds the key that encrypts CA private keys at rest (32
	// bytes: raw, hex or base64). CAKey is the same key given in the
	// environment (IOTSEC_CA_KEY); it never comes from a flag or the
	// settings file, and prints as [redacted].
	CAKeyFile string `json:"ca_key_file"`
	CAKey     Secret `json:"-"`
	// ESTAddr is where the EST server listens with TLS ("" for none);
	// ESTCert and ESTKey are PEM files of its certificate and key (empty:
	// a certificate from the organisation's CA, when there is one CA).
	ESTAddr string `json:"est_addr"`
	ESTCert string `json:"est_cert"`
	ESTKey  string `json:"est_key"`
	// SMTPAddr (host:port) relays e-mail notifications; SMTPFrom is their
	// sender; SMTPUser and SMTPPassword (environment only) authenticate.
	SMTPAddr     string `json:"smtp_addr"`
	SMTPFrom     string `json:"smtp_from"`
	SMTPUser     string `json:"smtp_user"`
	SMTPPassword Secret `json:"-"`
	// The publisher of the CSAF documents iotsec writes (CSAF 2.0
	// document.publisher). CSAFPublisherName "" is the organisation's own
	// name; CSAFNamespace "" is the base URL (PublisherNamespace), and it
	// is also where OpenVEX document IDs live; CSAFPublisherCategory is
	// one of CSAF's publisher categories, "vendor" by default.
	CSAFPublisherName     string `json:"csaf_publisher_name"`
	CSAFNamespace         string `json:"csaf_namespace"`
	CSAFPublisherCategory string `json:"csaf_publisher_category"`
	// SourceDate, from SOURCE_DATE_EPOCH (seconds since 1970, see
	// reproducible-builds.org), is the creation time written documents
	// carry instead of the current time; zero when unset.
	SourceDate time.Time `json:"-"`
}

// Secret is a setting that must not be printed or logged.
type Secret string

func (Secret) String() string   { return "[redacted]" }
func (Secret) GoString() string { return "[redacted]" }

// MarshalText keeps the secret out of any encoding of the Config.
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// KEKSize is the size of the CA key-encryption key (AES-256).
const KEKSize = 32

// KEK returns the CA key-encryption key from IOTSEC_CA_KEY or the key file,
// or nil when neither is set.
func (c Config) KEK() ([]byte, error) {
	src, what := string(c.CAKey), "IOTSEC_CA_KEY"
	if src == "" && c.CAKeyFile != "" {
		b, err := os.ReadFile(c.CAKeyFile)
		if err != nil {
			return nil, fmt.Errorf("CA key file: %w", err)
		}
		if len(b) == KEKSize {
			return b, nil
		}
		src, what = string(b), "CA key file "+c.CAKeyFile
	}
	if src == "" {
		return nil, nil
	}
	src = strings.TrimSpace(src)
	if b, err := hex.DecodeString(src); err == nil && len(b) == KEKSize {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(src); err == nil && len(b) == KEKSize {
		return b, nil
	}
	return nil, fmt.Errorf("%s: want a %d-byte key as 64 hex digits or base64 (iotsec ca keygen makes one)", what, KEKSize)
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr:          "localhost:8080",
		Data:          "iotsec-data",
		Workers:       2,
		SecureCookies: "auto",
		SessionTTL:    12 * time.Hour,
		MaxBody:       1 << 20,
		MaxImage:      512 << 20,
		ScanMaxBytes:  1 << 30,
		ScansPerOrg:   1,
		ImportsPerOrg: 1,
		MatchesPerOrg: 1,
		FairRate:      5,
		FairBurst:     60,
		FairInFlight:  8,
		LogLevel:      "info",
		LogFormat:     "text",

		CSAFPublisherCategory: "vendor",
	}
}

// setting binds one field to its flag and environment variable.
type setting struct {
	flag, env, usage string
	get              func(c *Config) string
	set              func(c *Config, v string) error
}

func str(p func(*Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *p(c) }, func(c *Config, v string) error { *p(c) = v; return nil }
}

func settings() []setting {
	s := func(flag, env, usage string, p func(*Config) *string) setting {
		g, st := str(p)
		return setting{flag, env, usage, g, st}
	}
	return []setting{
		s("addr", "IOTSEC_ADDR", "address to listen on (host:port; \":8080\" for every interface)", func(c *Config) *string { return &c.Addr }),
		s("data", "IOTSEC_DATA", "directory for the embedded SQLite database", func(c *Config) *string { return &c.Data }),
		s("database", "IOTSEC_DATABASE", "database: a SQLite file path, or a postgres:// URL (default: iotsec.db in the data directory)", func(c *Config) *string { return &c.Database }),
		s("base-url", "IOTSEC_BASE_URL", "URL users reach the server at, for links iotsec prints (default: http://ADDR)", func(c *Config) *string { return &c.BaseURL }),
		s("secure-cookies", "IOTSEC_SECURE_COOKIES", "mark cookies Secure: auto (when served over HTTPS), always or never", func(c *Config) *string { return &c.SecureCookies }),
		s("log-level", "IOTSEC_LOG_LEVEL", "log level: debug, info, warn or error", func(c *Config) *string { return &c.LogLevel }),
		s("log-format", "IOTSEC_LOG_FORMAT", "log format: text or json", func(c *Config) *string { return &c.LogFormat }),
		s("ca-key-file", "IOTSEC_CA_KEY_FILE", "file with the key that encrypts CA private keys at rest (or set IOTSEC_CA_KEY to the key itself)", func(c *Config) *string { return &c.CAKeyFile }),
		s("est-addr", "IOTSEC_EST_ADDR", "address of the EST enrolment server (TLS), e.g. :8443; empty for none", func(c *Config) *string { return &c.ESTAddr }),
		s("est-cert", "IOTSEC_EST_CERT", "PEM certificate (chain) of the EST server (default: issued by the organisation's CA)", func(c *Config) *string { return &c.ESTCert }),
		s("smtp-addr", "IOTSEC_SMTP_ADDR", "SMTP relay (host:port) for e-mail notifications; empty for none", func(c *Config) *string { return &c.SMTPAddr }),
		s("smtp-from", "IOTSEC_SMTP_FROM", "sender address of e-mail notifications", func(c *Config) *string { return &c.SMTPFrom }),
		s("smtp-user", "IOTSEC_SMTP_USER", "SMTP user (the password comes from IOTSEC_SMTP_PASSWORD)", func(c *Config) *string { return &c.SMTPUser }),
		s("csaf-publisher-name", "IOTSEC_CSAF_PUBLISHER_NAME", "publisher name in CSAF documents (default: the organisation's name)", func(c *Config) *string { return &c.CSAFPublisherName }),
		s("csaf-namespace", "IOTSEC_CSAF_NAMESPACE", "publisher namespace URL in CSAF documents and base of OpenVEX document IDs (default: the base URL)", func(c *Config) *string { return &c.CSAFNamespace }),
		s("csaf-publisher-category", "IOTSEC_CSAF_PUBLISHER_CATEGORY", "publisher category in CSAF documents: coordinator, discoverer, other, translator, user or vendor", func(c *Config) *string { return &c.CSAFPublisherCategory }),
		s("est-key", "IOTSEC_EST_KEY", "PEM private key of the EST server certificate", func(c *Config) *string { return &c.ESTKey }),
		{"workers", "IOTSEC_WORKERS", "background jobs this process runs at once (0: none, web only)",
			func(c *Config) string { return strconv.Itoa(c.Workers) },
			func(c *Config, v string) error { n, err := strconv.Atoi(v); c.Workers = n; return err }},
		{"trust-proxy", "IOTSEC_TRUST_PROXY", "take the client address from X-Forwarded-For (only behind a proxy you run)",
			func(c *Config) string { return strconv.FormatBool(c.TrustProxy) },
			func(c *Config, v string) error { b, err := strconv.ParseBool(v); c.TrustProxy = b; return err }},
		{"session-ttl", "IOTSEC_SESSION_TTL", "how long a browser session lasts",
			func(c *Config) string { return c.SessionTTL.String() },
			func(c *Config, v string) error { d, err := time.ParseDuration(v); c.SessionTTL = d; return err }},
		{"max-body", "IOTSEC_MAX_BODY", "largest JSON request body, in bytes",
			func(c *Config) string { return strconv.FormatInt(c.MaxBody, 10) },
			func(c *Config, v string) error { n, err := strconv.ParseInt(v, 10, 64); c.MaxBody = n; return err }},
		{"max-image", "IOTSEC_MAX_IMAGE", "largest firmware image upload, in bytes",
			func(c *Config) string { return strconv.FormatInt(c.MaxImage, 10) },
			func(c *Config, v string) error { n, err := strconv.ParseInt(v, 10, 64); c.MaxImage = n; return err }},
		{"scan-max-bytes", "IOTSEC_SCAN_MAX_BYTES", "most bytes one scan may unpack (each scan may unpack 20 times its image, at least 64 MiB, never more than this)",
			func(c *Config) string { return strconv.FormatInt(c.ScanMaxBytes, 10) },
			func(c *Config, v string) error { n, err := strconv.ParseInt(v, 10, 64); c.ScanMaxBytes = n; return err }},
		{"scans-per-org", "IOTSEC_SCANS_PER_ORG", "scans one organisation may run at once",
			func(c *Config) string { return strconv.Itoa(c.ScansPerOrg) },
			func(c *Config, v string) error { n, err := strconv.Atoi(v); c.ScansPerOrg = n; return err }},
		{"imports-per-org", "IOTSEC_IMPORTS_PER_ORG", "device imports one organisation may run at once",
			func(c *Config) string { return strconv.Itoa(c.ImportsPerOrg) },
			func(c *Config, v string) error { n, err := strconv.Atoi(v); c.ImportsPerOrg = n; return err }},
		{"matches-per-org", "IOTSEC_MATCHES_PER_ORG", "re-match jobs one organisation may run at once",
			func(c *Config) string { return strconv.Itoa(c.MatchesPerOrg) },
			func(c *Config, v string) error { n, err := strconv.Atoi(v); c.MatchesPerOrg = n; return err }},
		{"fair-rate", "IOTSEC_FAIR_RATE", "uploads, imports and re-matches one organisation may send per second, after a burst (per replica)",
			func(c *Config) string { return strconv.FormatFloat(c.FairRate, 'g', -1, 64) },
			func(c *Config, v string) error { f, err := strconv.ParseFloat(v, 64); c.FairRate = f; return err }},
		{"fair-burst", "IOTSEC_FAIR_BURST", "uploads, imports and re-matches one organisation may send at once before fair-rate applies",
			func(c *Config) string { return strconv.Itoa(c.FairBurst) },
			func(c *Config, v string) error { n, err := strconv.Atoi(v); c.FairBurst = n; return err }},
		{"fair-in-flight", "IOTSEC_FAIR_IN_FLIGHT", "uploads, imports and re-matches of one organisation the server handles at once (per replica)",
			func(c *Config) string { return strconv.Itoa(c.FairInFlight) },
			func(c *Config, v string) error { n, err := strconv.Atoi(v); c.FairInFlight = n; return err }},
		{"audit-head-dir", "IOTSEC_AUDIT_HEAD_DIR", "directory the server writes each organisation's signed audit head to every hour (ORG-ID/SEQ.head)",
			func(c *Config) string { return c.AuditHeadDir },
			func(c *Config, v string) error { c.AuditHeadDir = v; return nil }},
	}
}

// Flags registers the database flags (data, database) on fs; Server adds
// the rest. Values are read back by Load.
func Flags(fs *pflag.FlagSet, server bool) {
	def := Default()
	fs.String("config", "", "JSON file with settings (env IOTSEC_CONFIG)")
	for _, s := range settings() {
		if !server && !offline(s.flag) {
			continue
		}
		fs.String(s.flag, s.get(&def), s.usage+" (env "+s.env+")")
	}
}

// offline says whether a setting also applies to the commands that open
// the database without serving (they write documents too).
func offline(flag string) bool {
	switch flag {
	case "data", "database", "base-url", "log-level", "log-format", "csaf-publisher-name", "csaf-namespace", "csaf-publisher-category":
		return true
	}
	return false
}

// CAFlags registers --ca-key-file, for commands that use a CA's key.
func CAFlags(fs *pflag.FlagSet) {
	for _, s := range settings() {
		if s.flag == "ca-key-file" {
			fs.String(s.flag, "", s.usage+" (env "+s.env+")")
		}
	}
}

// Load builds the configuration: defaults, the file named by --config or
// IOTSEC_CONFIG, the environment, then the flags set on fs.
func Load(fs *pflag.FlagSet, getenv func(string) string) (Config, error) {
	c := Default()
	path := getenv("IOTSEC_CONFIG")
	if f := fs.Lookup("config"); f != nil && f.Changed {
		path = f.Value.String()
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config file: %w", err)
		}
		if err := decodeFile(b, &c); err != nil {
			return c, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	c.CAKey = Secret(getenv("IOTSEC_CA_KEY"))
	c.SMTPPassword = Secret(getenv("IOTSEC_SMTP_PASSWORD"))
	if v := getenv("SOURCE_DATE_EPOCH"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 253402300799 {
			return c, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970-01-01 UTC", v)
		}
		c.SourceDate = time.Unix(n, 0).UTC()
	}
	for _, s := range settings() {
		if v := getenv(s.env); v != "" {
			if err := s.set(&c, v); err != nil {
				return c, fmt.Errorf("%s=%q: %w", s.env, v, err)
			}
		}
		if f := fs.Lookup(s.flag); f != nil && f.Changed {
			if err := s.set(&c, f.Value.String()); err != nil {
				return c, fmt.Errorf("--%s=%q: %w", s.flag, f.Value.String(), err)
			}
		}
	}
	return c, c.Validate()
}

// decodeFile reads a JSON settings file; durations are strings ("12h").
func decodeFile(b []byte, c *Config) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	byName := map[string]setting{}
	for _, s := range settings() {
		byName[strings.ReplaceAll(s.flag, "-", "_")] = s
	}
	for k, v := range raw {
		s, ok := byName[k]
		if !ok {
			return fmt.Errorf("unknown setting %q", k)
		}
		var val any
		if err := json.Unmarshal(v, &val); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		if err := s.set(c, fmt.Sprint(val)); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// Validate checks the settings fit together.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want host:port", c.Addr))
	}
	switch c.SecureCookies {
	case "auto", "always", "never":
	default:
		errs = append(errs, fmt.Errorf("secure-cookies %q: want auto, always or never", c.SecureCookies))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: want text or json", c.LogFormat))
	}
	if c.Workers < 0 || c.Workers > 64 {
		errs = append(errs, fmt.Errorf("workers %d: want 0 to 64", c.Workers))
	}
	if c.SessionTTL < time.Minute {
		errs = append(errs, fmt.Errorf("session-ttl %v: want at least a minute", c.SessionTTL))
	}
	if c.MaxBody < 1024 {
		errs = append(errs, fmt.Errorf("max-body %d: want at least 1024", c.MaxBody))
	}
	if c.MaxImage < 1<<20 || c.MaxImage > 4<<30 {
		errs = append(errs, fmt.Errorf("max-image %d: want 1 MiB to 4 GiB", c.MaxImage))
	}
	if c.ScanMaxBytes < 64<<20 || c.ScanMaxBytes > 4<<30 {
		errs = append(errs, fmt.Errorf("scan-max-bytes %d: want 64 MiB to 4 GiB", c.ScanMaxBytes))
	}
	for _, n := range []struct {
		flag string
		v    int
	}{{"scans-per-org", c.ScansPerOrg}, {"imports-per-org", c.ImportsPerOrg}, {"matches-per-org", c.MatchesPerOrg}} {
		if n.v < 1 || n.v > 64 {
			errs = append(errs, fmt.Errorf("%s %d: want 1 to 64", n.flag, n.v))
		}
	}
	if !(c.FairRate >= 0.01 && c.FairRate <= 10000) {
		errs = append(errs, fmt.Errorf("fair-rate %v: want 0.01 to 10000 requests a second", c.FairRate))
	}
	if c.FairBurst < 1 || c.FairBurst > 100000 {
		errs = append(errs, fmt.Errorf("fair-burst %d: want 1 to 100000", c.FairBurst))
	}
	if c.FairInFlight < 1 || c.FairInFlight > 1024 {
		errs = append(errs, fmt.Errorf("fair-in-flight %d: want 1 to 1024", c.FairInFlight))
	}
	if c.ESTAddr != "" {
		if _, _, err := net.SplitHostPort(c.ESTAddr); err != nil {
			errs = append(errs, fmt.Errorf("est-addr %q: want host:port", c.ESTAddr))
		}
	}
	switch c.CSAFPublisherCategory {
	case "coordinator", "discoverer", "other", "translator", "user", "vendor":
	default:
		errs = append(errs, fmt.Errorf("csaf-publisher-category %q: want coordinator, discoverer, other, translator, user or vendor", c.CSAFPublisherCategory))
	}
	if c.CSAFNamespace != "" {
		if u, err := url.Parse(c.CSAFNamespace); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("csaf-namespace %q: want an absolute http(s) URL", c.CSAFNamespace))
		} else if strings.HasSuffix(strings.ToLower(u.Hostname()), ".invalid") {
			errs = append(errs, fmt.Errorf("csaf-namespace %q: .invalid names never resolve; give the URL you publish under", c.CSAFNamespace))
		}
	}
	if (c.ESTCert == "") != (c.ESTKey == "") {
		errs = append(errs, errors.New("est-cert and est-key go together"))
	}
	return errors.Join(errs...)
}

// IsPostgres reports whether Database names a PostgreSQL server.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://")
}

// SQLitePath is the SQLite file to use when not on PostgreSQL.
func (c Config) SQLitePath() string {
	if c.Database != "" {
		return strings.TrimPrefix(c.Database, "sqlite:")
	}
	return filepath.Join(c.Data, "iotsec.db")
}

// URL is the base URL users reach the server at.
func (c Config) URL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return "http://" + c.Addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// PublisherNamespace is the namespace of the documents iotsec writes:
// CSAFNamespace, else the base URL (URL), never a placeholder.
func (c Config) PublisherNamespace() string {
	if c.CSAFNamespace != "" {
		return strings.TrimRight(c.CSAFNamespace, "/")
	}
	return c.URL()
}

// Redacted returns a DSN safe to log or print.
func (c Config) Redacted() string {
	if !c.IsPostgres() {
		return c.SQLitePath()
	}
	s := c.Database
	if at := strings.LastIndex(s, "@"); at > 0 {
		if i := strings.Index(s, "://"); i > 0 && i+3 < at {
			if colon := strings.Index(s[i+3:at], ":"); colon >= 0 {
				return s[:i+3+colon] + ":***" + s[at:]
			}
		}
	}
	return s
}
