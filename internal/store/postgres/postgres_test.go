package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/postgres"
	"github.com/eksaccess/eksaccess/internal/store/storetest"
	"github.com/eksaccess/eksaccess/internal/testutil/testenv"
)

// TestConformance runs the storetest suite, unchanged, on PostgreSQL: every case gets a fresh
// schema in the test database (EKSACCESS_TEST_POSTGRES).
func TestConformance(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	storetest.Run(t, func(t *testing.T) access.Store {
		s, err := postgres.Open(context.Background(), testenv.PostgresSchema(t, dsn))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestMigrationsConcurrent opens one empty schema from several stores at once: each
// migration is applied exactly once and every store opens.
func TestMigrationsConcurrent(t *testing.T) {
	dsn := testenv.PostgresSchema(t, testenv.PostgresDSN(t))
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), dsn)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open #%d: %v", i, err)
		}
	}
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := s.AppliedMigrations(t), postgres.SchemaVersion(); got != want {
		t.Fatalf("schema_migrations has %d rows, want %d", got, want)
	}
}
