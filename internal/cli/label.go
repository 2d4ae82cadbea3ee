package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/registry"
)

// Limits on what `label verify --jwks URL` fetches.
const (
	jwksFetchTimeout = 10 * time.Second
	jwksMaxSize      = 64 << 10
)

func newLabel(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "label",
		Short: "Check product security labels of the registry",
		Example: `  iotsec label verify LABEL.json
  iotsec label verify LABEL.json --jwks https://registry.example/registry/jwks.json -o json
  iotsec label show Xy3... --out LABEL.json
  iotsec label qr Xy3... --out label.png`,
	}
	cmd.AddCommand(newLabelVerify(e), newLabelShow(e), newLabelQR(e), newLabelIssue(e))
	return cmd
}

// verdict is what `label verify` prints.
type verdict struct {
	Valid  bool   `json:"valid"`
	Status string `json:"status"`
	// Reason says why a label is under review or suspended.
	Reason   string             `json:"reason,omitempty"`
	Problems []registry.Problem `json:"problems"`
}

func newLabelVerify(e *env) *cobra.Command {
	var jwks, checkpoint, at, output string
	cmd := &cobra.Command{
		Use:   "verify LABEL.json",
		Short: "Verify a label document offline: signature, dates, status, inclusion in the log",
		Long: `Verify checks a label document (what /l/LABEL-ID.json serves and 'iotsec
label show --out' writes) without a database or the network: the label's
signature with the JWKS (the document's own, or --jwks: a file, or an
http(s) URL fetched once, at most 64 KiB within 10 s), its validity dates and
the maker's support period, the record's status (the label's and the
document's current one), and its inclusion proof against the signed
checkpoint it carries, verified with the log's key. A label with one changed
byte fails.

--checkpoint names a signed checkpoint of the log you hold (from GET
/log/checkpoint): the label's checkpoint must be the same tree; one of
another size needs a consistency proof (problem log.consistency-needed).

The result is {"valid": bool, "status": ..., "problems": [{"code": ...,
"detail": ...}]} with stable problem codes. The exit code is 0 when the label
is valid and 1 when it is not. Output is text on a terminal and JSON
otherwise, unless -o says.`,
		Example: `  iotsec label verify LABEL.json
  iotsec label verify LABEL.json --jwks https://registry.example/registry/jwks.json -o json
  iotsec label verify LABEL.json --checkpoint checkpoint.txt --at 2027-01-01`,
		Args: exactArgs(1, "one argument, the label document"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(e, output, "text")
			if err != nil {
				return err
			}
			opts := registry.VerifyOptions{Now: time.Now().UTC()}
			if at != "" {
				if opts.Now, err = parseAt(at); err != nil {
					return err
				}
			}
			doc, err := readLabelInput(e, args[0], "LABEL.json", registry.MaxDocumentSize)
			if err != nil {
				return err
			}
			if jwks != "" {
				if opts.JWKS, err = readJWKS(cmd.Context(), e, jwks); err != nil {
					return err
				}
			}
			if checkpoint != "" {
				if opts.Checkpoint, err = readLabelInput(e, checkpoint, "--checkpoint", 64<<10); err != nil {
					return err
				}
			}
			r := registry.VerifyLabel(doc, opts)
			v := verdict{Valid: r.Valid, Status: string(r.Status), Reason: strings.Join(r.Reasons, "; "), Problems: r.Problems}
			if format == "json" {
				err = writeJSON(e.stdout, v)
			} else {
				err = printLabelVerdict(e.stdout, v, r.Label)
			}
			if err != nil {
				return err
			}
			if !r.Valid {
				return checkFailed{"the label is not valid"}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&jwks, "jwks", "", "the registry's JWKS: a file or an http(s) URL (default: the document's)")
	f.StringVar(&checkpoint, "checkpoint", "", "a signed checkpoint of the log you hold")
	f.StringVar(&at, "at", "", "check at this time, RFC 3339 or a date (default now)")
	f.StringVarP(&output, "output", "o", "", "output: text or json (default text on a terminal, json otherwise)")
	return cmd
}

func printLabelVerdict(w io.Writer, v verdict, c *registry.Claims) error {
	word := "VALID"
	if !v.Valid {
		word = "NOT VALID"
	}
	fmt.Fprintf(w, "%s (status: %s)\n", word, strings.ReplaceAll(v.Status, "_", " "))
	if v.Reason != "" {
		fmt.Fprintf(w, "why: %s\n", v.Reason)
	}
	if c != nil {
		level := ""
		if c.Level != "" {
			level = " level " + c.Level
		}
		fmt.Fprintf(w, "%s %s (%s) firmware %s by %s: %s%s, granted by %s, valid %s to %s\n",
			c.LabelID, c.ProductName, c.Model, c.FirmwareVersion, c.Maker.Name, c.Scheme.Slug, level, c.GrantedBy.Name,
			c.ValidFrom.Format(time.DateOnly), c.ValidUntil.Format(time.DateOnly))
	}
	for _, p := range v.Problems {
		fmt.Fprintf(w, "  %s: %s\n", p.Code, p.Detail)
	}
	return nil
}

// readLimited reads a file (or - for standard input) of at most limit
// bytes.
func readLabelInput(e *env, name, what string, limit int64) ([]byte, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, usagef("%s: %v", what, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, usagef("%s: %v", what, err)
	}
	if int64(len(b)) > limit {
		return nil, usagef("%s: more than %d bytes", what, limit)
	}
	return b, nil
}

// readJWKS reads --jwks from a file, or fetches it once from an http(s)
// URL, bounded in time and size.
func readJWKS(ctx context.Context, e *env, src string) ([]byte, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		return readLabelInput(e, src, "--jwks", jwksMaxSize)
	}
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, usagef("--jwks: %v", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("--jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("--jwks: %s answered %s", src, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("--jwks: %w", err)
	}
	if len(b) > jwksMaxSize {
		return nil, fmt.Errorf("--jwks: %s sent more than %d bytes", src, jwksMaxSize)
	}
	return b, nil
}
