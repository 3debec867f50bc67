package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/identity"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/store"
	"github.com/google/uuid"
)

const (
	account   = "012345678910"
	region    = "us-west-2"
	benchKey  = "AKIABENCHEXAMPLE0001"
	benchSec  = "bench-secret"
	benchUser = "arn:aws:iam::" + account + ":user/bench"
)

// writeIdentities writes the identities file: the bench user (allowed eks:*), and `roles`
// roles cr-N, the principals of the measured CreateAccessEntry calls (CreateAccessEntry
// accepts only principals that exist).
func writeIdentities(path string, roles int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "accounts:\n  - id: %q\n    users:\n      - name: bench\n        accessKeys: [{id: %s, secret: %s}]\n", account, benchKey, benchSec)
	b.WriteString("        policies: [{Version: \"2012-10-17\", Statement: [{Effect: Allow, Action: [\"eks:*\"], Resource: \"*\"}]}]\n")
	b.WriteString("    roles:\n")
	for i := 0; i < roles; i++ {
		fmt.Fprintf(&b, "      - {name: cr-%d, trust: [%q]}\n", i, benchUser)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// inTx is an access.Store whose every transaction is one already open transaction: seeding
// runs the domain's own CreateCluster/CreateAccessEntry/AssociateAccessPolicy (every rule
// applies) but commits once.
type inTx struct{ tx access.Tx }

func (s inTx) Update(_ context.Context, fn func(access.Tx) error) error { return fn(s.tx) }
func (s inTx) View(_ context.Context, fn func(access.Tx) error) error   { return fn(s.tx) }
func (s inTx) Close() error                                             { return nil }

// principalID is the IAM unique id the server's identities file gives a principal (for the
// seeded roles, which are not in the file, the id a file declaring them would give).
func principalID(_ context.Context, p access.Principal, _ string) (string, error) {
	if p.Kind == "user" {
		return identity.UniqueID("AIDA", p.Account, "user", p.Path, p.Name, 0), nil
	}
	return identity.UniqueID("AROA", p.Account, "role", p.Path, p.Name, 0), nil
}

// clusterSpec is a seeded cluster: name, access entries, and whether the bench user has one.
type clusterSpec struct {
	Name    string
	Entries int
}

// seedRole is the principal ARN of the i-th seeded entry.
func seedRole(i int) string { return fmt.Sprintf("arn:aws:iam::%s:role/seed-%d", account, i) }

var seedPolicies = []string{"AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminPolicy"}

// seed creates the clusters, each with its entries: entry i has one policy association
// (view, edit or admin, in namespace team-<i%50>); the bench user's entry (first) has
// AmazonEKSEditPolicy in namespace payments and AmazonEKSViewPolicy cluster-wide.
func seed(ctx context.Context, dsn string, clusters []clusterSpec) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	c := access.Caller{Account: account, Region: region}
	return st.Update(ctx, func(tx access.Tx) error {
		svc := access.NewService(inTx{tx})
		svc.SetPrincipalResolver(principalID)
		for _, cs := range clusters {
			if _, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: cs.Name, RoleARN: "arn:aws:iam::" + account + ":role/eks",
				ResourcesVPCConfig: &access.VPCConfigInput{SubnetIDs: []string{"subnet-1"}},
				AccessConfig:       &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPI)}}); err != nil {
				return fmt.Errorf("cluster %s: %w", cs.Name, err)
			}
			if cs.Entries == 0 {
				continue
			}
			if _, err := svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: cs.Name, PrincipalARN: benchUser, KubernetesGroups: []string{"devs"}}); err != nil {
				return err
			}
			for _, a := range []access.AssociateAccessPolicyInput{
				{PolicyARN: policyARN("AmazonEKSEditPolicy"), AccessScope: &access.AccessScopeInput{Type: aws.String("namespace"), Namespaces: []string{"payments"}}},
				{PolicyARN: policyARN("AmazonEKSViewPolicy"), AccessScope: &access.AccessScopeInput{Type: aws.String("cluster")}},
			} {
				a.ClusterName, a.PrincipalARN = cs.Name, benchUser
				if _, err := svc.AssociateAccessPolicy(ctx, c, a); err != nil {
					return err
				}
			}
			// The first seeded entry goes through the domain; the others copy it (a new principal,
			// ARN and id) straight into the store: 100,000 domain calls take minutes.
			var tmpl *access.AccessEntry
			for i := 0; i < cs.Entries-1; i++ {
				arn := seedRole(i)
				pol := access.AssociateAccessPolicyInput{ClusterName: cs.Name, PrincipalARN: arn,
					PolicyARN:   policyARN(seedPolicies[i%len(seedPolicies)]),
					AccessScope: &access.AccessScopeInput{Type: aws.String("namespace"), Namespaces: []string{fmt.Sprintf("team-%d", i%50)}}}
				if tmpl == nil {
					e, err := svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: cs.Name, PrincipalARN: arn, KubernetesGroups: []string{"team"}})
					if err != nil {
						return err
					}
					if _, err := svc.AssociateAccessPolicy(ctx, c, pol); err != nil {
						return err
					}
					tmpl = e
					continue
				}
				p, _ := access.ParsePrincipalARN(arn)
				id, _ := principalID(ctx, p, arn)
				e := *tmpl
				e.PrincipalARN, e.PrincipalID, e.Username = arn, id, strings.Replace(tmpl.Username, "seed-0", p.Name, 1)
				e.ARN = tmpl.ARN[:strings.Index(tmpl.ARN, "/seed-0/")] + "/" + p.Name + "/" + uuid.NewString()
				if err := tx.InsertAccessEntry(&e); err != nil {
					return err
				}
				if err := tx.PutAssociation(&access.Association{ClusterID: e.ClusterID, PrincipalARN: arn, PolicyARN: pol.PolicyARN,
					ScopeType: "namespace", Namespaces: pol.AccessScope.Namespaces, AssociatedAt: e.CreatedAt, ModifiedAt: e.CreatedAt}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func policyARN(name string) string { return "arn:aws:eks::aws:cluster-access-policy/" + name }

// indexHeap loads the webhooks' index from the database in this process and reports the live
// heap it holds, per access entry, and how long the load took.
func indexHeap(ctx context.Context, dsn string) (perEntry float64, entries int, took time.Duration, err error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return 0, 0, 0, err
	}
	defer st.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix := kubeauth.NewIndex(st)
	t0 := time.Now()
	if err := ix.Load(ctx); err != nil {
		return 0, 0, 0, err
	}
	took = time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&after)
	_, entries = ix.Len()
	runtime.KeepAlive(ix)
	if entries == 0 {
		return 0, 0, took, nil
	}
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(entries), entries, took, nil
}
