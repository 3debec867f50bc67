package main_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// A write acknowledged by one replica is seen at once by a read on another: what a client
// behind a load balancer expects of one endpoint (issue 15). Reads are served from a replica's
// memory (access.ReadView) while the change feed's Sync marker says no other replica wrote;
// each round first fills the reader's memory with what the other replica then changes.
func TestReplicasReadYourWritesAcrossReplicas(t *testing.T) {
	t.Parallel() // its own schema (or directory) and servers
	dsn := testutil.PostgresSchema(t, testutil.PostgresDSN(t))
	rs := startReplicas(t, dsn, 2)
	a, b := rs[0], rs[1]
	ctx := testutil.Ctx(t)
	createAPICluster(t, ctx, a.eks, "ryw")
	// The cluster created on a is described on b at once.
	if _, err := b.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("ryw")}); err != nil {
		t.Fatalf("cluster created on replica A not seen by replica B: %v", err)
	}
	const rounds = 40
	for i := range rounds {
		w, r := a, b
		if i%2 == 1 { // both directions
			w, r = b, a
		}
		principal := fmt.Sprintf("arn:aws:iam::012345678910:role/load-%d", i)
		group := fmt.Sprintf("group-%d", i)
		// The reader has just read what is about to change: its view holds "not found", the
		// cluster and the list, all to be invalidated by the other replica's writes.
		if _, err := r.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("ryw"), PrincipalArn: aws.String(principal)}); errorCode(err) != "ResourceNotFoundException" {
			t.Fatalf("round %d: entry not created yet: %v", i, err)
		}
		if _, err := r.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("ryw")}); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if _, err := r.eks.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("ryw")}); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		created, err := w.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("ryw"), PrincipalArn: aws.String(principal), KubernetesGroups: []string{group}})
		if err != nil {
			t.Fatalf("round %d: create: %v", i, err)
		}
		got, err := r.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("ryw"), PrincipalArn: aws.String(principal)})
		if err != nil {
			t.Fatalf("round %d: entry acknowledged by one replica not found by the other at once: %s %v", i, errorCode(err), err)
		}
		if x, y := aws.ToString(got.AccessEntry.AccessEntryArn), aws.ToString(created.AccessEntry.AccessEntryArn); x != y {
			t.Fatalf("round %d: described ARN %s, created %s", i, x, y)
		}
		if !slices.Equal(got.AccessEntry.KubernetesGroups, []string{group}) {
			t.Fatalf("round %d: described groups %v, want [%s]", i, got.AccessEntry.KubernetesGroups, group)
		}
		var listed []string
		p := eks.NewListAccessEntriesPaginator(r.eks, &eks.ListAccessEntriesInput{ClusterName: aws.String("ryw")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("round %d: list: %v", i, err)
			}
			listed = append(listed, page.AccessEntries...)
		}
		if !slices.Contains(listed, principal) {
			t.Fatalf("round %d: %s acknowledged by one replica missing from the other's list (%d entries)", i, principal, len(listed))
		}
		// An update of the entry and a tag on the cluster, acknowledged by one replica, are
		// seen by the other's Describe of what it has just read.
		updated := group + "-updated"
		if _, err := w.eks.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String("ryw"), PrincipalArn: aws.String(principal), KubernetesGroups: []string{updated}}); err != nil {
			t.Fatalf("round %d: update: %v", i, err)
		}
		got, err = r.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("ryw"), PrincipalArn: aws.String(principal)})
		if err != nil || !slices.Equal(got.AccessEntry.KubernetesGroups, []string{updated}) {
			t.Fatalf("round %d: update acknowledged by one replica not seen by the other: %v %v", i, got, err)
		}
		cl, err := r.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("ryw")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.eks.TagResource(ctx, &eks.TagResourceInput{ResourceArn: cl.Cluster.Arn, Tags: map[string]string{"round": group}}); err != nil {
			t.Fatalf("round %d: tag: %v", i, err)
		}
		cl, err = r.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("ryw")})
		if err != nil || cl.Cluster.Tags["round"] != group {
			t.Fatalf("round %d: tag acknowledged by one replica not seen by the other's DescribeCluster: %v %v", i, cl.Cluster.Tags, err)
		}
		// A delete acknowledged by one replica is likewise seen at once by the other.
		if i%4 == 3 {
			if _, err := w.eks.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String("ryw"), PrincipalArn: aws.String(principal)}); err != nil {
				t.Fatalf("round %d: delete: %v", i, err)
			}
			_, err := r.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("ryw"), PrincipalArn: aws.String(principal)})
			if errorCode(err) != "ResourceNotFoundException" {
				t.Fatalf("round %d: entry deleted on one replica still described by the other: %v", i, err)
			}
		}
	}
}
