package server_test

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store"
	"github.com/eksaccess/eksaccess/internal/testutil"
	"github.com/eksaccess/eksaccess/internal/testutil/creds"
)

// DescribeAccessEntry's answers and ListAccessEntries' pages may come from memory
// (access.ReadView on SQLite): with readers filling it all along, every read made after a write
// was acknowledged sees that write (and DescribeCluster likewise), and a second account never
// sees the first's.
func TestDescribeSeesEveryAcknowledgedWrite(t *testing.T) {
	s := testutil.Start(t)
	c := s.EKS()
	other := s.EKSAs("111122223333", testutil.DefaultRegion)
	ctx := testutil.Ctx(t)
	createCluster(t, c, "mem")
	cl, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("mem")})
	if err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 4, 25
	principal := func(w int) string { return fmt.Sprintf("arn:aws:iam::%s:role/mem-%d", testutil.DefaultAccount, w) }
	for w := range writers {
		if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("mem"), PrincipalArn: aws.String(principal(w))}); err != nil {
			t.Fatal(err)
		}
	}
	list := func() ([]string, error) {
		var out []string
		p := eks.NewListAccessEntriesPaginator(c, &eks.ListAccessEntriesInput{ClusterName: aws.String("mem"), MaxResults: aws.Int32(3)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			out = append(out, page.AccessEntries...)
		}
		return out, nil
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for w := range writers { // keep the view full of what is about to change
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("mem"), PrincipalArn: aws.String(principal(w))})
				c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("mem")})
				c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("mem")})
			}
		}()
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				p := aws.String(principal(w))
				for i := range rounds {
					group := fmt.Sprintf("g-%d-%d", w, i)
					if _, err := c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String("mem"), PrincipalArn: p, KubernetesGroups: []string{group}}); err != nil {
						return err
					}
					got, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("mem"), PrincipalArn: p})
					if err != nil {
						return err
					}
					if !slices.Equal(got.AccessEntry.KubernetesGroups, []string{group}) {
						return fmt.Errorf("writer %d round %d: described groups %v after the update to [%s] was acknowledged", w, i, got.AccessEntry.KubernetesGroups, group)
					}
					extra := fmt.Sprintf("%s-%d", principal(w), i)
					if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("mem"), PrincipalArn: aws.String(extra)}); err != nil {
						return err
					}
					if l, err := list(); err != nil || !slices.Contains(l, extra) {
						return fmt.Errorf("writer %d round %d: %s missing from the list after its creation was acknowledged (%v)", w, i, extra, err)
					}
					if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String("mem"), PrincipalArn: aws.String(extra)}); err != nil {
						return err
					}
					if l, err := list(); err != nil || slices.Contains(l, extra) {
						return fmt.Errorf("writer %d round %d: %s still listed after its deletion was acknowledged (%v)", w, i, extra, err)
					}
					key, val := fmt.Sprintf("w%d", w), fmt.Sprint(i)
					if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: cl.Cluster.Arn, Tags: map[string]string{key: val}}); err != nil {
						return err
					}
					d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("mem")})
					if err != nil {
						return err
					}
					if d.Cluster.Tags[key] != val {
						return fmt.Errorf("writer %d round %d: described tag %s=%q after the tag %q was acknowledged", w, i, key, d.Cluster.Tags[key], val)
					}
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// A delete is seen at once too.
	if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String("mem"), PrincipalArn: aws.String(principal(0))}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("mem"), PrincipalArn: aws.String(principal(0))})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "")
	// Another account's cluster of the same name is another cluster.
	_, err = other.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("mem")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "")
	_, err = other.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("mem"), PrincipalArn: aws.String(principal(1))})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "")
	_, err = other.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("mem")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "")
}

// A write to the SQLite file that does not pass through the server (`eksaccess cluster attach`
// writes a running server's database directly) is seen by the next DescribeCluster at once,
// though the server had the cluster in memory: the read view asks SQLite's data version first.
func TestDescribeClusterSeesWritesOfOtherConnections(t *testing.T) {
	if os.Getenv(testutil.EngineEnv) == "postgres" {
		t.Skip("SQLite's data version; PostgreSQL's replicas: cmd/eksaccess TestReplicasReadYourWritesAcrossReplicas")
	}
	s := testutil.Start(t)
	c := s.EKS()
	ctx := testutil.Ctx(t)
	createCluster(t, c, "attached")
	ca := creds.NewPKI(t).CAPEM
	key := access.ClusterKey{Account: testutil.DefaultAccount, Region: testutil.DefaultRegion, Name: "attached"}
	for i := range 5 {
		for range 3 { // the view holds the cluster
			if _, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("attached")}); err != nil {
				t.Fatal(err)
			}
		}
		other, err := store.Open(ctx, s.Config.Database) // its own connections, as another process
		if err != nil {
			t.Fatal(err)
		}
		endpoint := fmt.Sprintf("https://10.0.0.%d:6443", i+1)
		if _, err := access.NewService(other).AttachKubernetes(ctx, key, endpoint, ca); err != nil {
			t.Fatal(err)
		}
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("attached")})
		if err != nil {
			t.Fatal(err)
		}
		if e := aws.ToString(got.Cluster.Endpoint); e != endpoint {
			t.Fatalf("round %d: DescribeCluster answered endpoint %q after another connection attached %q", i, e, endpoint)
		}
	}
}

// DescribeCluster's answer is encoded once per cluster revision: every change of the cluster
// (tags here; attach above; deletion and re-creation) answers anew at once.
func TestDescribeClusterAnswerFollowsEveryChange(t *testing.T) {
	s := testutil.Start(t)
	c := s.EKS()
	ctx := testutil.Ctx(t)
	createCluster(t, c, "enc")
	describe := func() *eks.DescribeClusterOutput {
		t.Helper()
		out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("enc")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	arn := describe().Cluster.Arn
	for i := range 10 {
		v := fmt.Sprint(i)
		if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"round": v}}); err != nil {
			t.Fatal(err)
		}
		if got := describe().Cluster.Tags["round"]; got != v {
			t.Fatalf("round %d: tag %q after tagging %q", i, got, v)
		}
		if _, err := c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"round"}}); err != nil {
			t.Fatal(err)
		}
		if got, ok := describe().Cluster.Tags["round"]; ok {
			t.Fatalf("round %d: tag %q still answered after untagging", i, got)
		}
	}
	before := describe().Cluster
	if _, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("enc")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("enc")}); err == nil {
		t.Fatal("deleted cluster still described")
	}
	createCluster(t, c, "enc")
	if after := describe().Cluster; aws.ToString(after.Endpoint) == aws.ToString(before.Endpoint) {
		t.Fatalf("re-created cluster answered the deleted one's endpoint %s", aws.ToString(after.Endpoint))
	}
}
