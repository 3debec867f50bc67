package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
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

// TestViewOneStatement: a one-statement view answers what View answers, sees every committed
// write at once (file and in-memory databases), and refuses a second statement and any write.
func TestViewOneStatement(t *testing.T) {
	for _, path := range []string{filepath.Join(t.TempDir(), "o.db"), ":memory:"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ctx := context.Background()
			s, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var _ access.OneStatementViewer = s
			c := &access.Cluster{ID: "id-1", Account: "012345678910", Region: "us-west-2", Name: "web",
				ARN: "arn:aws:eks:us-west-2:012345678910:cluster/web", Status: access.ClusterActive, AuthenticationMode: access.ModeAPI}
			if err := s.Update(ctx, func(tx access.Tx) error { return tx.InsertCluster(c) }); err != nil {
				t.Fatal(err)
			}
			key := c.Key()
			// Many rounds, so that the statement is read both before and after the pool has
			// prepared it.
			for i := 0; i < 50; i++ {
				principal := fmt.Sprintf("arn:aws:iam::012345678910:role/r-%d", i)
				if err := s.ViewOneStatement(ctx, func(tx access.Tx) error {
					_, _, err := tx.GetClusterEntry(key, principal)
					return err
				}); !errors.Is(err, access.ErrNotFound) {
					t.Fatalf("before the write: %v, want not found", err)
				}
				e := &access.AccessEntry{ClusterID: c.ID, ClusterName: c.Name, PrincipalARN: principal, ARN: "arn:entry/" + principal,
					Type: access.TypeStandard, Username: fmt.Sprint("u-", i), KubernetesGroups: []string{"g"}, Tags: map[string]string{}}
				if err := s.Update(ctx, func(tx access.Tx) error { return tx.InsertAccessEntry(e) }); err != nil {
					t.Fatal(err)
				}
				var got, want *access.AccessEntry
				if err := s.ViewOneStatement(ctx, func(tx access.Tx) error {
					_, got, err = tx.GetClusterEntry(key, principal)
					return err
				}); err != nil {
					t.Fatalf("round %d, after the write: %v", i, err)
				}
				if err := s.View(ctx, func(tx access.Tx) error {
					_, want, err = tx.GetClusterEntry(key, principal)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) || got.Username != e.Username {
					t.Fatalf("round %d: one-statement view %+v, View %+v", i, got, want)
				}
			}
			err = s.ViewOneStatement(ctx, func(tx access.Tx) error {
				if _, err := tx.GetClusterSummary(key); err != nil {
					return err
				}
				_, err := tx.GetClusterSummary(key)
				return err
			})
			if err == nil {
				t.Fatal("a second statement in a one-statement view: no error")
			}
			err = s.ViewOneStatement(ctx, func(tx access.Tx) error { return tx.DeleteCluster(c.ID) })
			if err == nil {
				t.Fatal("a write in a one-statement view: no error")
			}
			if err := s.View(ctx, func(tx access.Tx) error { _, err := tx.GetClusterSummary(key); return err }); err != nil {
				t.Fatalf("after the refused write: %v", err)
			}
		})
	}
}
