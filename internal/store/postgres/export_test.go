package postgres

import "testing"

// AppliedMigrations counts the rows of schema_migrations (one per applied migration).
func (s *Store) AppliedMigrations(t *testing.T) int {
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
