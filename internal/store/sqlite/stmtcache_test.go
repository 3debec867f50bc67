package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
)

// The reads written once in sqlstore run through this backend's statement cache: a
// transaction prepares each query once, and the read pool keeps it for later transactions.
func TestSharedReadsUseStatementCache(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := access.ClusterKey{Account: "111122223333", Region: "us-east-1", Name: "absent"}
	err = s.View(ctx, func(atx access.Tx) error {
		for range 2 {
			if _, err := atx.GetCluster(key); !errors.Is(err, access.ErrNotFound) {
				t.Errorf("GetCluster: %v, want ErrNotFound", err)
			}
		}
		if _, err := atx.ListClusters(key.Account, key.Region, access.Page{Limit: 10}); err != nil {
			t.Errorf("ListClusters: %v", err)
		}
		if n := len(atx.(*tx).local); n != 2 {
			t.Errorf("the transaction prepared %d statements for 2 distinct queries, want 2", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The pool prepares in the background: wait for both statements to land there.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := 0
		s.readerStmts.m.Range(func(_, v any) bool {
			if _, ok := v.(*sql.Stmt); ok {
				n++
			}
			return true
		})
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read pool holds %d prepared statements, want 2", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
