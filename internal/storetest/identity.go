package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// The store does not parse certificates (internal/pki does); the contract
// uses stand-in bytes with consistent fingerprints.

func hexSum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func anchor(seed string, kind iotsec.AnchorKind) iotsec.TrustAnchor {
	return iotsec.TrustAnchor{Kind: kind, Subject: "CN=" + seed + ",O=Maker", Fingerprint: hexSum("anchor:" + seed),
		NotBefore: Start.AddDate(-1, 0, 0), NotAfter: Start.AddDate(20, 0, 0), DER: []byte("der:" + seed)}
}

// cert is a certificate of kind for device; key names its key, so two
// certificates can share one.
func cert(kind iotsec.CertKind, device, seed, key string) iotsec.DeviceCert {
	fp := hexSum("cert:" + seed)
	c := iotsec.DeviceCert{DeviceID: device, Kind: kind, Profile: "idevid", Serial: strings.ToUpper(fp[:32]),
		Subject: "SERIALNUMBER=" + seed, Issuer: "CN=Maker Root", Fingerprint: fp, KeyFingerprint: hexSum("key:" + key),
		NotBefore: Start.AddDate(0, 0, -1), NotAfter: Start.AddDate(1, 0, 0), Via: "registered", DER: []byte("der:" + seed)}
	if kind == iotsec.CertLDevID {
		c.Profile, c.Via, c.Issuer = "x509", "api", "CN=Operator CA"
	}
	return c
}

func newCA(label string) iotsec.CertAuthority {
	return iotsec.CertAuthority{Label: label, Subject: "CN=" + label + " CA", Algorithm: "ecdsa-p256", Fingerprint: hexSum("ca:" + label),
		NotBefore: Start, NotAfter: Start.AddDate(20, 0, 0), DER: []byte("ca-der:" + label), SealedKey: []byte("sealed:" + label)}
}

func (f *fixture) ca(t *testing.T, a iotsec.Actor, label string) iotsec.CertAuthority {
	t.Helper()
	c := newCA(label)
	if err := f.s.CreateCA(f.ctx, a, &c); err != nil {
		t.Fatalf("CreateCA(%s): %v", label, err)
	}
	return c
}

func (f *fixture) addCert(t *testing.T, a iotsec.Actor, c iotsec.DeviceCert) iotsec.DeviceCert {
	t.Helper()
	if err := f.s.AddCertificate(f.ctx, a, &c); err != nil {
		t.Fatalf("AddCertificate(%s %s): %v", c.Kind, c.Subject, err)
	}
	return c
}

// provisioned is a device ready to enrol.
func (f *fixture) provisioned(t *testing.T, a iotsec.Actor, uid, product string) iotsec.Device {
	t.Helper()
	d := iotsec.Device{UID: uid, ProductID: product, State: iotsec.StateProvisioned}
	if err := f.s.CreateDevice(f.ctx, a, &d); err != nil {
		t.Fatalf("CreateDevice(%s): %v", uid, err)
	}
	return d
}

func testAnchors(t *testing.T, open Opener) {
	f := setup(t, open)
	root := anchor("Maker Root", iotsec.AnchorIDevIDRoot)
	wantKind(t, "AddAnchor", f.s.AddAnchor(f.ctx, f.A, &root), nil)
	if root.Name != "Maker Root" || root.OrgID != f.a.ID || !strings.HasPrefix(root.ID, "ta_") {
		t.Errorf("AddAnchor filled in %+v", root)
	}
	dup := anchor("Maker Root", iotsec.AnchorMatterPAA)
	err := f.s.AddAnchor(f.ctx, f.A, &dup)
	wantKind(t, "AddAnchor(same certificate)", err, iotsec.ErrConflict)
	wantField(t, "AddAnchor(same certificate)", err, "pem")
	wantKind(t, "AddAnchor(same certificate in B)", f.s.AddAnchor(f.ctx, f.B, &dup), nil)
	for _, tt := range []struct {
		name  string
		t     iotsec.TrustAnchor
		field string
	}{
		{"bad kind", func() iotsec.TrustAnchor { x := anchor("X", "root"); return x }(), "kind"},
		{"no DER", func() iotsec.TrustAnchor { x := anchor("Y", iotsec.AnchorMatterPAA); x.DER = nil; return x }(), "pem"},
		{"bad fingerprint", func() iotsec.TrustAnchor { x := anchor("Z", iotsec.AnchorMatterPAA); x.Fingerprint = "AB"; return x }(), "fingerprint"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.t
			err := f.s.AddAnchor(f.ctx, f.A, &x)
			wantKind(t, "AddAnchor", err, iotsec.ErrInvalid)
			wantField(t, "AddAnchor", err, tt.field)
		})
	}
	got, err := f.s.GetAnchor(f.ctx, f.A, root.ID)
	wantKind(t, "GetAnchor", err, nil)
	if diff := cmp.Diff(root, got); diff != "" {
		t.Errorf("GetAnchor (-want +got):\n%s", diff)
	}
	next := Start.AddDate(0, 0, 7)
	wantKind(t, "SetAnchorCRL", f.s.SetAnchorCRL(f.ctx, f.A, root.ID, []byte("crl"), next), nil)
	got, _ = f.s.GetAnchor(f.ctx, f.A, root.ID)
	if string(got.CRL) != "crl" || !got.CRLNextUpdate.Equal(next) {
		t.Errorf("after SetAnchorCRL: CRL %q next %v", got.CRL, got.CRLNextUpdate)
	}
	list, err := f.s.ListAnchors(f.ctx, f.A)
	wantKind(t, "ListAnchors", err, nil)
	if len(list) != 1 || list[0].ID != root.ID {
		t.Errorf("ListAnchors(A) = %+v", list)
	}
	wantKind(t, "DeleteAnchor", f.s.DeleteAnchor(f.ctx, f.A, root.ID), nil)
	_, err = f.s.GetAnchor(f.ctx, f.A, root.ID)
	wantKind(t, "GetAnchor(deleted)", err, iotsec.ErrNotFound)
	wantKind(t, "DeleteAnchor(again)", f.s.DeleteAnchor(f.ctx, f.A, root.ID), iotsec.ErrNotFound)
}

func testCAs(t *testing.T, open Opener) {
	f := setup(t, open)
	_, err := f.s.GetCA(f.ctx, f.A)
	wantKind(t, "GetCA(none yet)", err, iotsec.ErrNotFound)
	c := f.ca(t, f.A, "org-a")
	got, err := f.s.GetCA(f.ctx, f.A)
	wantKind(t, "GetCA", err, nil)
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("GetCA (-want +got):\n%s", diff)
	}
	if string(got.SealedKey) != "sealed:org-a" {
		t.Errorf("sealed key = %q", got.SealedKey)
	}
	second := newCA("org-a-2")
	wantKind(t, "CreateCA(second for A)", f.s.CreateCA(f.ctx, f.A, &second), iotsec.ErrConflict)
	taken := newCA("ORG-A")
	err = f.s.CreateCA(f.ctx, f.B, &taken)
	wantKind(t, "CreateCA(B with A's label)", err, iotsec.ErrConflict)
	wantField(t, "CreateCA(B with A's label)", err, "label")
	for _, label := range []string{"", "-a", "a-", "A B", "a_b", strings.Repeat("a", 64)} {
		bad := newCA(label)
		err := f.s.CreateCA(f.ctx, f.B, &bad)
		wantKind(t, "CreateCA(label "+label+")", err, iotsec.ErrInvalid)
	}
	f.ca(t, f.B, "org-b")
	byLabel, err := f.s.CAByLabel(f.ctx, "org-a")
	if err != nil || byLabel.ID != c.ID {
		t.Errorf("CAByLabel(org-a) = %v, %v", byLabel.ID, err)
	}
	_, err = f.s.CAByLabel(f.ctx, "nope")
	wantKind(t, "CAByLabel(nope)", err, iotsec.ErrNotFound)
	all, err := f.s.ListCAs(f.ctx)
	if err != nil || len(all) != 2 {
		t.Errorf("ListCAs = %d, %v; want 2", len(all), err)
	}
	// Only owners and admins create the CA.
	maker := iotsec.Actor{OrgID: f.b.ID, Role: iotsec.RoleMaker, Label: "m"}
	wantKind(t, "CreateCA as maker", f.s.CreateCA(f.ctx, maker, &second), iotsec.ErrForbidden)
}

func testCertificates(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "P-1")
	d := f.provisioned(t, f.A, "SN-1", p.ID)
	d2 := f.provisioned(t, f.A, "SN-2", p.ID)
	ca := f.ca(t, f.A, "org-a")

	idev := f.addCert(t, f.A, cert(iotsec.CertIDevID, d.ID, "SN-1", "k1"))
	if idev.Status != iotsec.CertActive || idev.OrgID != f.a.ID || idev.DeviceState != iotsec.StateProvisioned {
		t.Errorf("AddCertificate filled in %+v", idev)
	}
	again := cert(iotsec.CertIDevID, d.ID, "SN-1-other", "k9")
	wantKind(t, "AddCertificate(second IDevID)", f.s.AddCertificate(f.ctx, f.A, &again), iotsec.ErrConflict)
	// The same IDevID on a second device is allowed (the audit flags it).
	f.addCert(t, f.A, cert(iotsec.CertIDevID, d2.ID, "SN-1", "k1"))

	l := cert(iotsec.CertLDevID, d.ID, "L-1", "k2")
	l.CAID = ca.ID
	l = f.addCert(t, f.A, l)
	dupSerial := cert(iotsec.CertLDevID, d2.ID, "L-1", "k3")
	dupSerial.CAID = ca.ID
	wantKind(t, "AddCertificate(serial issued already)", f.s.AddCertificate(f.ctx, f.A, &dupSerial), iotsec.ErrConflict)
	bCA := f.ca(t, f.B, "org-b")
	foreign := cert(iotsec.CertLDevID, d.ID, "L-x", "k4")
	foreign.CAID = bCA.ID
	err := f.s.AddCertificate(f.ctx, f.A, &foreign)
	wantKind(t, "AddCertificate(B's CA)", err, iotsec.ErrInvalid)
	wantField(t, "AddCertificate(B's CA)", err, "ca_id")
	missing := cert(iotsec.CertIDevID, "dev_missing", "SN-9", "k5")
	wantKind(t, "AddCertificate(no such device)", f.s.AddCertificate(f.ctx, f.A, &missing), iotsec.ErrNotFound)
	noProfile := cert(iotsec.CertIDevID, d.ID, "SN-8", "k6")
	noProfile.Profile = "x509"
	wantKind(t, "AddCertificate(IDevID with profile x509)", f.s.AddCertificate(f.ctx, f.A, &noProfile), iotsec.ErrInvalid)

	got, err := f.s.GetCertificate(f.ctx, f.A, l.ID)
	wantKind(t, "GetCertificate", err, nil)
	if diff := cmp.Diff(l, got); diff != "" {
		t.Errorf("GetCertificate (-want +got):\n%s", diff)
	}
	if got.DeviceUID != "SN-1" {
		t.Errorf("certificate's device UID = %q", got.DeviceUID)
	}
	for _, tt := range []struct {
		f    iotsec.CertFilter
		want int
	}{
		{iotsec.CertFilter{}, 3},
		{iotsec.CertFilter{DeviceID: d.ID}, 2},
		{iotsec.CertFilter{Kind: iotsec.CertIDevID}, 2},
		{iotsec.CertFilter{Kind: iotsec.CertLDevID, DeviceID: d2.ID}, 0},
		{iotsec.CertFilter{Limit: 1}, 1},
		{iotsec.CertFilter{After: idev.ID}, 2},
	} {
		list, err := f.s.ListCertificates(f.ctx, f.A, tt.f)
		if err != nil || len(list) != tt.want {
			t.Errorf("ListCertificates(%+v) = %d, %v; want %d", tt.f, len(list), err, tt.want)
		}
	}
	byFP, err := f.s.CertificatesByFingerprint(f.ctx, idev.Fingerprint)
	if err != nil || len(byFP) != 2 {
		t.Errorf("CertificatesByFingerprint = %d, %v; want the IDevID on both devices", len(byFP), err)
	}
	bySerial, err := f.s.CertificateBySerial(f.ctx, ca.ID, l.Serial)
	if err != nil || bySerial.ID != l.ID {
		t.Errorf("CertificateBySerial = %v, %v", bySerial.ID, err)
	}
	_, err = f.s.CertificateBySerial(f.ctx, bCA.ID, l.Serial)
	wantKind(t, "CertificateBySerial(other CA)", err, iotsec.ErrNotFound)

	_, err = f.s.RevokeCertificate(f.ctx, f.A, l.ID, "because")
	wantKind(t, "RevokeCertificate(bad reason)", err, iotsec.ErrInvalid)
	_, err = f.s.RevokeCertificate(f.ctx, f.A, l.ID, iotsec.ReasonCertificateHold)
	wantKind(t, "RevokeCertificate(certificateHold)", err, iotsec.ErrInvalid)
	rev, err := f.s.RevokeCertificate(f.ctx, f.A, l.ID, iotsec.ReasonKeyCompromise)
	wantKind(t, "RevokeCertificate", err, nil)
	if rev.Status != iotsec.CertRevoked || rev.Reason != iotsec.ReasonKeyCompromise || rev.RevokedAt.IsZero() {
		t.Errorf("RevokeCertificate = %+v", rev)
	}
	_, err = f.s.RevokeCertificate(f.ctx, f.A, l.ID, iotsec.ReasonKeyCompromise)
	wantKind(t, "RevokeCertificate(again)", err, iotsec.ErrConflict)
	revoked, _ := f.s.ListCertificates(f.ctx, f.A, iotsec.CertFilter{Status: iotsec.CertRevoked})
	if len(revoked) != 1 || revoked[0].ID != l.ID {
		t.Errorf("ListCertificates(revoked) = %+v", revoked)
	}
	// Devices with an identity history keep their records.
	wantKind(t, "DeleteDevice(with certificates)", f.s.DeleteDevice(f.ctx, f.A, d.ID), iotsec.ErrConflict)
}

func testCRLs(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "P-1")
	d := f.provisioned(t, f.A, "SN-1", p.ID)
	ca := f.ca(t, f.A, "org-a")
	_, _, err := f.s.LatestCRL(f.ctx, ca.ID)
	wantKind(t, "LatestCRL(none yet)", err, iotsec.ErrNotFound)
	_, err = f.s.PrepareCRL(f.ctx, "ca_missing", Start)
	wantKind(t, "PrepareCRL(no such CA)", err, iotsec.ErrNotFound)

	ldev := func(seed string, notAfter time.Time) iotsec.DeviceCert {
		c := cert(iotsec.CertLDevID, d.ID, seed, seed)
		c.CAID, c.NotAfter = ca.ID, notAfter
		return f.addCert(t, f.A, c)
	}
	l1 := ldev("L-1", Start.AddDate(1, 0, 0))
	l2 := ldev("L-2", Start.AddDate(1, 0, 0))
	old := ldev("L-old", Start.AddDate(0, 0, 1))
	ldev("L-live", Start.AddDate(1, 0, 0))

	b1, err := f.s.PrepareCRL(f.ctx, ca.ID, Start)
	wantKind(t, "PrepareCRL", err, nil)
	if b1.Number != 1 || b1.Version != 0 || len(b1.Revoked) != 0 {
		t.Errorf("first PrepareCRL = %+v", b1)
	}
	wantKind(t, "SaveCRL", f.s.SaveCRL(f.ctx, iotsec.CRL{CAID: ca.ID, Number: b1.Number, Version: b1.Version, ThisUpdate: Start, NextUpdate: Start.AddDate(0, 0, 7), DER: []byte("crl-1")}), nil)
	wantKind(t, "SaveCRL(same number)", f.s.SaveCRL(f.ctx, iotsec.CRL{CAID: ca.ID, Number: 1, ThisUpdate: Start, NextUpdate: Start, DER: []byte("x")}), iotsec.ErrConflict)
	wantKind(t, "SaveCRL(no validity)", f.s.SaveCRL(f.ctx, iotsec.CRL{CAID: ca.ID, Number: 2, DER: []byte("x")}), iotsec.ErrInvalid)
	c, version, err := f.s.LatestCRL(f.ctx, ca.ID)
	if err != nil || string(c.DER) != "crl-1" || version != 0 || c.Version != 0 || !c.NextUpdate.Equal(Start.AddDate(0, 0, 7)) {
		t.Errorf("LatestCRL = %+v, %d, %v", c, version, err)
	}

	for _, id := range []string{l1.ID, old.ID} {
		if _, err := f.s.RevokeCertificate(f.ctx, f.A, id, iotsec.ReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
	}
	// Revocations make the CRL stale.
	if _, version, _ = f.s.LatestCRL(f.ctx, ca.ID); version != 2 {
		t.Errorf("CA version after two revocations = %d, want 2", version)
	}
	// Suspending the device holds its other LDevIDs.
	move(t, f, f.A, d.ID, iotsec.StateProvisioned, iotsec.StateOperational, iotsec.KeepCredentials)
	move(t, f, f.A, d.ID, iotsec.StateOperational, iotsec.StateSuspended, iotsec.HoldCredentials)

	// Listed: revoked and held, but not what has expired by then.
	b2, err := f.s.PrepareCRL(f.ctx, ca.ID, Start.AddDate(0, 0, 2))
	wantKind(t, "PrepareCRL", err, nil)
	var listed []string
	reasons := map[string]iotsec.RevocationReason{}
	for _, r := range b2.Revoked {
		listed = append(listed, r.Serial)
		reasons[r.Serial] = r.Reason
	}
	if b2.Number != 2 || b2.Version != 3 || len(listed) != 3 {
		t.Fatalf("PrepareCRL after revocations = number %d version %d, %d listed; want 2, 3 and 3", b2.Number, b2.Version, len(listed))
	}
	if reasons[l1.Serial] != iotsec.ReasonKeyCompromise || reasons[l2.Serial] != iotsec.ReasonCertificateHold {
		t.Errorf("CRL reasons = %v", reasons)
	}
	if _, ok := reasons[old.Serial]; ok {
		t.Errorf("an expired certificate is still listed")
	}
	// Only the newest CRLs are kept.
	for n := int64(3); n <= 15; n++ {
		b, _ := f.s.PrepareCRL(f.ctx, ca.ID, Start)
		wantKind(t, "SaveCRL", f.s.SaveCRL(f.ctx, iotsec.CRL{CAID: ca.ID, Number: b.Number, Version: b.Version, ThisUpdate: Start, NextUpdate: Start.AddDate(0, 0, 7), DER: []byte("crl")}), nil)
	}
	if c, _, _ := f.s.LatestCRL(f.ctx, ca.ID); c.Number != 15 {
		t.Errorf("LatestCRL number = %d, want 15", c.Number)
	}
}

// move runs one lifecycle transition and returns it.
func move(t *testing.T, f *fixture, a iotsec.Actor, device string, from, to iotsec.State, cred iotsec.CredentialAction) iotsec.Transition {
	t.Helper()
	tr := iotsec.Transition{DeviceID: device, From: from, To: to, Credentials: cred}
	if err := f.s.TransitionDevice(f.ctx, a, &tr); err != nil {
		t.Fatalf("TransitionDevice(%s -> %s): %v", from, to, err)
	}
	return tr
}

func testEnrolment(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "P-1")
	d := f.provisioned(t, f.A, "SN-1", p.ID)
	ca := f.ca(t, f.A, "org-a")

	secret, hash := iotsec.NewSecret(nil, iotsec.SecretEnrol)
	tok := iotsec.EnrolToken{DeviceID: d.ID, Hash: hash, ExpiresAt: Start.Add(time.Hour)}
	wantKind(t, "CreateEnrolToken", f.s.CreateEnrolToken(f.ctx, f.A, &tok), nil)
	if tok.CreatedBy != f.A.Name() || tok.OrgID != f.a.ID {
		t.Errorf("CreateEnrolToken filled in %+v", tok)
	}
	past := iotsec.EnrolToken{DeviceID: d.ID, Hash: iotsec.HashSecret("x"), ExpiresAt: Start.Add(-time.Hour)}
	wantKind(t, "CreateEnrolToken(expired)", f.s.CreateEnrolToken(f.ctx, f.A, &past), iotsec.ErrInvalid)
	nodev := iotsec.EnrolToken{DeviceID: "dev_missing", Hash: iotsec.HashSecret("y"), ExpiresAt: Start.Add(time.Hour)}
	wantKind(t, "CreateEnrolToken(no such device)", f.s.CreateEnrolToken(f.ctx, f.A, &nodev), iotsec.ErrNotFound)

	found, err := f.s.EnrolTokenByHash(f.ctx, iotsec.HashSecret(secret), Start)
	if err != nil || found.ID != tok.ID || found.DeviceID != d.ID {
		t.Fatalf("EnrolTokenByHash = %+v, %v", found, err)
	}
	_, err = f.s.EnrolTokenByHash(f.ctx, iotsec.HashSecret(secret), Start.Add(2*time.Hour))
	wantKind(t, "EnrolTokenByHash(after expiry)", err, iotsec.ErrNotFound)

	est := iotsec.Actor{OrgID: f.a.ID, Role: iotsec.RoleMaker, Label: "est"}
	enrol := func(seed string, token []byte) error {
		c := cert(iotsec.CertLDevID, "", seed, seed)
		c.CAID, c.Via = ca.ID, "est-token"
		return f.s.RecordEnrolment(f.ctx, est, &iotsec.Enrolment{DeviceID: d.ID, Cert: &c, TokenHash: token,
			From: []iotsec.State{iotsec.StateProvisioned, iotsec.StateOperational}, To: iotsec.StateOperational})
	}
	f.clock.Set(Start.Add(time.Minute))
	wantKind(t, "RecordEnrolment(unknown token)", enrol("L-0", iotsec.HashSecret("nope")), iotsec.ErrUnauthorized)
	wantKind(t, "RecordEnrolment(token)", enrol("L-1", hash), nil)
	wantKind(t, "RecordEnrolment(token again)", enrol("L-2", hash), iotsec.ErrUnauthorized)
	_, err = f.s.EnrolTokenByHash(f.ctx, hash, Start.Add(time.Minute))
	wantKind(t, "EnrolTokenByHash(spent)", err, iotsec.ErrNotFound)
	toks, _ := f.s.ListEnrolTokens(f.ctx, f.A, d.ID)
	if len(toks) != 1 || toks[0].UsedAt.IsZero() {
		t.Errorf("ListEnrolTokens = %+v, want one spent token", toks)
	}
	got, _ := f.s.GetDevice(f.ctx, f.A, d.ID)
	if got.State != iotsec.StateOperational {
		t.Errorf("device after enrolment is %s, want operational", got.State)
	}
	// A renewal keeps the state and records no transition.
	wantKind(t, "RecordEnrolment(renewal)", enrol("L-3", nil), nil)
	hist, _ := f.s.ListTransitions(f.ctx, f.A, d.ID)
	if len(hist) != 1 || hist[0].Event != iotsec.EventEnrolment || hist[0].From != iotsec.StateProvisioned || hist[0].To != iotsec.StateOperational {
		t.Errorf("history after enrolment = %+v", hist)
	}
	certs, _ := f.s.ListCertificates(f.ctx, f.A, iotsec.CertFilter{DeviceID: d.ID})
	if len(certs) != 2 {
		t.Errorf("%d certificates recorded, want 2 (the failed enrolments left none)", len(certs))
	}
	// A suspended device may not enrol.
	move(t, f, f.A, d.ID, iotsec.StateOperational, iotsec.StateSuspended, iotsec.HoldCredentials)
	wantKind(t, "RecordEnrolment(suspended)", enrol("L-4", nil), iotsec.ErrConflict)
	// Nor can an enrolment record a certificate of another organisation's CA.
	bCA := f.ca(t, f.B, "org-b")
	c := cert(iotsec.CertLDevID, "", "L-5", "L-5")
	c.CAID = bCA.ID
	err = f.s.RecordEnrolment(f.ctx, est, &iotsec.Enrolment{DeviceID: d.ID, Cert: &c, From: []iotsec.State{iotsec.StateSuspended}})
	wantKind(t, "RecordEnrolment(B's CA)", err, iotsec.ErrInvalid)
}

func testLifecycle(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "P-1")
	d := f.provisioned(t, f.A, "SN-1", p.ID)
	ca := f.ca(t, f.A, "org-a")
	idev := f.addCert(t, f.A, cert(iotsec.CertIDevID, d.ID, "SN-1", "SN-1"))
	l := cert(iotsec.CertLDevID, d.ID, "L-1", "L-1")
	l.CAID = ca.ID
	l = f.addCert(t, f.A, l)
	status := func(id string) iotsec.CertStatus {
		c, _ := f.s.GetCertificate(f.ctx, f.A, id)
		return c.Status
	}

	move(t, f, f.A, d.ID, iotsec.StateProvisioned, iotsec.StateOperational, iotsec.KeepCredentials)
	stale := iotsec.Transition{DeviceID: d.ID, From: iotsec.StateProvisioned, To: iotsec.StateOperational}
	wantKind(t, "TransitionDevice(from a stale state)", f.s.TransitionDevice(f.ctx, f.A, &stale), iotsec.ErrConflict)
	bad := iotsec.Transition{DeviceID: d.ID, From: iotsec.StateOperational, To: "lost"}
	wantKind(t, "TransitionDevice(unknown state)", f.s.TransitionDevice(f.ctx, f.A, &bad), iotsec.ErrInvalid)

	if tr := move(t, f, f.A, d.ID, iotsec.StateOperational, iotsec.StateSuspended, iotsec.HoldCredentials); tr.Changed != 1 || status(l.ID) != iotsec.CertHold {
		t.Errorf("suspend: %d changed, LDevID %s; want 1 and hold", tr.Changed, status(l.ID))
	}
	if tr := move(t, f, f.A, d.ID, iotsec.StateSuspended, iotsec.StateOperational, iotsec.ReleaseCredentials); tr.Changed != 1 || status(l.ID) != iotsec.CertActive {
		t.Errorf("resume: %d changed, LDevID %s; want 1 and active", tr.Changed, status(l.ID))
	}
	dec := iotsec.Transition{DeviceID: d.ID, From: iotsec.StateOperational, To: iotsec.StateDecommissioned, Credentials: iotsec.RevokeCredentials,
		Evidence: "NIST SP 800-88 purge, report W-17", Note: "end of lease"}
	wantKind(t, "decommission", f.s.TransitionDevice(f.ctx, f.A, &dec), nil)
	rev, _ := f.s.GetCertificate(f.ctx, f.A, l.ID)
	if dec.Changed != 1 || rev.Status != iotsec.CertRevoked || rev.Reason != iotsec.ReasonCessationOfOperation {
		t.Errorf("decommission: %d changed, LDevID %s (%s); want 1, revoked, cessationOfOperation", dec.Changed, rev.Status, rev.Reason)
	}
	if status(idev.ID) != iotsec.CertActive {
		t.Errorf("the onboarding identity changed with the LDevIDs: %s", status(idev.ID))
	}
	move(t, f, f.A, d.ID, iotsec.StateDecommissioned, iotsec.StateDisposed, iotsec.KeepCredentials)

	hist, err := f.s.ListTransitions(f.ctx, f.A, d.ID)
	wantKind(t, "ListTransitions", err, nil)
	var steps []string
	for _, h := range hist {
		steps = append(steps, string(h.From)+">"+string(h.To))
	}
	want := []string{"provisioned>operational", "operational>suspended", "suspended>operational", "operational>decommissioned", "decommissioned>disposed"}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if h := hist[3]; h.Evidence != dec.Evidence || h.Note != "end of lease" || h.Actor != f.A.Name() || h.Credentials != iotsec.RevokeCredentials {
		t.Errorf("decommission record = %+v", h)
	}
	// History and certificates outlive disposal; the record stays.
	certs, _ := f.s.ListCertificates(f.ctx, f.A, iotsec.CertFilter{DeviceID: d.ID})
	if len(certs) != 2 {
		t.Errorf("%d certificates after disposal, want 2", len(certs))
	}
	wantKind(t, "DeleteDevice(disposed)", f.s.DeleteDevice(f.ctx, f.A, d.ID), iotsec.ErrConflict)
	events, _ := f.s.ListAudit(f.ctx, f.A, iotsec.AuditFilter{Limit: 3})
	if len(events) < 2 || events[0].Action != "device.transition" || !strings.Contains(events[1].Details, "NIST SP 800-88") {
		t.Errorf("audit of the last transitions = %+v", events)
	}
}

func testTransfers(t *testing.T, open Opener) {
	f := setup(t, open)
	pa := f.product(t, f.A, "P-A")
	pb := f.product(t, f.B, "P-B")
	d := f.provisioned(t, f.A, "SN-1", pa.ID)
	caA := f.ca(t, f.A, "org-a")
	idev := f.addCert(t, f.A, cert(iotsec.CertIDevID, d.ID, "SN-1", "SN-1"))
	l := cert(iotsec.CertLDevID, d.ID, "L-1", "L-1")
	l.CAID = caA.ID
	l = f.addCert(t, f.A, l)
	move(t, f, f.A, d.ID, iotsec.StateProvisioned, iotsec.StateDecommissioned, iotsec.RevokeCredentials)
	_, tokHash := iotsec.NewSecret(nil, iotsec.SecretEnrol)
	tok := iotsec.EnrolToken{DeviceID: d.ID, Hash: tokHash, ExpiresAt: Start.AddDate(0, 0, 1)}
	wantKind(t, "CreateEnrolToken", f.s.CreateEnrolToken(f.ctx, f.A, &tok), nil)

	_, hash := iotsec.NewSecret(nil, iotsec.SecretTransfer)
	offer := iotsec.Transfer{DeviceID: d.ID, Hash: hash, ExpiresAt: Start.AddDate(0, 0, 7)}
	wantKind(t, "OfferTransfer", f.s.OfferTransfer(f.ctx, f.A, &offer), nil)
	other := iotsec.Transfer{DeviceID: d.ID, Hash: iotsec.HashSecret("b"), ExpiresAt: Start.AddDate(0, 0, 7)}
	wantKind(t, "OfferTransfer(B offers A's device)", f.s.OfferTransfer(f.ctx, f.B, &other), iotsec.ErrNotFound)

	allowed := []iotsec.State{iotsec.StateManufactured, iotsec.StateProvisioned, iotsec.StateDecommissioned}
	_, err := f.s.ClaimTransfer(f.ctx, f.A, hash, pa.ID, allowed, Start)
	wantKind(t, "ClaimTransfer(by the seller)", err, iotsec.ErrInvalid)
	_, err = f.s.ClaimTransfer(f.ctx, f.B, hash, pa.ID, allowed, Start)
	wantKind(t, "ClaimTransfer(onto the seller's product)", err, iotsec.ErrInvalid)
	_, err = f.s.ClaimTransfer(f.ctx, f.B, hash, pb.ID, []iotsec.State{iotsec.StateManufactured}, Start)
	wantKind(t, "ClaimTransfer(state not allowed)", err, iotsec.ErrConflict)
	_, err = f.s.ClaimTransfer(f.ctx, f.B, hash, pb.ID, allowed, Start.AddDate(0, 0, 8))
	wantKind(t, "ClaimTransfer(expired)", err, iotsec.ErrNotFound)
	got, err := f.s.ClaimTransfer(f.ctx, f.B, hash, pb.ID, allowed, Start)
	wantKind(t, "ClaimTransfer", err, nil)
	if got.ID != d.ID || got.OrgID != f.b.ID || got.ProductID != pb.ID || got.State != iotsec.StateDecommissioned {
		t.Errorf("ClaimTransfer = %+v", got)
	}
	_, err = f.s.ClaimTransfer(f.ctx, f.B, hash, pb.ID, allowed, Start)
	wantKind(t, "ClaimTransfer(again)", err, iotsec.ErrNotFound)

	// The buyer has the device and its onboarding identity.
	bd, err := f.s.GetDevice(f.ctx, f.B, d.ID)
	if err != nil || bd.UID != "SN-1" {
		t.Errorf("B's GetDevice = %+v, %v", bd, err)
	}
	bc, _ := f.s.ListCertificates(f.ctx, f.B, iotsec.CertFilter{DeviceID: d.ID})
	if len(bc) != 1 || bc[0].ID != idev.ID || bc[0].DeviceUID != "SN-1" {
		t.Errorf("B's certificates of the device = %+v, want the IDevID", bc)
	}
	// The seller keeps its history and its CA's certificates, without a
	// view into the buyer's device.
	_, err = f.s.GetDevice(f.ctx, f.A, d.ID)
	wantKind(t, "A's GetDevice after transfer", err, iotsec.ErrNotFound)
	ac, _ := f.s.ListCertificates(f.ctx, f.A, iotsec.CertFilter{DeviceID: d.ID})
	if len(ac) != 1 || ac[0].ID != l.ID || ac[0].Status != iotsec.CertRevoked || ac[0].DeviceUID != "" || ac[0].DeviceState != "" {
		t.Errorf("A's certificates of the device = %+v, want the revoked LDevID without device details", ac)
	}
	ah, _ := f.s.ListTransitions(f.ctx, f.A, d.ID)
	bh, _ := f.s.ListTransitions(f.ctx, f.B, d.ID)
	if len(ah) != 2 || ah[1].Event != iotsec.EventTransferOut || ah[1].Note != "to Org B" {
		t.Errorf("A's history = %+v", ah)
	}
	if len(bh) != 1 || bh[0].Event != iotsec.EventTransferIn || bh[0].Note != "from Org A" {
		t.Errorf("B's history = %+v", bh)
	}
	// Tokens A made for it are void.
	_, err = f.s.EnrolTokenByHash(f.ctx, tokHash, Start)
	wantKind(t, "EnrolTokenByHash(after transfer)", err, iotsec.ErrNotFound)
	// The buyer moves it on under its own rules.
	move(t, f, f.B, d.ID, iotsec.StateDecommissioned, iotsec.StateProvisioned, iotsec.KeepCredentials)

	// A buyer with a device of the same UID cannot take another.
	d2 := f.provisioned(t, f.A, "SN-2", pa.ID)
	f.provisioned(t, f.B, "SN-2", pb.ID)
	_, h2 := iotsec.NewSecret(nil, iotsec.SecretTransfer)
	wantKind(t, "OfferTransfer", f.s.OfferTransfer(f.ctx, f.A, &iotsec.Transfer{DeviceID: d2.ID, Hash: h2, ExpiresAt: Start.AddDate(0, 0, 1)}), nil)
	_, err = f.s.ClaimTransfer(f.ctx, f.B, h2, pb.ID, allowed, Start)
	wantKind(t, "ClaimTransfer(UID taken)", err, iotsec.ErrConflict)
}

// testIdentityScope checks every identity write against every role and
// every call against another organisation's things.
func testIdentityScope(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "P-1")
	d := f.provisioned(t, f.A, "SN-1", p.ID)
	ca := f.ca(t, f.A, "org-a")
	root := anchor("Root", iotsec.AnchorIDevIDRoot)
	if err := f.s.AddAnchor(f.ctx, f.A, &root); err != nil {
		t.Fatal(err)
	}
	l := cert(iotsec.CertLDevID, d.ID, "L-1", "L-1")
	l.CAID = ca.ID
	l = f.addCert(t, f.A, l)
	n := 0
	writes := []struct {
		name string
		perm iotsec.Permission
		do   func(a iotsec.Actor) error
	}{
		{"AddAnchor", iotsec.PermManageIdentity, func(a iotsec.Actor) error {
			x := anchor("R-"+string(a.Role), iotsec.AnchorMatterPAA)
			return f.s.AddAnchor(f.ctx, a, &x)
		}},
		{"SetAnchorCRL", iotsec.PermManageIdentity, func(a iotsec.Actor) error { return f.s.SetAnchorCRL(f.ctx, a, root.ID, []byte("c"), Start) }},
		{"DeleteAnchor", iotsec.PermManageIdentity, func(a iotsec.Actor) error { return f.s.DeleteAnchor(f.ctx, a, "ta_missing") }},
		{"CreateCA", iotsec.PermManageCA, func(a iotsec.Actor) error {
			c := newCA("x-" + string(a.Role))
			return f.s.CreateCA(f.ctx, a, &c)
		}},
		{"AddCertificate", iotsec.PermManageIdentity, func(a iotsec.Actor) error {
			n++
			c := cert(iotsec.CertLDevID, d.ID, "L-role-"+string(a.Role), "k")
			c.CAID = ca.ID
			return f.s.AddCertificate(f.ctx, a, &c)
		}},
		{"RevokeCertificate", iotsec.PermManageIdentity, func(a iotsec.Actor) error {
			_, err := f.s.RevokeCertificate(f.ctx, a, "crt_missing", iotsec.ReasonUnspecified)
			return err
		}},
		{"CreateEnrolToken", iotsec.PermManageIdentity, func(a iotsec.Actor) error {
			return f.s.CreateEnrolToken(f.ctx, a, &iotsec.EnrolToken{DeviceID: d.ID, Hash: iotsec.HashSecret("t-" + string(a.Role)), ExpiresAt: Start.AddDate(1, 0, 0)})
		}},
		{"RecordEnrolment", iotsec.PermManageIdentity, func(a iotsec.Actor) error {
			c := cert(iotsec.CertLDevID, d.ID, "E-"+string(a.Role), "k")
			c.CAID = ca.ID
			return f.s.RecordEnrolment(f.ctx, a, &iotsec.Enrolment{DeviceID: d.ID, Cert: &c, From: iotsec.States()})
		}},
		{"TransitionDevice", iotsec.PermManageIdentity, func(a iotsec.Actor) error {
			return f.s.TransitionDevice(f.ctx, a, &iotsec.Transition{DeviceID: "dev_missing", From: iotsec.StateProvisioned, To: iotsec.StateOperational})
		}},
		{"OfferTransfer", iotsec.PermManageIdentity, func(a iotsec.Actor) error {
			return f.s.OfferTransfer(f.ctx, a, &iotsec.Transfer{DeviceID: d.ID, Hash: iotsec.HashSecret("x-" + string(a.Role)), ExpiresAt: Start.AddDate(1, 0, 0)})
		}},
		{"ClaimTransfer", iotsec.PermManageIdentity, func(a iotsec.Actor) error {
			_, err := f.s.ClaimTransfer(f.ctx, a, []byte("none"), p.ID, nil, Start)
			return err
		}},
	}
	for _, role := range iotsec.Roles() {
		a := iotsec.Actor{OrgID: f.a.ID, Role: role, Label: string(role)}
		for _, w := range writes {
			t.Run(string(role)+"/"+w.name, func(t *testing.T) {
				err := w.do(a)
				if role.Allows(w.perm) {
					if iotsec.Kind(err) == iotsec.ErrForbidden {
						t.Errorf("%s as %s: %v, want allowed", w.name, role, err)
					}
				} else {
					wantKind(t, w.name+" as "+string(role), err, iotsec.ErrForbidden)
				}
			})
		}
	}

	// B reaches nothing of A's: addressed things are not found.
	calls := []struct {
		name string
		do   func() error
	}{
		{"GetAnchor", func() error { _, err := f.s.GetAnchor(f.ctx, f.B, root.ID); return err }},
		{"SetAnchorCRL", func() error { return f.s.SetAnchorCRL(f.ctx, f.B, root.ID, []byte("c"), Start) }},
		{"DeleteAnchor", func() error { return f.s.DeleteAnchor(f.ctx, f.B, root.ID) }},
		{"GetCA", func() error { _, err := f.s.GetCA(f.ctx, f.B); return err }},
		{"GetCertificate", func() error { _, err := f.s.GetCertificate(f.ctx, f.B, l.ID); return err }},
		{"RevokeCertificate", func() error {
			_, err := f.s.RevokeCertificate(f.ctx, f.B, l.ID, iotsec.ReasonKeyCompromise)
			return err
		}},
		{"AddCertificate", func() error {
			c := cert(iotsec.CertIDevID, d.ID, "evil", "evil")
			return f.s.AddCertificate(f.ctx, f.B, &c)
		}},
		{"CreateEnrolToken", func() error {
			return f.s.CreateEnrolToken(f.ctx, f.B, &iotsec.EnrolToken{DeviceID: d.ID, Hash: iotsec.HashSecret("evil"), ExpiresAt: Start.AddDate(1, 0, 0)})
		}},
		{"RecordEnrolment", func() error {
			c := cert(iotsec.CertLDevID, d.ID, "evil-l", "evil")
			c.CAID = ca.ID
			return f.s.RecordEnrolment(f.ctx, f.B, &iotsec.Enrolment{DeviceID: d.ID, Cert: &c, From: iotsec.States()})
		}},
		{"TransitionDevice", func() error {
			return f.s.TransitionDevice(f.ctx, f.B, &iotsec.Transition{DeviceID: d.ID, From: iotsec.StateProvisioned, To: iotsec.StateDisposed})
		}},
	}
	for _, c := range calls {
		t.Run("B/"+c.name, func(t *testing.T) { wantKind(t, c.name, c.do(), iotsec.ErrNotFound) })
	}
	anchors, _ := f.s.ListAnchors(f.ctx, f.B)
	certs, _ := f.s.ListCertificates(f.ctx, f.B, iotsec.CertFilter{})
	toks, _ := f.s.ListEnrolTokens(f.ctx, f.B, d.ID)
	hist, _ := f.s.ListTransitions(f.ctx, f.B, d.ID)
	if len(anchors)+len(certs)+len(toks)+len(hist) != 0 {
		t.Errorf("B's lists show A's things: %d anchors, %d certificates, %d tokens, %d transitions", len(anchors), len(certs), len(toks), len(hist))
	}
	// A's things are untouched.
	if got, _ := f.s.GetCertificate(f.ctx, f.A, l.ID); got.Status != iotsec.CertActive {
		t.Errorf("A's certificate is %s after B's attempts", got.Status)
	}
	if got, _ := f.s.GetDevice(f.ctx, f.A, d.ID); got.State != iotsec.StateOperational && got.State != iotsec.StateProvisioned {
		t.Errorf("A's device is %s after B's attempts", got.State)
	}
}
