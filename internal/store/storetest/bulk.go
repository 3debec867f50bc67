package storetest

import (
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
)

func init() {
	register(Case{"BulkReadsForIndex", testBulkReads})
}

func testBulkReads(t *testing.T, s access.Store) {
	c1 := newCluster("111111111111", "us-west-2", "one")
	c2 := newCluster("222222222222", "eu-west-1", "two")
	const viewPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	update(t, s, func(tx access.Tx) error {
		for _, c := range []*access.Cluster{c1, c2} {
			if err := tx.InsertCluster(c); err != nil {
				return err
			}
		}
		for _, p := range []string{"arn:aws:iam::111111111111:user/b", "arn:aws:iam::111111111111:role/a"} {
			if err := tx.InsertAccessEntry(newEntry(c1, p)); err != nil {
				return err
			}
		}
		if err := tx.InsertAccessEntry(newEntry(c2, "arn:aws:iam::222222222222:role/x")); err != nil {
			return err
		}
		return tx.PutAssociation(&access.Association{ClusterID: c1.ID, PrincipalARN: "arn:aws:iam::111111111111:role/a", PolicyARN: viewPolicy, ScopeType: "namespace", Namespaces: []string{"dev-*"}, AssociatedAt: 1, ModifiedAt: 2})
	})
	view(t, s, func(tx access.Tx) error {
		all, err := tx.AllClusters()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].Name != "one" || all[1].Name != "two" || all[0].Spec.RoleARN == "" {
			t.Fatalf("all clusters: %+v", all)
		}
		entries, as, err := tx.ClusterAccess(c1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[0].PrincipalARN != "arn:aws:iam::111111111111:role/a" || entries[0].ClusterName != "one" ||
			len(entries[0].KubernetesGroups) != 2 || entries[0].PrincipalID != "AROAEXAMPLE" {
			t.Fatalf("entries: %+v", entries)
		}
		if len(as) != 1 || as[0].PolicyARN != viewPolicy || as[0].Namespaces[0] != "dev-*" {
			t.Fatalf("associations: %+v", as)
		}
		none, nas, err := tx.ClusterAccess("missing")
		if err != nil || len(none) != 0 || len(nas) != 0 {
			t.Fatalf("unknown cluster: %v %v %v", none, nas, err)
		}
		return nil
	})
}
