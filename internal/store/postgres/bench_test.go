package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/postgres"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
	"github.com/eksaccess/eksaccess/internal/testutil/testenv"
)

// BenchmarkCreateEntry writes one access entry per transaction (as CreateAccessEntry does:
// read the cluster, insert the entry) on SQLite, the baseline, and on PostgreSQL, with
// parallel writers contending on one cluster.
//
//	EKSACCESS_TEST_POSTGRES=$(hack/postgres.sh start) go test -run XXX -bench CreateEntry ./internal/store/postgres/
func BenchmarkCreateEntry(b *testing.B) {
	ctx := context.Background()
	stores := []struct {
		name string
		open func(b *testing.B) access.Store
	}{
		{"sqlite", func(b *testing.B) access.Store {
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) access.Store {
			s, err := postgres.Open(ctx, testenv.PostgresSchema(b, testenv.PostgresDSN(b)))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			if err := insertCluster(s, "bench"); err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					err := s.Update(ctx, func(tx access.Tx) error {
						cl, err := tx.GetCluster(access.ClusterKey{Account: "111111111111", Region: "us-west-2", Name: "bench"})
						if err != nil {
							return err
						}
						arn := fmt.Sprintf("arn:aws:iam::111111111111:role/r-%d", i)
						return tx.InsertAccessEntry(&access.AccessEntry{ClusterID: cl.ID, ClusterName: cl.Name, PrincipalARN: arn, ARN: arn + "/entry",
							Type: access.TypeStandard, Username: arn, KubernetesGroups: []string{}, Tags: map[string]string{}})
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
