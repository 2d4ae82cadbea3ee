package iotsec

import "slices"

// Operation is one thing a door lets someone do, named by its route
// pattern as Go's ServeMux knows it ("POST /api/v1/firmware/{id}/rematch"
// for the API, "POST /supply/firmware/{id}/rematch" for the web UI).
type Operation string

// SignedIn is the requirement of operations any signed-in user may call,
// also one without an organisation (their own account, signing out,
// choosing an organisation, accepting an invitation).
const SignedIn Permission = "signed-in"

// Public is the requirement of pages anyone may open, signed in or not
// (signing in, public labels, the stylesheet).
const Public Permission = "public"

// access is the authorisation table: every operation of the API and the
// web UI and the permissions that admit it (any one of them). The minimum
// roles of an operation are those whose grants include one of them (see
// MinimumRoles). Both doors refuse an operation the table does not admit
// before they read its input, and refuse an operation the table does not
// name at all; internal/server's TestRoleTable walks every route with
// every role against this table.
var access = map[Operation][]Permission{
	// Workspaces: membership is checked by the store; these are the
	// organisation's own permissions.
	"GET /api/v1/workspaces":                                     {PermRead},
	"POST /api/v1/workspaces":                                    {PermManageMembers},
	"GET /api/v1/workspaces/{id}":                                {PermRead},
	"POST /api/v1/workspaces/{id}/invitations":                   {PermManageMembers},
	"POST /api/v1/workspaces/{id}/accept":                        {PermManageMembers},
	"POST /api/v1/workspaces/{id}/proposals":                     {PermWriteSchemes},
	"GET /api/v1/workspaces/{id}/proposals/{proposal}":           {PermRead},
	"POST /api/v1/workspaces/{id}/proposals/{proposal}/comments": {PermWriteSchemes},
	"POST /api/v1/workspaces/{id}/proposals/{proposal}/approve":  {PermWriteSchemes},
	"POST /api/v1/workspaces/{id}/proposals/{proposal}/merge":    {PermWriteSchemes},
	"POST /api/v1/workspaces/{id}/proposals/{proposal}/withdraw": {PermWriteSchemes},
	"POST /api/v1/workspaces/{id}/proposals/{proposal}/reject":   {PermWriteSchemes},
	"DELETE /api/v1/workspaces/{id}/members/{org}":               {PermManageMembers},
	"POST /api/v1/workspaces/{id}/leave":                         {PermManageMembers},
	"POST /api/v1/workspaces/{id}/reports":                       {PermWriteSchemes},
	// Web UI: workspaces.
	"GET /workspaces":                                     {PermRead},
	"POST /workspaces":                                    {PermManageMembers},
	"GET /workspaces/{id}":                                {PermRead},
	"POST /workspaces/{id}/invite":                        {PermManageMembers},
	"POST /workspaces/{id}/accept":                        {PermManageMembers},
	"POST /workspaces/{id}/proposals":                     {PermWriteSchemes},
	"POST /workspaces/{id}/proposals/{proposal}/comment":  {PermWriteSchemes},
	"POST /workspaces/{id}/proposals/{proposal}/approve":  {PermWriteSchemes},
	"POST /workspaces/{id}/proposals/{proposal}/merge":    {PermWriteSchemes},
	"POST /workspaces/{id}/proposals/{proposal}/withdraw": {PermWriteSchemes},
	"POST /workspaces/{id}/proposals/{proposal}/reject":   {PermWriteSchemes},
	"POST /workspaces/{id}/members/{org}/remove":          {PermManageMembers},
	"POST /workspaces/{id}/leave":                         {PermManageMembers},
	"POST /workspaces/{id}/reports":                       {PermWriteSchemes},
	// API: the account and the organisation's overview.
	"GET /api/v1/me":       {SignedIn},
	"GET /api/v1/overview": {PermRead},
	// The role dashboards, API and web UI.
	"GET /api/v1/dashboards/ciso":      {PermRead},
	"GET /api/v1/dashboards/executive": {PermRead},
	"GET /api/v1/dashboards/regulator": {PermRead},
	"GET /api/v1/dashboards/policy":    {PermRead},
	"GET /dashboard/ciso":              {PermRead},
	"GET /dashboard/executive":         {PermRead},
	"GET /dashboard/regulator":         {PermRead},
	"GET /dashboard/policy":            {PermRead},
	"POST /dashboard/ciso/check":       {PermRead},
	"POST /dashboard/ciso/policies":    {PermWriteProducts},
	// Procurement policies (data the organisation edits) and the check.
	"GET /api/v1/procurement/policies":         {PermRead},
	"POST /api/v1/procurement/policies":        {PermWriteProducts},
	"GET /api/v1/procurement/policies/{id}":    {PermRead},
	"PUT /api/v1/procurement/policies/{id}":    {PermWriteProducts},
	"DELETE /api/v1/procurement/policies/{id}": {PermWriteProducts},
	"POST /api/v1/procurement/check":           {PermRead},
	// Products, firmware versions, devices and jobs.
	"GET /api/v1/products":                 {PermRead},
	"POST /api/v1/products":                {PermWriteProducts},
	"GET /api/v1/products/{id}":            {PermRead},
	"PATCH /api/v1/products/{id}":          {PermWriteProducts},
	"DELETE /api/v1/products/{id}":         {PermWriteProducts},
	"GET /api/v1/products/{id}/firmware":   {PermRead},
	"POST /api/v1/products/{id}/firmware":  {PermWriteProducts},
	"GET /api/v1/firmware/{id}":            {PermRead},
	"PATCH /api/v1/firmware/{id}":          {PermWriteProducts},
	"DELETE /api/v1/firmware/{id}":         {PermWriteProducts},
	"POST /api/v1/firmware/{id}/image":     {PermWriteProducts},
	"GET /api/v1/firmware/{id}/scan":       {PermRead},
	"GET /api/v1/firmware/{id}/findings":   {PermRead},
	"GET /api/v1/firmware/{id}/components": {PermRead},
	"GET /api/v1/firmware/{id}/verdicts":   {PermRead},
	"GET /api/v1/firmware/{id}/evidence":   {PermRead},
	"POST /api/v1/firmware/{id}/evidence":  {PermAssess},
	"GET /api/v1/firmware/{id}/ics":        {PermRead},
	"PUT /api/v1/firmware/{id}/ics":        {PermWriteProducts, PermAssess},
	"PUT /api/v1/firmware/{id}/ixit":       {PermWriteProducts, PermAssess},
	"GET /api/v1/firmware/{id}/report":     {PermRead},
	"GET /api/v1/scans":                    {PermRead},
	"GET /api/v1/devices":                  {PermRead},
	"POST /api/v1/devices":                 {PermWriteProducts},
	"POST /api/v1/devices/import":          {PermWriteProducts},
	"GET /api/v1/devices/{id}":             {PermRead},
	"PATCH /api/v1/devices/{id}":           {PermWriteProducts},
	"DELETE /api/v1/devices/{id}":          {PermWriteProducts},
	"GET /api/v1/jobs":                     {PermRead},
	"GET /api/v1/jobs/{id}":                {PermRead},
	// Tokens, members, invitations and the audit log.
	"GET /api/v1/tokens":                 {PermManageTokens},
	"POST /api/v1/tokens":                {PermManageTokens},
	"DELETE /api/v1/tokens/{id}":         {PermManageTokens},
	"GET /api/v1/members":                {PermRead},
	"POST /api/v1/members":               {PermManageMembers},
	"PATCH /api/v1/members/{user_id}":    {PermManageMembers},
	"DELETE /api/v1/members/{user_id}":   {PermManageMembers},
	"GET /api/v1/invitations":            {PermManageMembers},
	"DELETE /api/v1/invitations/{id}":    {PermManageMembers},
	"GET /api/v1/audit":                  {PermReadAudit},
	"GET /api/v1/audit/head":             {PermReadAudit},
	"GET /api/v1/schemes":                {PermRead},
	"GET /api/v1/schemes/compare":        {PermRead},
	"GET /api/v1/schemes/baseline":       {PermRead},
	"GET /api/v1/schemes/applies":        {PermRead},
	"GET /api/v1/schemes/gaps":           {PermRead},
	"GET /api/v1/schemes/recognise":      {PermRead},
	"GET /api/v1/schemes/agreements":     {PermRead},
	"GET /api/v1/schemes/export":         {PermRead},
	"GET /api/v1/schemes/imports":        {PermRead},
	"POST /api/v1/schemes/imports":       {PermWriteSchemes},
	"GET /api/v1/schemes/imports/{id}":   {PermRead},
	"PATCH /api/v1/schemes/imports/{id}": {PermWriteSchemes},
	"DELETE /api/v1/schemes/imports/{id}": {
		PermWriteSchemes},
	"GET /api/v1/schemes/{slug}":                 {PermRead},
	"GET /api/v1/schemes/{slug}/provisions/{id}": {PermRead},
	// The policy service's generated documents (guides, calls).
	"GET /api/v1/guides":          {PermRead},
	"GET /api/v1/standards/calls": {PermRead},
	// Device identity.
	"GET /api/v1/identity/roots":                      {PermRead},
	"POST /api/v1/identity/roots":                     {PermManageIdentity},
	"GET /api/v1/identity/roots/{id}":                 {PermRead},
	"DELETE /api/v1/identity/roots/{id}":              {PermManageIdentity},
	"POST /api/v1/identity/roots/{id}/crl":            {PermManageIdentity},
	"POST /api/v1/identity/ca":                        {PermManageCA},
	"GET /api/v1/identity/ca":                         {PermRead},
	"POST /api/v1/identity/devices":                   {PermManageIdentity},
	"GET /api/v1/identity/devices/{id}":               {PermRead},
	"POST /api/v1/identity/devices/{id}/idevid":       {PermManageIdentity},
	"POST /api/v1/identity/devices/{id}/certificates": {PermManageIdentity},
	"POST /api/v1/identity/devices/{id}/tokens":       {PermManageIdentity},
	"POST /api/v1/identity/devices/{id}/transitions":  {PermManageIdentity},
	"POST /api/v1/identity/devices/{id}/transfer":     {PermManageIdentity},
	"POST /api/v1/identity/transfers/claim":           {PermManageIdentity},
	"GET /api/v1/identity/certificates":               {PermRead},
	"GET /api/v1/identity/certificates/{id}":          {PermRead},
	"POST /api/v1/identity/certificates/{id}/revoke":  {PermManageIdentity},
	"GET /api/v1/identity/audit":                      {PermRead},
	// Supply chain.
	"GET /api/v1/vulndb":                        {PermRead},
	"GET /api/v1/vulnerabilities/{id}":          {PermRead},
	"GET /api/v1/firmware/{id}/sbom":            {PermRead},
	"PUT /api/v1/firmware/{id}/sbom":            {PermWriteProducts},
	"DELETE /api/v1/firmware/{id}/sbom":         {PermWriteProducts},
	"GET /api/v1/firmware/{id}/vulnerabilities": {PermRead},
	"POST /api/v1/firmware/{id}/rematch":        {PermWriteProducts},
	"GET /api/v1/firmware/{id}/vex":             {PermRead},
	"POST /api/v1/firmware/{id}/vex":            {PermWriteProducts},
	"GET /api/v1/firmware/{id}/vex/export":      {PermRead},
	"GET /api/v1/products/{id}/vulnerabilities": {PermRead},
	"GET /api/v1/products/{id}/csaf":            {PermRead},
	"GET /api/v1/components/exposure":           {PermRead},
	"GET /api/v1/cra-reports":                   {PermRead},
	"GET /api/v1/cra-reports/{id}":              {PermRead},
	"PATCH /api/v1/cra-reports/{id}":            {PermWriteProducts},
	"GET /api/v1/notifications":                 {PermRead},
	"POST /api/v1/notifications/read":           {PermWriteProducts},
	"GET /api/v1/notifications/deliveries":      {PermRead},
	"GET /api/v1/notify-settings":               {PermRead},
	"PUT /api/v1/notify-settings":               {PermManageTokens},
	"GET /api/v1/support":                       {PermRead},
	// Registry: the maker applies and withdraws, the scheme's side
	// certifies; a record's moves are one or the other.
	"GET /api/v1/registry":                {PermRead},
	"POST /api/v1/registry":               {PermWriteProducts},
	"GET /api/v1/registry/operators":      {PermRead},
	"POST /api/v1/registry/keys/rotate":   {PermCertify},
	"GET /api/v1/registry/{id}":           {PermRead},
	"GET /api/v1/registry/{id}/history":   {PermRead},
	"GET /api/v1/registry/{id}/label":     {PermRead},
	"POST /api/v1/registry/{id}/grant":    {PermCertify},
	"POST /api/v1/registry/{id}/suspend":  {PermCertify},
	"POST /api/v1/registry/{id}/revoke":   {PermCertify},
	"POST /api/v1/registry/{id}/review":   {PermCertify},
	"POST /api/v1/registry/{id}/clear":    {PermCertify},
	"POST /api/v1/registry/{id}/withdraw": {PermWriteProducts},
	"POST /api/v1/registry/{id}/renewal":  {PermWriteProducts},
	// Recognition requests between scheme owners: the store lets only the
	// two parties see one, and owners or admins move it.
	"GET /api/v1/recognitions":                {PermRead},
	"POST /api/v1/recognitions":               {PermManageMembers},
	"GET /api/v1/recognitions/{id}":           {PermRead},
	"POST /api/v1/recognitions/{id}/agree":    {PermManageMembers},
	"POST /api/v1/recognitions/{id}/refuse":   {PermManageMembers},
	"POST /api/v1/recognitions/{id}/withdraw": {PermManageMembers},
	"GET /api/v1/labels":                      {PermRead},
	"GET /api/v1/labels/{id}":                 {PermRead},
	// National measures: public data read by any member; proposals by
	// those who may change the organisation's catalog, reviews by its
	// administrators (the service also requires a government body).
	"GET /api/v1/policy/countries":              {PermRead},
	"GET /api/v1/policy/countries/{code}":       {PermRead},
	"GET /api/v1/policy/countries/{code}/brief": {PermRead},
	"GET /api/v1/policy/measures":               {PermRead},
	"GET /api/v1/policy/matrix":                 {PermRead},
	"GET /api/v1/policy/proposals":              {PermRead},
	"POST /api/v1/policy/proposals":             {PermWriteSchemes},
	"GET /api/v1/policy/proposals/{id}":         {PermRead},
	"POST /api/v1/policy/proposals/{id}/review": {PermManageMembers},

	// Web UI: public pages, the account and sessions.
	"GET /static/{file}":                     {Public},
	"GET /login":                             {Public},
	"POST /login":                            {Public},
	"GET /login/link/{secret}":               {Public},
	"POST /login/link":                       {Public},
	"GET /l/{file}":                          {Public},
	"POST /logout":                           {SignedIn},
	"POST /session/org":                      {SignedIn},
	"GET /{$}":                               {SignedIn},
	"GET /account":                           {SignedIn},
	"POST /account/password":                 {SignedIn},
	"GET /products":                          {PermRead},
	"GET /products/new":                      {PermWriteProducts},
	"POST /products":                         {PermWriteProducts},
	"GET /products/{id}":                     {PermRead},
	"GET /products/{id}/edit":                {PermWriteProducts},
	"POST /products/{id}":                    {PermWriteProducts},
	"POST /products/{id}/delete":             {PermWriteProducts},
	"POST /products/{id}/firmware":           {PermWriteProducts},
	"POST /firmware/{id}/delete":             {PermWriteProducts},
	"GET /devices":                           {PermRead},
	"GET /devices/new":                       {PermWriteProducts},
	"POST /devices":                          {PermWriteProducts},
	"GET /devices/import":                    {PermWriteProducts},
	"POST /devices/import":                   {PermWriteProducts},
	"GET /devices/{id}":                      {PermRead},
	"POST /devices/{id}":                     {PermWriteProducts},
	"POST /devices/{id}/delete":              {PermWriteProducts},
	"GET /jobs":                              {PermRead},
	"GET /jobs/{id}":                         {PermRead},
	"GET /settings/tokens":                   {PermManageTokens},
	"POST /settings/tokens":                  {PermManageTokens},
	"POST /settings/tokens/{id}/revoke":      {PermManageTokens},
	"GET /settings/members":                  {PermRead},
	"POST /settings/members":                 {PermManageMembers},
	"POST /settings/members/{user}/role":     {PermManageMembers},
	"POST /settings/members/{user}/remove":   {PermManageMembers},
	"POST /settings/invitations/{id}/cancel": {PermManageMembers},
	// An invitee accepts or declines signed in, before being a member.
	"GET /invitations/{secret}":                    {SignedIn},
	"POST /invitations/accept":                     {SignedIn},
	"POST /invitations/{id}/accept":                {SignedIn},
	"POST /invitations/{id}/decline":               {SignedIn},
	"GET /audit":                                   {PermReadAudit},
	"GET /catalog":                                 {PermRead},
	"GET /catalog/schemes/{slug}":                  {PermRead},
	"GET /catalog/schemes/{slug}/export":           {PermRead},
	"GET /catalog/schemes/{slug}/provisions/{pid}": {PermRead},
	"GET /catalog/compare":                         {PermRead},
	"GET /catalog/applies":                         {PermRead},
	"GET /catalog/baseline":                        {PermRead},
	"GET /catalog/gaps":                            {PermRead},
	"GET /guides":                                  {PermRead},
	"GET /standards/calls":                         {PermRead},
	"GET /catalog/recognition":                     {PermRead},
	"GET /catalog/imports":                         {PermRead},
	"POST /catalog/imports":                        {PermWriteSchemes},
	"GET /catalog/imports/{id}":                    {PermRead},
	"GET /catalog/imports/{id}/source":             {PermRead},
	"POST /catalog/imports/{id}/visibility":        {PermWriteSchemes},
	"POST /catalog/imports/{id}/delete":            {PermWriteSchemes},
	"GET /evaluation":                              {PermRead},
	"GET /firmware/{id}":                           {PermRead},
	"POST /firmware/{id}/image":                    {PermWriteProducts},
	"GET /firmware/{id}/findings":                  {PermRead},
	"GET /firmware/{id}/components":                {PermRead},
	"GET /firmware/{id}/verdicts":                  {PermRead},
	"POST /firmware/{id}/evidence":                 {PermAssess},
	"POST /firmware/{id}/ics":                      {PermWriteProducts, PermAssess},
	"POST /firmware/{id}/ixit":                     {PermWriteProducts, PermAssess},
	"GET /firmware/{id}/ics.csv":                   {PermRead},
	"GET /firmware/{id}/report":                    {PermRead},
	"GET /firmware/{id}/report.sarif":              {PermRead},
	"GET /supply-chain":                            {PermRead},
	"GET /supply/vulnerabilities":                  {PermRead},
	"GET /supply/vulnerabilities/{id}":             {PermRead},
	"GET /supply/components":                       {PermRead},
	"GET /supply/firmware/{id}":                    {PermRead},
	"POST /supply/firmware/{id}/rematch":           {PermWriteProducts},
	"POST /supply/firmware/{id}/sbom":              {PermWriteProducts},
	"GET /supply/firmware/{id}/sbom":               {PermRead},
	"POST /supply/firmware/{id}/vex":               {PermWriteProducts},
	"GET /supply/firmware/{id}/vex":                {PermRead},
	"GET /supply/products/{id}/csaf":               {PermRead},
	"GET /supply/cra":                              {PermRead},
	"GET /supply/cra/{id}":                         {PermRead},
	"POST /supply/cra/{id}":                        {PermWriteProducts},
	"GET /supply/notifications":                    {PermRead},
	"POST /supply/notifications/read":              {PermWriteProducts},
	"POST /supply/notifications/settings":          {PermManageTokens},
	"GET /supply/support":                          {PermRead},
	"GET /identity":                                {PermRead},
	"POST /identity/ca":                            {PermManageCA},
	"POST /identity/claim":                         {PermManageIdentity},
	"GET /identity/roots":                          {PermRead},
	"POST /identity/roots":                         {PermManageIdentity},
	"POST /identity/roots/{id}/delete":             {PermManageIdentity},
	"GET /identity/devices":                        {PermRead},
	"GET /identity/devices/{id}":                   {PermRead},
	"POST /identity/devices/{id}/transition":       {PermManageIdentity},
	"POST /identity/devices/{id}/idevid":           {PermManageIdentity},
	"POST /identity/devices/{id}/token":            {PermManageIdentity},
	"POST /identity/devices/{id}/transfer":         {PermManageIdentity},
	"GET /identity/certificates":                   {PermRead},
	"GET /identity/certificates/{id}":              {PermRead},
	"POST /identity/certificates/{id}/revoke":      {PermManageIdentity},
	"GET /identity/audit":                          {PermRead},
	"GET /registry":                                {PermRead},
	"POST /registry":                               {PermWriteProducts},
	"GET /registry/{id}":                           {PermRead},
	"POST /registry/{id}/renew":                    {PermWriteProducts},
	"POST /registry/recognitions":                  {PermManageMembers},
	"POST /registry/recognitions/{id}/agree":       {PermManageMembers},
	"POST /registry/recognitions/{id}/refuse":      {PermManageMembers},
	"POST /registry/recognitions/{id}/withdraw":    {PermManageMembers},
	"GET /policy":                                  {PermRead},
	"GET /policy/{code}":                           {PermRead},
	"GET /policy/{code}/brief":                     {PermRead},
	// A move is a withdrawal (the maker) or a certifier's move.
	"POST /registry/{id}/move": {PermWriteProducts, PermCertify},
}

// Requirement is what the table asks of op, and whether it names op.
func Requirement(op Operation) ([]Permission, bool) {
	p, ok := access[op]
	return p, ok
}

// Operations lists every operation of the table.
func Operations() []Operation {
	ops := make([]Operation, 0, len(access))
	for op := range access {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	return ops
}

// Admits reports whether role r may perform op: the table names op and r
// grants one of its permissions (every role is signed in).
func (r Role) Admits(op Operation) bool {
	for _, p := range access[op] {
		if p == Public || p == SignedIn && r.Valid() || r.Allows(p) {
			return true
		}
	}
	return false
}

// MinimumRoles are the roles that may perform op.
func MinimumRoles(op Operation) []Role {
	var rs []Role
	for _, r := range Roles() {
		if r.Admits(op) {
			rs = append(rs, r)
		}
	}
	return rs
}

// May returns a Forbidden error unless the table lets the actor perform
// op. A door calls it before it reads the request's input, so a refused
// request learns nothing about what it sent. An operation missing from
// the table is refused.
func (a Actor) May(op Operation) error {
	need, ok := access[op]
	if !ok {
		return Forbidden("%s is not in the authorisation table", op)
	}
	for _, p := range need {
		if p == SignedIn || p == Public {
			return nil
		}
	}
	if a.OrgID == "" {
		return Forbidden("no organisation selected")
	}
	for _, p := range need {
		if a.Role.Allows(p) {
			return nil
		}
	}
	return a.Can(need[0])
}
