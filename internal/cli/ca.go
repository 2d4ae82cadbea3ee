package cli

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func newCA(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "The organisation's certificate authority: create it, issue, revoke, publish CRLs",
		Long: `Each organisation has one certificate authority, which issues its devices'
operational certificates (LDevIDs), over EST or here from a CSR. Its private
key is stored encrypted (AES-256-GCM) under a key-encryption key that never
enters the database: give it as a file (--ca-key-file, IOTSEC_CA_KEY_FILE) or
in the environment (IOTSEC_CA_KEY), the same on every server and command that
signs. 'iotsec ca keygen' makes one.

The CA's certificate, CRL and OCSP responder are public on the server at
/pki/LABEL/ca.crt, /pki/LABEL/crl and /pki/LABEL/ocsp.`,
		Example: `  iotsec ca keygen /etc/iotsec/ca.key
  iotsec ca init --org Acme --ca-key-file /etc/iotsec/ca.key
  iotsec ca issue --org Acme --device SN-0001 --csr sn-0001.csr --ca-key-file /etc/iotsec/ca.key`,
	}
	cmd.AddCommand(newCAKeygen(e), newCAInit(e), newCACert(e), newCAIssue(e), newCARevoke(e), newCACRL(e))
	return cmd
}

func newCAKeygen(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "keygen FILE",
		Short: "Write a new random key-encryption key for CA keys",
		Long: `Keygen writes 32 random bytes, hex-encoded, to FILE (mode 0600; it refuses to
overwrite). Keep the file safe and backed up apart from the database: without
it, the CA keys in the database cannot be used.`,
		Example: "  iotsec ca keygen /etc/iotsec/ca.key\n  IOTSEC_CA_KEY=$(cat /etc/iotsec/ca.key) iotsec serve --est-addr :8443",
		Args:    exactArgs(1, "one argument, the file to write"),
		RunE: func(cmd *cobra.Command, args []string) error {
			key := make([]byte, config.KEKSize)
			if _, err := rand.Read(key); err != nil {
				return err
			}
			f, err := os.OpenFile(args[0], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if errors.Is(err, os.ErrExist) {
				return iotsec.Conflict("%s exists; keygen does not overwrite a key", args[0])
			}
			if err != nil {
				return usagef("%v", err)
			}
			if _, err := fmt.Fprintln(f, hex.EncodeToString(key)); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote a new CA key-encryption key to %s\n", args[0])
			return nil
		},
	}
}

func caFlags(cmd *cobra.Command, org *string) {
	cmd.Flags().StringVar(org, "org", "", "organisation (ID or name)")
	config.Flags(cmd.Flags(), false)
	config.CAFlags(cmd.Flags())
}

func newCAInit(e *env) *cobra.Command {
	var org, name, label, alg string
	var validity time.Duration
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the organisation's certificate authority",
		Long: `Init creates the organisation's CA: a new key (ECDSA P-256 unless --algorithm
says otherwise), a self-signed certificate, and the key sealed under the
key-encryption key. LABEL names the CA in URLs (/.well-known/est/LABEL/,
/pki/LABEL/crl); it defaults to the organisation's name.`,
		Example: `  iotsec ca init --org Acme --ca-key-file ca.key
  iotsec ca init --org Acme --name "Acme Devices Issuing CA" --label acme --algorithm ecdsa-p384`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			c, err := ie.svc.InitCA(cmd.Context(), ie.actor, identity.CAOptions{Name: name, Label: label, Algorithm: identity.Algorithm(alg), Validity: validity})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created CA %s for %s: %s (%s), valid until %s\nSHA-256 %s\nEST: /.well-known/est/%s/  CRL: /pki/%s/crl  OCSP: /pki/%s/ocsp\n",
				c.Label, ie.org.Name, c.Subject, c.Algorithm, c.NotAfter.Format(time.DateOnly), c.Fingerprint, c.Label, c.Label, c.Label)
			return nil
		},
	}
	caFlags(cmd, &org)
	cmd.Flags().StringVar(&name, "name", "", "common name (default: \"<organisation> Device CA\")")
	cmd.Flags().StringVar(&label, "label", "", "label in URLs (default: from the organisation's name)")
	cmd.Flags().StringVar(&alg, "algorithm", string(identity.ECDSAP256), "ecdsa-p256, ecdsa-p384 or ed25519 (no OCSP)")
	cmd.Flags().DurationVar(&validity, "validity", identity.DefaultCAValidity, "lifetime of the CA certificate")
	return cmd
}

func newCACert(e *env) *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:     "cert",
		Short:   "Print the CA certificate (PEM), for devices' and servers' trust stores",
		Example: "  iotsec ca cert --org Acme > acme-ca.pem",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			c, err := ie.svc.CA(cmd.Context(), ie.actor)
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(identity.PEM(c.DER))
			return err
		},
	}
	caFlags(cmd, &org)
	return cmd
}

func newCAIssue(e *env) *cobra.Command {
	var org, device, csrFile, output string
	cmd := &cobra.Command{
		Use:   "issue --device DEVICE --csr FILE",
		Short: "Issue a device's operational certificate (LDevID) from a CSR",
		Long: `Issue signs an LDevID from a PKCS#10 request (PEM or DER), as EST would: the
device must be provisioned or operational (a provisioned device becomes
operational), and the CSR subject must carry the device's unique ID as its
serialNumber (or as CN without one). It prints the certificate as PEM, or the
record as JSON with -o json.`,
		Example: `  iotsec ca issue --org Acme --device SN-0001 --csr sn-0001.csr > sn-0001.pem
  openssl req -new -key dev.key -subj "/serialNumber=SN-0002/CN=sensor" | iotsec ca issue --org Acme --device SN-0002 --csr -`,
		Args: exactArgs(0, "no arguments; use --device and --csr"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if device == "" || csrFile == "" {
				return usagef("--device and --csr are required")
			}
			if output != "pem" && output != "json" {
				return usagef("-o must be pem or json")
			}
			b, err := readInput(e, csrFile, "--csr")
			if err != nil {
				return err
			}
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			d, err := ie.device(cmd.Context(), device)
			if err != nil {
				return err
			}
			c, err := ie.svc.Issue(cmd.Context(), ie.actor, d.ID, b, "cli")
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(e.stdout, c)
			}
			fmt.Fprintf(e.stderr, "issued LDevID %s (serial %s) for %s, valid until %s\n", c.ID, c.Serial, d.UID, c.NotAfter.Format(time.RFC3339))
			_, err = e.stdout.Write(identity.PEM(c.DER))
			return err
		},
	}
	caFlags(cmd, &org)
	cmd.Flags().StringVar(&device, "device", "", "device: unique ID or registry ID")
	cmd.Flags().StringVar(&csrFile, "csr", "", "the CSR, PEM or DER (- for standard input)")
	cmd.Flags().StringVarP(&output, "output", "o", "pem", "output: pem or json")
	return cmd
}

func newCARevoke(e *env) *cobra.Command {
	var org, reason string
	cmd := &cobra.Command{
		Use:   "revoke CERTIFICATE",
		Short: "Revoke a certificate by registry ID or serial number",
		Long: `Revoke revokes a certificate for good: an LDevID of the organisation's CA (by
its registry ID crt_... or its serial number in hex), or a device's onboarding
identity (by registry ID), which then can no longer enrol. The CRL is
regenerated at once; OCSP answers "revoked" straight away. Reasons are RFC 5280
names: unspecified, keyCompromise, affiliationChanged, superseded,
cessationOfOperation, privilegeWithdrawn.`,
		Example: `  iotsec ca revoke 3F2A9C0D11E4B5A6C7D8E9F001122334 --org Acme --reason keyCompromise
  iotsec ca revoke crt_06h1... --org Acme`,
		Args: exactArgs(1, "one argument, the certificate's registry ID or serial"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			ref := args[0]
			if !strings.HasPrefix(ref, iotsec.PrefixCert+"_") {
				serial, ok := new(big.Int).SetString(strings.TrimPrefix(strings.ReplaceAll(ref, ":", ""), "0x"), 16)
				if !ok {
					return usagef("%q is neither a certificate ID (crt_...) nor a hex serial number", ref)
				}
				rec, err := ie.svc.CA(cmd.Context(), ie.actor)
				if err != nil {
					return err
				}
				c, err := ie.store.CertificateBySerial(cmd.Context(), rec.ID, strings.ToUpper(serial.Text(16)))
				if err != nil || c.OrgID != ie.org.ID {
					return iotsec.NotFound(fmt.Sprintf("certificate with serial %s of CA %s", strings.ToUpper(serial.Text(16)), rec.Label))
				}
				ref = c.ID
			}
			c, err := ie.svc.Revoke(cmd.Context(), ie.actor, ref, iotsec.RevocationReason(reason))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "revoked %s %s (serial %s, %s) as %s\n", c.Kind, c.ID, c.Serial, c.Subject, c.Reason)
			return nil
		},
	}
	caFlags(cmd, &org)
	cmd.Flags().StringVar(&reason, "reason", string(iotsec.ReasonUnspecified), "RFC 5280 reason")
	return cmd
}

func newCACRL(e *env) *cobra.Command {
	var org, out string
	var asPEM bool
	cmd := &cobra.Command{
		Use:   "crl",
		Short: "Write the CA's current CRL, regenerating it if it is stale",
		Long: `Crl brings the CA's CRL up to date (a new one is signed after any revocation,
and when half its 7-day validity has passed) and writes it: DER to --out, or
PEM to standard output with --pem. A summary goes to standard output.`,
		Example: `  iotsec ca crl --org Acme --out acme.crl
  iotsec ca crl --org Acme --pem | openssl crl -noout -text`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" && !asPEM {
				return usagef("give --out FILE or --pem")
			}
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			rec, err := ie.svc.CA(cmd.Context(), ie.actor)
			if err != nil {
				return err
			}
			c, err := ie.svc.CRL(cmd.Context(), rec)
			if err != nil {
				return err
			}
			if asPEM {
				_, err = e.stdout.Write(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: c.DER}))
				return err
			}
			if err := os.WriteFile(out, c.DER, 0o644); err != nil {
				return usagef("--out: %v", err)
			}
			rl, err := x509.ParseRevocationList(c.DER)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote CRL number %d of CA %s to %s: %d revoked, this update %s, next update %s\n",
				c.Number, rec.Label, out, len(rl.RevokedCertificateEntries), c.ThisUpdate.Format(time.RFC3339), c.NextUpdate.Format(time.RFC3339))
			return nil
		},
	}
	caFlags(cmd, &org)
	cmd.Flags().StringVar(&out, "out", "", "file to write the CRL to (DER)")
	cmd.Flags().BoolVar(&asPEM, "pem", false, "write the CRL as PEM to standard output")
	return cmd
}
