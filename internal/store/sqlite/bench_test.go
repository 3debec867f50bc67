package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
)

// benchService is the domain over a SQLite file with one API cluster of 10 access entries.
func benchService(b *testing.B) (*access.Service, access.Caller) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	svc := access.NewService(st)
	c := access.Caller{Account: "012345678910", Region: "us-west-2"}
	if _, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: "web", RoleARN: "arn:aws:iam::012345678910:role/eks",
		ResourcesVPCConfig: &access.VPCConfigInput{}, AccessConfig: &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPI)}}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, err := svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: "web", PrincipalARN: fmt.Sprintf("arn:aws:iam::012345678910:role/r-%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	return svc, c
}

// BenchmarkDescribeAccessEntry is the store work of DescribeAccessEntry: one read transaction
// loading the cluster and the entry.
func BenchmarkDescribeAccessEntry(b *testing.B) {
	svc, c := benchService(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if _, err := svc.DescribeAccessEntry(ctx, c, "web", fmt.Sprintf("arn:aws:iam::012345678910:role/r-%d", i%10)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCreateAccessEntry is CreateAccessEntry with a clientRequestToken, as SDKs send it,
// from parallel callers (the figure includes the commit's fsync).
func BenchmarkCreateAccessEntry(b *testing.B) {
	svc, c := benchService(b)
	ctx := context.Background()
	var n atomicCounter
	b.ReportAllocs()
	b.SetParallelism(8)
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.next()
			if _, err := svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: "web",
				PrincipalARN: fmt.Sprintf("arn:aws:iam::012345678910:role/c-%d", i), ClientRequestToken: fmt.Sprint("t-", i)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCreateCluster is CreateCluster as aws-sdk-go-v2 sends it (a UUID clientRequestToken,
// API_AND_CONFIG_MAP with the creator's admin entry) by a verified caller, from 32 parallel
// callers per CPU (the figure includes the commit's fsync).
func BenchmarkCreateCluster(b *testing.B) {
	svc, c := benchService(b)
	c.PrincipalARN, c.PrincipalID = "arn:aws:iam::012345678910:user/bench", "AIDAEXAMPLEBENCH"
	ctx := context.Background()
	var n atomicCounter
	b.ReportAllocs()
	b.SetParallelism(32)
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.next()
			if _, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: fmt.Sprint("new-", i), Version: "1.31",
				RoleARN:            "arn:aws:iam::012345678910:role/eks",
				ResourcesVPCConfig: &access.VPCConfigInput{SubnetIDs: []string{"subnet-1", "subnet-2"}},
				AccessConfig:       &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPIAndConfigMap), BootstrapClusterCreatorAdminPermissions: aws.Bool(true)},
				ClientRequestToken: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// reportCPU reports the process's CPU time (user and system) per op from now until the
// returned func runs: on a shared machine it says more than the wall time.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	t0 := cpu()
	return func() { b.ReportMetric(float64((cpu()-t0).Microseconds())/float64(b.N), "cpu-µs/op") }
}

type atomicCounter struct{ v atomic.Int64 }

func (c *atomicCounter) next() int64 { return c.v.Add(1) }
