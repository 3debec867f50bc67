package explain_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/explain"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/kubesource"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var key = access.ClusterKey{Account: "012345678910", Region: "us-west-2", Name: "big"}

// bigCluster is an API cluster with n access entries (one in ten in group "ops", one in ten
// with AmazonEKSViewPolicy in a namespace of its own, one in a hundred with
// AmazonEKSEditPolicy cluster-wide), plus RBAC of nBindings namespaces each with a Role and a
// RoleBinding, and a ClusterRoleBinding of "ops".
func bigCluster(tb testing.TB, n, nBindings int) *explain.Explainer {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "b.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	svc := access.NewService(st)
	c := access.Caller{Account: key.Account, Region: key.Region}
	cl, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: key.Name, RoleARN: "arn:aws:iam::012345678910:role/eks",
		ResourcesVPCConfig: &access.VPCConfigInput{}, AccessConfig: &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPI),
			BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}})
	if err != nil {
		tb.Fatal(err)
	}
	err = st.Update(ctx, func(tx access.Tx) error {
		for i := 0; i < n; i++ {
			arn := fmt.Sprintf("arn:aws:iam::012345678910:role/r-%d", i)
			e := &access.AccessEntry{ClusterID: cl.ID, ClusterName: key.Name, PrincipalARN: arn, ARN: arn + "-entry", Type: "STANDARD",
				Username: "arn:aws:sts::012345678910:assumed-role/r-" + fmt.Sprint(i) + "/{{SessionName}}", Tags: map[string]string{}}
			if i%10 == 0 {
				e.KubernetesGroups = []string{"ops"}
			}
			if err := tx.InsertAccessEntry(e); err != nil {
				return err
			}
			switch {
			case i%100 == 1:
				err = tx.PutAssociation(&access.Association{ClusterID: cl.ID, PrincipalARN: arn, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", ScopeType: "cluster"})
			case i%10 == 2:
				err = tx.PutAssociation(&access.Association{ClusterID: cl.ID, PrincipalARN: arn, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ScopeType: "namespace", Namespaces: []string{fmt.Sprintf("team-%d", i)}})
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	ix := kubeauth.NewIndex(st)
	if err := ix.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	wh := kubeauth.NewWebhooks(ix, &kubeauth.TokenVerifier{}, nil, nil)
	reg := kubesource.NewRegistry()
	reg.Put(kubesource.NewStatic(key, kubesource.Build(rbacObjects(nBindings)), nil))
	return explain.New(explain.Sources{Webhooks: wh, Kube: reg})
}

// rbacObjects: per namespace ns-i a Role (pods, deployments) and a RoleBinding of group team-i;
// one ClusterRole that deletes secrets bound to group ops.
func rbacObjects(n int) kubesource.Objects {
	o := kubesource.Objects{
		ClusterRoles: []*rbacv1.ClusterRole{{ObjectMeta: metav1.ObjectMeta{Name: "secret-deleter"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list", "delete"}, APIGroups: []string{""}, Resources: []string{"secrets"}}}}},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{{ObjectMeta: metav1.ObjectMeta{Name: "ops"},
			RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "secret-deleter"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "ops"}}}},
	}
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("ns-%d", i)
		o.Roles = append(o.Roles, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "dev", Namespace: ns},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods", "deployments", "services", "configmaps"}}}})
		o.RoleBindings = append(o.RoleBindings, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dev", Namespace: ns},
			RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "dev"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "team-" + fmt.Sprint(i)}, {Kind: "User", Name: "u-" + fmt.Sprint(i)}}})
	}
	return o
}

func BenchmarkWhoCan100k(b *testing.B) {
	x := bigCluster(b, 100_000, 100)
	q := explain.WhoCanQuery{Request: explain.Request{Verb: "delete", Resource: "secrets", Namespace: "prod"}}
	r, err := x.WhoCan(context.Background(), key, q)
	if err != nil {
		b.Fatal(err)
	}
	// ops (every tenth entry) and AmazonEKSEditPolicy (every hundredth) plus the groups.
	if len(r.Principals) < 10_000 {
		b.Fatalf("who-can found %d principals", len(r.Principals))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := x.WhoCan(context.Background(), key, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Principals)), "principals")
}

func BenchmarkExplain(b *testing.B) {
	x := bigCluster(b, 10_000, 100)
	q := explain.ExplainQuery{Subject: explain.Subject{PrincipalARN: "arn:aws:sts::012345678910:assumed-role/r-2/s1"},
		Request: explain.Request{Verb: "get", Resource: "pods", Namespace: "team-2"}}
	e, err := x.Explain(context.Background(), key, q)
	if err != nil || !e.Allowed {
		b.Fatalf("explain: %v %+v", err, e)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := x.Explain(context.Background(), key, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRBACMemory reports the heap an RBAC snapshot holds per object, the decoded objects
// (as the informers' caches hold them) included.
func BenchmarkRBACMemory(b *testing.B) {
	const n = 5000 // namespaces: 2 objects each
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		o := rbacObjects(n)
		rb := kubesource.Build(o)
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(o)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(rb.Objects), "bytes/object")
	}
}
