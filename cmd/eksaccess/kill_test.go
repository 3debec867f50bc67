package main_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// TestKillLosesNoAcknowledgedWrite: concurrent CreateCluster and CreateAccessEntry calls run
// against a server on SQLite (group commit, default synchronous=FULL) until it is killed with
// SIGKILL while calls are in flight; a server started again on the database has every
// cluster and entry whose creation was acknowledged, and every cluster there is whole (its
// DescribeCluster answers with its CA: each call is all-or-nothing).
func TestKillLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "kill.db")
	p := serve(t, dir, nil, "--database", db)
	ctx := context.Background()
	client := func(url string) *eks.Client {
		return eks.New(eksClient(url).Options(), func(o *eks.Options) { o.Retryer = aws.NopRetryer{} })
	}
	c0 := client(p.url)
	if _, err := c0.CreateCluster(ctx, createCluster("kill", types.AuthenticationModeApi)); err != nil {
		t.Fatal(err)
	}

	const workers, killAfter = 32, 400
	var mu sync.Mutex
	var clusters, entries []string
	acked := 0
	killed := make(chan struct{})
	var once sync.Once
	kill := func() {
		once.Do(func() {
			// Marked before the signal: a call that fails from here on may have been cut by
			// the kill, and its worker must not read the failure as one before it.
			close(killed)
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Error(err)
			}
		})
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				name := fmt.Sprintf("k-%d-%d", w, i)
				var err error
				if i%2 == 0 {
					_, err = c0.CreateCluster(ctx, createCluster(name, types.AuthenticationModeApiAndConfigMap))
				} else {
					_, err = c0.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("kill"),
						PrincipalArn: aws.String("arn:aws:iam::012345678910:role/" + name), KubernetesGroups: []string{"devs"}})
				}
				if err != nil {
					select {
					case <-killed:
						return // the server is gone: the call may or may not have committed
					default:
						t.Errorf("%s before the kill: %v", name, err)
						kill()
						return
					}
				}
				mu.Lock()
				if i%2 == 0 {
					clusters = append(clusters, name)
				} else {
					entries = append(entries, name)
				}
				acked++
				n := acked
				mu.Unlock()
				if n == killAfter {
					kill() // the other workers' calls are in flight
				}
			}
		}()
	}
	wg.Wait()
	p.cmd.Wait()
	if t.Failed() {
		return
	}

	p2 := serve(t, dir, nil, "--database", db)
	c2 := client(p2.url)
	have := map[string]bool{}
	for pg := eks.NewListClustersPaginator(c2, &eks.ListClustersInput{}); pg.HasMorePages(); {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range out.Clusters {
			have[n] = true
			d, err := c2.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(n)})
			if err != nil || d.Cluster.CertificateAuthority == nil || aws.ToString(d.Cluster.CertificateAuthority.Data) == "" {
				t.Errorf("cluster %s after the kill: %+v %v", n, d, err)
			}
		}
	}
	for _, n := range clusters {
		if !have[n] {
			t.Errorf("acknowledged CreateCluster %s lost by the kill", n)
		}
	}
	haveEntry := map[string]bool{}
	for pg := eks.NewListAccessEntriesPaginator(c2, &eks.ListAccessEntriesInput{ClusterName: aws.String("kill")}); pg.HasMorePages(); {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.AccessEntries {
			haveEntry[a] = true
		}
	}
	for _, n := range entries {
		if !haveEntry["arn:aws:iam::012345678910:role/"+n] {
			t.Errorf("acknowledged CreateAccessEntry %s lost by the kill", n)
		}
	}
	t.Logf("%d clusters and %d entries acknowledged before the kill; %d clusters, %d entries after it", len(clusters), len(entries), len(have), len(haveEntry))
	p2.stop(t)
}

func createCluster(name string, mode types.AuthenticationMode) *eks.CreateClusterInput {
	return &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"), Version: aws.String("1.31"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
		AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: mode}}
}
