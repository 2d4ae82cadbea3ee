package iotsec

// Role is what a member (or a token) may do inside one organisation.
type Role string

const (
	RoleOwner    Role = "owner"
	RoleAdmin    Role = "admin"
	RoleAssessor Role = "assessor"
	RoleMaker    Role = "maker"
	RoleViewer   Role = "viewer"
)

// Roles lists every role, most powerful first.
func Roles() []Role { return []Role{RoleOwner, RoleAdmin, RoleAssessor, RoleMaker, RoleViewer} }

func (r Role) Valid() bool { return oneOf(r, Roles()) }

// Permission is one kind of action a role may be granted.
type Permission string

const (
	PermRead          Permission = "read"           // see the organisation's data
	PermWriteProducts Permission = "write-products" // products, firmware versions, devices, imports
	PermAssess        Permission = "assess"         // record evaluations and evidence
	PermManageTokens  Permission = "manage-tokens"  // create and revoke API tokens
	PermManageMembers Permission = "manage-members" // add, remove and re-role members
	PermReadAudit     Permission = "read-audit"     // read the audit log
	PermWriteSchemes  Permission = "write-schemes"  // import, share and delete schemes and mappings
	// Device identity: trust anchors, onboarding identities, certificates,
	// enrolment tokens, revocation, lifecycle moves and transfers.
	PermManageIdentity Permission = "manage-identity"
	// Create the organisation's certificate authority.
	PermManageCA Permission = "manage-ca"
	// Grant, refuse, suspend, review, clear, expire and revoke
	// certifications of the schemes the organisation operates, and manage
	// its label signing keys. Makers apply and withdraw with
	// PermWriteProducts.
	PermCertify Permission = "certify"
)

// grants is the role matrix. Assessors record evidence but do not edit the
// maker's inventory; makers edit inventory but do not assess themselves.
// Importing schemes and mappings (and sharing them with every organisation)
// is mapping work of labs and scheme owners: assessors, admins and owners.
// So is certifying: an assessor of a scheme owner (or of a lab it
// delegated to) grants, suspends and revokes; a maker does not certify.
var grants = map[Role][]Permission{
	RoleOwner:    {PermRead, PermWriteProducts, PermAssess, PermManageTokens, PermManageMembers, PermReadAudit, PermWriteSchemes, PermManageIdentity, PermManageCA, PermCertify},
	RoleAdmin:    {PermRead, PermWriteProducts, PermAssess, PermManageTokens, PermManageMembers, PermReadAudit, PermWriteSchemes, PermManageIdentity, PermManageCA, PermCertify},
	RoleAssessor: {PermRead, PermAssess, PermWriteSchemes, PermCertify},
	RoleMaker:    {PermRead, PermWriteProducts, PermManageIdentity},
	RoleViewer:   {PermRead},
}

// permText says what each permission lets one do, for error messages.
var permText = map[Permission]string{
	PermRead:           "read this organisation's data",
	PermWriteProducts:  "change products, firmware versions or devices",
	PermAssess:         "record evaluations",
	PermManageTokens:   "manage API tokens",
	PermManageMembers:  "manage members",
	PermReadAudit:      "read the audit log",
	PermWriteSchemes:   "import, share or delete schemes and mappings",
	PermManageIdentity: "manage device identities, certificates and lifecycles",
	PermManageCA:       "create the organisation's certificate authority",
	PermCertify:        "grant, suspend or revoke certifications or manage label signing keys",
}

// Allows reports whether r grants p.
func (r Role) Allows(p Permission) bool { return oneOf(p, grants[r]) }

// Covers reports whether r grants at least everything other grants; a member
// may only hand out (to tokens or members) roles their own role covers.
func (r Role) Covers(other Role) bool {
	for _, p := range grants[other] {
		if !r.Allows(p) {
			return false
		}
	}
	return r != RoleAdmin || other != RoleOwner
}

// Actor is who performs an operation, in which organisation, with which
// role. Every store method that reads or writes tenant data takes one and
// confines itself to Actor.OrgID; the audit log records Actor.Name().
type Actor struct {
	OrgID   string `json:"org_id"`
	UserID  string `json:"user_id,omitempty"`
	TokenID string `json:"token_id,omitempty"`
	Role    Role   `json:"role"`
	Label   string `json:"label"` // e.g. the user's email, the token's name, or "cli"
}

// Name is how the audit log names the actor.
func (a Actor) Name() string {
	switch {
	case a.TokenID != "":
		return "token:" + a.TokenID + " (" + a.Label + ")"
	case a.UserID != "":
		return "user:" + a.UserID + " (" + a.Label + ")"
	default:
		return "system:" + a.Label
	}
}

// Can returns a Forbidden error unless the actor's role grants p.
func (a Actor) Can(p Permission) error {
	if a.OrgID == "" {
		return Forbidden("no organisation selected")
	}
	if !a.Role.Allows(p) {
		return Forbidden("your role, %s, may not %s", a.Role, permText[p])
	}
	return nil
}

// System returns an owner-level actor for org, used by the command line,
// which runs with the database's own authority.
func System(orgID, label string) Actor {
	return Actor{OrgID: orgID, Role: RoleOwner, Label: label}
}
