package kubeauth

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
)

// snapshot is an index's content in comparable form.
func snapshot(ix *Index) []string {
	var out []string
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for k, v := range ix.byKey {
		v.mu.RLock()
		for arn, e := range v.byARN {
			byID := ""
			if e.PrincipalID != "" && v.byID[e.PrincipalID] == e {
				byID = "byID"
			}
			out = append(out, fmt.Sprintf("%s/%s/%s mode=%s %s id=%s %s user=%s groups=%v assoc=%d", k.Account, k.Region, k.Name, v.Mode,
				arn, e.PrincipalID, byID, e.Username, e.Groups, e.Associations))
		}
		if len(v.byARN) == 0 {
			out = append(out, fmt.Sprintf("%s/%s/%s mode=%s (no entries)", k.Account, k.Region, k.Name, v.Mode))
		}
		v.mu.RUnlock()
	}
	sort.Strings(out)
	return out
}

// TestRefreshChangesMatchesLoad: after every kind of write, the index kept current entry by
// entry equals an index loaded afresh from the store.
func TestRefreshChangesMatchesLoad(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ix := NewIndex(st)
	if err := ix.Load(ctx); err != nil {
		t.Fatal(err)
	}
	var refreshErr error
	svc := access.NewService(&access.Notifying{Store: st, OnCommitChanges: func(ch access.Changes) {
		if err := ix.RefreshChanges(ctx, ch); err != nil {
			refreshErr = err
		}
	}})
	svc.SetPrincipalResolver(func(_ context.Context, p access.Principal, _ string) (string, error) {
		return "AROA" + strings.ToUpper(p.Name), nil
	})
	c := access.Caller{Account: "012345678910", Region: "us-west-2"}
	role := func(n string) string { return "arn:aws:iam::012345678910:role/team/" + n }
	check := func(step string) {
		t.Helper()
		if refreshErr != nil {
			t.Fatalf("%s: %v", step, refreshErr)
		}
		fresh := NewIndex(st)
		if err := fresh.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := snapshot(ix), snapshot(fresh); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: index kept current\n%s\nwant (loaded afresh)\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: "web", RoleARN: role("eks"), ResourcesVPCConfig: &access.VPCConfigInput{},
		AccessConfig: &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPI)}}))
	check("create cluster")
	for _, n := range []string{"a", "b", "c"} {
		must(svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: "web", PrincipalARN: role(n), KubernetesGroups: []string{"g-" + n}}))
	}
	check("create entries")
	scope := &access.AccessScopeInput{Type: aws.String("namespace"), Namespaces: []string{"dev"}}
	for _, p := range []string{"AmazonEKSViewPolicy", "AmazonEKSEditPolicy"} {
		must(svc.AssociateAccessPolicy(ctx, c, access.AssociateAccessPolicyInput{ClusterName: "web", PrincipalARN: role("a"),
			PolicyARN: "arn:aws:eks::aws:cluster-access-policy/" + p, AccessScope: scope}))
	}
	check("associate")
	if got := ix.cluster(access.ClusterKey{Account: c.Account, Region: c.Region, Name: "web"}).entryFor("AROAA", "").Associations; got != 2 {
		t.Fatalf("associations of a: %d, want 2", got)
	}
	must(svc.UpdateAccessEntry(ctx, c, access.UpdateAccessEntryInput{ClusterName: "web", PrincipalARN: role("b"), KubernetesGroups: &[]string{"other"}}))
	check("update entry")
	must(nil, svc.DisassociateAccessPolicy(ctx, c, "web", role("a"), "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"))
	check("disassociate")
	must(nil, svc.DeleteAccessEntry(ctx, c, "web", role("c")))
	check("delete entry")
	if e := ix.cluster(access.ClusterKey{Account: c.Account, Region: c.Region, Name: "web"}).entryFor("AROAC", "arn:aws:iam::012345678910:role/c"); e != nil {
		t.Fatal("deleted entry still maps")
	}
	must(svc.DeleteCluster(ctx, c, "web"))
	check("delete cluster")
}

// BenchmarkRefreshAfterEntryWrite: what the index does after a write to one access entry of a
// cluster of 2,000: reload the cluster (Refresh) or the entry (RefreshChanges).
func BenchmarkRefreshAfterEntryWrite(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "r.db")+"?_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := access.NewService(st)
	c := access.Caller{Account: "012345678910", Region: "us-west-2"}
	cl, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: "web", RoleARN: "arn:aws:iam::012345678910:role/eks", ResourcesVPCConfig: &access.VPCConfigInput{},
		AccessConfig: &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPI)}})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 2000; i++ {
		if _, err := svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: "web", PrincipalARN: fmt.Sprintf("arn:aws:iam::012345678910:role/r-%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	ix := NewIndex(st)
	if err := ix.Load(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("cluster", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := ix.Refresh(ctx, []string{cl.ID}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("entry", func(b *testing.B) {
		ch := access.Changes{Entries: []access.EntryKey{{ClusterID: cl.ID, PrincipalARN: "arn:aws:iam::012345678910:role/r-7"}}}
		for i := 0; i < b.N; i++ {
			if err := ix.RefreshChanges(ctx, ch); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIndexLoad: loading the index (server start-up) of one cluster of 20,000 entries,
// each with one policy association.
func BenchmarkIndexLoad(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "l.db")+"?_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := access.NewService(st)
	c := access.Caller{Account: "012345678910", Region: "us-west-2"}
	cl, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: "web", RoleARN: "arn:aws:iam::012345678910:role/eks", ResourcesVPCConfig: &access.VPCConfigInput{},
		AccessConfig: &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPI)}})
	if err != nil {
		b.Fatal(err)
	}
	const n = 20000
	err = st.Update(ctx, func(tx access.Tx) error {
		for i := 0; i < n; i++ {
			arn := fmt.Sprintf("arn:aws:iam::012345678910:role/r-%d", i)
			e := &access.AccessEntry{ClusterID: cl.ID, ClusterName: "web", PrincipalARN: arn, ARN: fmt.Sprintf("arn:aws:eks:us-west-2:012345678910:access-entry/web/role/012345678910/r-%d/%d", i, i),
				Type: access.TypeStandard, Username: arn, KubernetesGroups: []string{"team"}, Tags: map[string]string{}, PrincipalID: fmt.Sprintf("AROA%017d", i)}
			if err := tx.InsertAccessEntry(e); err != nil {
				return err
			}
			if err := tx.PutAssociation(&access.Association{ClusterID: cl.ID, PrincipalARN: arn, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
				ScopeType: "namespace", Namespaces: []string{fmt.Sprintf("team-%d", i%50)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := NewIndex(st)
		if err := ix.Load(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/entry")
}

// TestRefreshChangesConcurrentWrites: writes that commit together (group commit) and refresh
// together (coalesced) leave the index equal to one loaded afresh, and each write is in the
// index when its call returns.
func TestRefreshChangesConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ix := NewIndex(st)
	if err := ix.Load(ctx); err != nil {
		t.Fatal(err)
	}
	svc := access.NewService(&access.Notifying{Store: st, OnCommitChanges: func(ch access.Changes) {
		if err := ix.RefreshChanges(ctx, ch); err != nil {
			t.Error(err)
		}
	}})
	c := access.Caller{Account: "012345678910", Region: "us-west-2"}
	for _, name := range []string{"a", "b"} {
		if _, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: name, RoleARN: "arn:aws:iam::012345678910:role/eks", ResourcesVPCConfig: &access.VPCConfigInput{},
			AccessConfig: &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPI)}}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error)
	for i := 0; i < 40; i++ {
		go func() {
			cl := []string{"a", "b"}[i%2]
			arn := fmt.Sprintf("arn:aws:iam::012345678910:role/r-%d", i)
			if _, err := svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: cl, PrincipalARN: arn}); err != nil {
				done <- err
				return
			}
			if ix.cluster(access.ClusterKey{Account: c.Account, Region: c.Region, Name: cl}).entryFor("", arn) == nil {
				done <- fmt.Errorf("entry %s not in the index when CreateAccessEntry returned", arn)
				return
			}
			done <- nil
		}()
	}
	for i := 0; i < 40; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	fresh := NewIndex(st)
	if err := fresh.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := snapshot(ix), snapshot(fresh); !reflect.DeepEqual(got, want) {
		t.Fatalf("index kept current\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
