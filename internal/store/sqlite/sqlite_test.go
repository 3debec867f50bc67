package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
	"github.com/eksaccess/eksaccess/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) access.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) access.Store {
		s, err := sqlite.Open(context.Background(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	for i := 0; i < 2; i++ {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		s.Close()
	}
}

// TestGroupCommitKeepsEachCallAllOrNothing: concurrent write calls share commits, yet a call
// that fails leaves none of its writes, and every call that succeeded is committed.
func TestGroupCommitKeepsEachCallAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 64
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(ctx, func(tx access.Tx) error {
				c := &access.Cluster{ID: fmt.Sprintf("id-%d", i), Account: "012345678910", Region: "us-west-2", Name: fmt.Sprintf("c-%d", i),
					ARN: fmt.Sprintf("arn:aws:eks:us-west-2:012345678910:cluster/c-%d", i), Status: access.ClusterActive, AuthenticationMode: access.ModeAPI}
				if err := tx.InsertCluster(c); err != nil {
					return err
				}
				if i%3 == 0 {
					return errBoom // after writing: the write must vanish
				}
				if i%3 == 1 { // a constraint failure inside a call that then goes on
					if err := tx.InsertCluster(c); !errors.Is(err, access.ErrAlreadyExists) {
						return fmt.Errorf("second insert: %v", err)
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		var err error
		err = s.View(ctx, func(tx access.Tx) error {
			_, err := tx.GetClusterByID(fmt.Sprintf("id-%d", i))
			return err
		})
		if i%3 == 0 {
			if !errors.Is(errs[i], errBoom) || !errors.Is(err, access.ErrNotFound) {
				t.Errorf("call %d: returned %v, cluster lookup %v; want boom and not found", i, errs[i], err)
			}
		} else if errs[i] != nil || err != nil {
			t.Errorf("call %d: returned %v, cluster lookup %v; want both nil", i, errs[i], err)
		}
	}
}

// A transaction function that panics fails its own call only: the others of its batch commit,
// the store stays usable, and nobody waits forever.
func TestGroupCommitSurvivesAPanickingCall(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(ctx, func(tx access.Tx) error {
				c := &access.Cluster{ID: fmt.Sprintf("id-%d", i), Account: "012345678910", Region: "us-west-2", Name: fmt.Sprintf("c-%d", i),
					ARN: fmt.Sprintf("arn:aws:eks:us-west-2:012345678910:cluster/c-%d", i), Status: access.ClusterActive, AuthenticationMode: access.ModeAPI}
				if err := tx.InsertCluster(c); err != nil {
					return err
				}
				if i%4 == 0 {
					panic("boom")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		err := s.View(ctx, func(tx access.Tx) error {
			_, err := tx.GetClusterByID(fmt.Sprintf("id-%d", i))
			return err
		})
		if i%4 == 0 {
			if errs[i] == nil || !strings.Contains(errs[i].Error(), "panicked: boom") || !errors.Is(err, access.ErrNotFound) {
				t.Errorf("call %d: returned %v, lookup %v; want the panic as an error and nothing written", i, errs[i], err)
			}
		} else if errs[i] != nil || err != nil {
			t.Errorf("call %d: returned %v, lookup %v", i, errs[i], err)
		}
	}
	if err := s.Update(ctx, func(access.Tx) error { return nil }); err != nil {
		t.Fatalf("store unusable after a panic: %v", err)
	}
}
