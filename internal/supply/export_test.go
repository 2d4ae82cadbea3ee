package supply

// OpenSecret opens a stored webhook secret, for the tests.
func (s *Service) OpenSecret(orgID, stored string) (string, error) {
	return s.openSecret(orgID, stored)
}
