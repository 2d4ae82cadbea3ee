package identity

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki"
	"github.com/iotsec/iotsec/internal/pki/ca"
	"github.com/iotsec/iotsec/internal/pki/est"
)

// mayEnrol are the states a device may get an LDevID in.
func mayEnrol() []iotsec.State {
	var out []iotsec.State
	for _, st := range pki.States() {
		if st.MayEnrol() {
			out = append(out, iotsec.State(st))
		}
	}
	return out
}

// policy is the subject policy of LDevIDs: the CSR subject must carry the
// registered device's unique ID as its serialNumber (or, without one, as
// its common name), and carries no subject alternative names. The issued
// certificate keeps the CSR's subject byte for byte, so renewals (which
// RFC 7030 requires to repeat it) match, and points to the CA's CRL, OCSP
// responder and certificate when the server's URL is known.
func (s *Service) policy(d iotsec.Device, rec iotsec.CertAuthority) ca.Policy {
	return func(csr *x509.CertificateRequest, tpl *x509.Certificate) error {
		sn, cn := csr.Subject.SerialNumber, csr.Subject.CommonName
		if sn != d.UID && (sn != "" || cn != d.UID) {
			return fmt.Errorf("%w: the CSR subject must carry the device's unique ID %q as serialNumber (or as CN without a serialNumber); it has serialNumber %q, CN %q",
				ca.ErrPolicy, d.UID, sn, cn)
		}
		if n := len(csr.DNSNames) + len(csr.IPAddresses) + len(csr.URIs) + len(csr.EmailAddresses); n > 0 {
			return fmt.Errorf("%w: the CSR asks for %d subject alternative names; device certificates carry none", ca.ErrPolicy, n)
		}
		tpl.RawSubject = csr.RawSubject
		if base := strings.TrimRight(s.BaseURL, "/"); base != "" {
			p := base + "/pki/" + rec.Label
			tpl.CRLDistributionPoints = []string{p + "/crl"}
			tpl.OCSPServer = []string{p + "/ocsp"}
			tpl.IssuingCertificateURL = []string{p + "/ca.crt"}
		}
		return nil
	}
}

// issue signs an LDevID for device d and records it (spending token, if
// any), moving a provisioned device to operational.
func (s *Service) issue(ctx context.Context, a iotsec.Actor, d iotsec.Device, csr *x509.CertificateRequest, via string, token []byte) (iotsec.DeviceCert, *x509.Certificate, error) {
	if !stateOf(d.State).MayEnrol() {
		return iotsec.DeviceCert{}, nil, iotsec.Conflict("the device is %s; only provisioned and operational devices get operational certificates", d.State)
	}
	rec, err := s.caOf(ctx, a)
	if isNotFound(err) {
		return iotsec.DeviceCert{}, nil, iotsec.Conflict("this organisation has no certificate authority yet; create one first (iotsec ca init)")
	}
	if err != nil {
		return iotsec.DeviceCert{}, nil, err
	}
	e, err := s.open(rec)
	if err != nil {
		return iotsec.DeviceCert{}, nil, err
	}
	// Every CSR here came through est.ParseCSR, which checked its
	// signature (proof of possession).
	cert, err := e.ca.Issue(csr, ca.IssueOptions{Validity: s.LDevIDValidity, Policy: s.policy(d, rec), CSRVerified: true})
	if err != nil {
		return iotsec.DeviceCert{}, nil, err
	}
	c := record(cert, iotsec.CertLDevID, "x509", via)
	c.CAID = rec.ID
	err = s.Store.RecordEnrolment(ctx, a, &iotsec.Enrolment{DeviceID: d.ID, Cert: &c, TokenHash: token,
		From: mayEnrol(), To: iotsec.StateOperational})
	return c, cert, err
}

// Issue signs an LDevID from a CSR (PEM, base64 or DER) for a device, as
// EST would, for operators who enrol devices by hand.
func (s *Service) Issue(ctx context.Context, a iotsec.Actor, deviceID string, csrData []byte, via string) (iotsec.DeviceCert, error) {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return iotsec.DeviceCert{}, err
	}
	d, err := s.Store.GetDevice(ctx, a, deviceID)
	if err != nil {
		return iotsec.DeviceCert{}, err
	}
	csr, err := ParseCSR(csrData)
	if err != nil {
		return iotsec.DeviceCert{}, err
	}
	c, _, err := s.issue(ctx, a, d, csr, via, nil)
	return c, issueError(err)
}

// issueError turns the CA's refusals into input errors about the CSR.
func issueError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ca.ErrPolicy), errors.Is(err, ca.ErrWeakKey), errors.Is(err, ca.ErrProofOfPossession):
		return &iotsec.Error{Kind: iotsec.ErrInvalid, Field: "csr", Message: err.Error()}
	}
	return err
}

// ParseCSR reads a PKCS#10 request as PEM, base64 or DER, checking its
// signature.
func ParseCSR(data []byte) (*x509.CertificateRequest, error) {
	if len(data) > est.MaxBody {
		return nil, &iotsec.Error{Kind: iotsec.ErrTooLarge, Field: "csr", Message: fmt.Sprintf("is larger than %d bytes", est.MaxBody)}
	}
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "CERTIFICATE REQUEST" && b.Type != "NEW CERTIFICATE REQUEST" {
			return nil, iotsec.Invalid("csr", "PEM block is %q, want CERTIFICATE REQUEST", b.Type)
		}
		data = b.Bytes
	}
	csr, err := est.ParseCSR(data)
	if err != nil {
		return nil, iotsec.Invalid("csr", "%v", err)
	}
	return csr, nil
}
