package storetest

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
)

func init() {
	register(
		Case{"ClusterCRUD", testClusterCRUD},
		Case{"ClusterSummary", testClusterSummary},
		Case{"ClusterEntry", testClusterEntry},
		Case{"EntryAccess", testEntryAccess},
		Case{"ClusterIsolation", testClusterIsolation},
		Case{"ClusterListPaging", testClusterListPaging},
		Case{"EntryCRUD", testEntryCRUD},
		Case{"EntryListOrderAndPaging", testEntryListOrder},
		Case{"DeleteCascades", testDeleteCascades},
		Case{"Associations", testAssociations},
		Case{"RollbackLeavesNothing", testRollback},
		Case{"Idempotency", testIdempotency},
	)
}

func newCluster(account, region, name string) *access.Cluster {
	return &access.Cluster{
		ID: fmt.Sprintf("id-%s-%s-%s", account, region, name), Account: account, Region: region, Name: name,
		ARN: "arn:aws:eks:" + region + ":" + account + ":cluster/" + name, Status: access.ClusterActive,
		AuthenticationMode: access.ModeAPI, BootstrapAdmin: true, CreatedAt: 1700000000123,
		Tags: map[string]string{"env": "dev"}, Revision: 1,
		Spec: access.ClusterSpec{Version: "1.34", RoleARN: "arn:aws:iam::" + account + ":role/eks", VPC: access.VPCConfig{SubnetIDs: []string{"subnet-1"}}},
	}
}

func newEntry(c *access.Cluster, principal string) *access.AccessEntry {
	return &access.AccessEntry{
		ClusterID: c.ID, ClusterName: c.Name, PrincipalARN: principal, ARN: "arn:entry/" + principal,
		Type: access.TypeStandard, Username: "u", KubernetesGroups: []string{"g1", "g2"},
		Tags: map[string]string{}, CreatedAt: 1700000000001, ModifiedAt: 1700000000002, PrincipalID: "AROAEXAMPLE",
	}
}

func testClusterCRUD(t *testing.T, s access.Store) {
	c := newCluster("111111111111", "us-west-2", "one")
	update(t, s, func(tx access.Tx) error { return tx.InsertCluster(c) })
	update(t, s, func(tx access.Tx) error {
		wantErr(t, tx.InsertCluster(newCluster("111111111111", "us-west-2", "one")), access.ErrAlreadyExists)
		return nil
	})
	view(t, s, func(tx access.Tx) error {
		got, err := tx.GetCluster(c.Key())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
		}
		_, err = tx.GetCluster(access.ClusterKey{Account: "111111111111", Region: "us-west-2", Name: "two"})
		wantErr(t, err, access.ErrNotFound)
		return nil
	})
	c.AuthenticationMode = access.ModeAPIAndConfigMap
	c.Tags["team"] = "a"
	update(t, s, func(tx access.Tx) error { return tx.UpdateCluster(c) })
	view(t, s, func(tx access.Tx) error {
		got, _ := tx.GetCluster(c.Key())
		if got.AuthenticationMode != access.ModeAPIAndConfigMap || got.Tags["team"] != "a" || got.Revision != 2 {
			t.Fatalf("update not stored: %+v", got)
		}
		return nil
	})
	update(t, s, func(tx access.Tx) error { return tx.DeleteCluster(c.ID) })
	update(t, s, func(tx access.Tx) error {
		wantErr(t, tx.DeleteCluster(c.ID), access.ErrNotFound)
		wantErr(t, tx.UpdateCluster(c), access.ErrNotFound)
		_, err := tx.GetCluster(c.Key())
		wantErr(t, err, access.ErrNotFound)
		return nil
	})
}

// testClusterSummary: GetClusterSummary is GetCluster without tags and spec, follows updates,
// and answers ErrNotFound for a missing cluster and after a delete.
func testClusterSummary(t *testing.T, s access.Store) {
	c := newCluster("111111111111", "us-west-2", "one")
	other := newCluster("111111111111", "us-east-1", "one")
	other.ID = "id-other"
	other.AuthenticationMode = access.ModeConfigMap
	update(t, s, func(tx access.Tx) error {
		if err := tx.InsertCluster(c); err != nil {
			return err
		}
		return tx.InsertCluster(other)
	})
	want := func(c *access.Cluster, revision int64) *access.Cluster {
		w := *c
		w.Tags, w.Spec, w.Revision = nil, access.ClusterSpec{}, revision
		return &w
	}
	view(t, s, func(tx access.Tx) error {
		got, err := tx.GetClusterSummary(c.Key())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want(c, 1)) {
			t.Fatalf("summary:\n got %+v\nwant %+v", got, want(c, 1))
		}
		got, err = tx.GetClusterSummary(other.Key())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want(other, 1)) {
			t.Fatalf("summary of the same name in another region:\n got %+v\nwant %+v", got, want(other, 1))
		}
		_, err = tx.GetClusterSummary(access.ClusterKey{Account: "111111111111", Region: "us-west-2", Name: "two"})
		wantErr(t, err, access.ErrNotFound)
		return nil
	})
	c.Status, c.AuthenticationMode = access.ClusterUpdating, access.ModeAPIAndConfigMap
	update(t, s, func(tx access.Tx) error { return tx.UpdateCluster(c) })
	view(t, s, func(tx access.Tx) error {
		got, err := tx.GetClusterSummary(c.Key())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want(c, 2)) {
			t.Fatalf("summary after update:\n got %+v\nwant %+v", got, want(c, 2))
		}
		return nil
	})
	update(t, s, func(tx access.Tx) error { return tx.DeleteCluster(c.ID) })
	view(t, s, func(tx access.Tx) error {
		_, err := tx.GetClusterSummary(c.Key())
		wantErr(t, err, access.ErrNotFound)
		return nil
	})
}

// testClusterEntry: GetClusterEntry answers what GetClusterSummary and GetAccessEntry answer,
// in one read, and tells a missing cluster (nil cluster) from a missing entry.
func testClusterEntry(t *testing.T, s access.Store) {
	c := newCluster("111111111111", "us-west-2", "one")
	other := newCluster("111111111111", "us-west-2", "other")
	e := newEntry(c, "arn:aws:iam::111111111111:role/a")
	e.Tags = map[string]string{"team": "x"}
	onlyOther := newEntry(other, "arn:aws:iam::111111111111:role/b")
	update(t, s, func(tx access.Tx) error {
		for _, cl := range []*access.Cluster{c, other} {
			if err := tx.InsertCluster(cl); err != nil {
				return err
			}
		}
		for _, en := range []*access.AccessEntry{e, newEntry(c, "arn:aws:iam::111111111111:role/a2"), onlyOther} {
			if err := tx.InsertAccessEntry(en); err != nil {
				return err
			}
		}
		return nil
	})
	check := func(tx access.Tx, principal string, wantEntry *access.AccessEntry) {
		t.Helper()
		summary, err := tx.GetClusterSummary(c.Key())
		if err != nil {
			t.Fatal(err)
		}
		gotC, gotE, err := tx.GetClusterEntry(c.Key(), principal)
		if !reflect.DeepEqual(gotC, summary) {
			t.Fatalf("cluster of %s:\n got %+v\nwant %+v", principal, gotC, summary)
		}
		if wantEntry == nil {
			wantErr(t, err, access.ErrNotFound)
			if gotE != nil {
				t.Fatalf("entry %s: got %+v, want none", principal, gotE)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotE, wantEntry) {
			t.Fatalf("entry %s:\n got %+v\nwant %+v", principal, gotE, wantEntry)
		}
	}
	view(t, s, func(tx access.Tx) error {
		check(tx, e.PrincipalARN, e)
		check(tx, onlyOther.PrincipalARN, nil) // another cluster's entry does not leak
		check(tx, "arn:aws:iam::111111111111:role/none", nil)
		gotC, gotE, err := tx.GetClusterEntry(access.ClusterKey{Account: "111111111111", Region: "us-west-2", Name: "missing"}, e.PrincipalARN)
		wantErr(t, err, access.ErrNotFound)
		if gotC != nil || gotE != nil {
			t.Fatalf("missing cluster: got %+v, %+v", gotC, gotE)
		}
		return nil
	})
	e.Username, e.KubernetesGroups, e.ModifiedAt = "v", []string{}, 1700000000009
	update(t, s, func(tx access.Tx) error { return tx.UpdateAccessEntry(e) })
	view(t, s, func(tx access.Tx) error {
		check(tx, e.PrincipalARN, e)
		return nil
	})
	update(t, s, func(tx access.Tx) error { return tx.DeleteAccessEntry(e.Key()) })
	view(t, s, func(tx access.Tx) error {
		check(tx, e.PrincipalARN, nil)
		return nil
	})
}

// testEntryAccess: GetEntryAccess answers what GetAccessEntry and ListAssociations answer, for
// entries with no, one and several associations, and ErrNotFound for a missing entry.
func testEntryAccess(t *testing.T, s access.Store) {
	c := newCluster("111111111111", "us-west-2", "one")
	other := newCluster("111111111111", "us-west-2", "other")
	none, one, many := newEntry(c, "arn:aws:iam::111111111111:role/none"), newEntry(c, "arn:aws:iam::111111111111:role/one"), newEntry(c, "arn:aws:iam::111111111111:role/many")
	elsewhere := newEntry(other, many.PrincipalARN)
	assoc := func(e *access.AccessEntry, policy string, ns ...string) *access.Association {
		scope := "cluster"
		if len(ns) > 0 {
			scope = "namespace"
		}
		return &access.Association{ClusterID: e.ClusterID, PrincipalARN: e.PrincipalARN, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/" + policy,
			ScopeType: scope, Namespaces: append([]string{}, ns...), AssociatedAt: 1700000000003, ModifiedAt: 1700000000004}
	}
	update(t, s, func(tx access.Tx) error {
		for _, cl := range []*access.Cluster{c, other} {
			if err := tx.InsertCluster(cl); err != nil {
				return err
			}
		}
		for _, e := range []*access.AccessEntry{none, one, many, elsewhere} {
			if err := tx.InsertAccessEntry(e); err != nil {
				return err
			}
		}
		for _, a := range []*access.Association{assoc(one, "AmazonEKSViewPolicy", "a"),
			assoc(many, "AmazonEKSViewPolicy", "b", "c"), assoc(many, "AmazonEKSAdminPolicy"), assoc(many, "AmazonEKSEditPolicy", "d"),
			assoc(elsewhere, "AmazonEKSClusterAdminPolicy")} {
			if err := tx.PutAssociation(a); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx access.Tx) error {
		for _, e := range []*access.AccessEntry{none, one, many, elsewhere} {
			want, err := tx.GetAccessEntry(e.Key())
			if err != nil {
				t.Fatal(err)
			}
			wantAs, err := tx.ListAssociations(e.Key(), access.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			got, gotAs, err := tx.GetEntryAccess(e.Key())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotAs, wantAs) {
				t.Fatalf("%s:\n got %+v %+v\nwant %+v %+v", e.PrincipalARN, got, gotAs, want, wantAs)
			}
		}
		_, _, err := tx.GetEntryAccess(access.EntryKey{ClusterID: c.ID, PrincipalARN: "arn:aws:iam::111111111111:role/missing"})
		wantErr(t, err, access.ErrNotFound)
		return nil
	})
	view(t, s, func(tx access.Tx) error { // the comparison above is not vacuous
		_, as, err := tx.GetEntryAccess(many.Key())
		if err != nil || len(as) != 3 {
			t.Fatalf("associations of %s: %d (%v), want 3", many.PrincipalARN, len(as), err)
		}
		return nil
	})
}

func testClusterIsolation(t *testing.T, s access.Store) {
	update(t, s, func(tx access.Tx) error {
		for _, c := range []*access.Cluster{
			newCluster("111111111111", "us-west-2", "same"),
			newCluster("222222222222", "us-west-2", "same"),
			newCluster("111111111111", "eu-west-1", "same"),
		} {
			if err := tx.InsertCluster(c); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx access.Tx) error {
		names, err := tx.ListClusters("111111111111", "us-west-2", access.Page{Limit: 10})
		if err != nil || len(names) != 1 {
			t.Fatalf("list: %v %v", names, err)
		}
		got, err := tx.GetCluster(access.ClusterKey{Account: "222222222222", Region: "us-west-2", Name: "same"})
		if err != nil || got.Account != "222222222222" {
			t.Fatalf("get other account: %+v %v", got, err)
		}
		return nil
	})
}

func testClusterListPaging(t *testing.T, s access.Store) {
	names := []string{"b", "a", "C", "c-1", "c_1", "Z"}
	update(t, s, func(tx access.Tx) error {
		for _, n := range names {
			if err := tx.InsertCluster(newCluster("111111111111", "us-west-2", n)); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx access.Tx) error {
		first, _ := tx.ListClusters("111111111111", "us-west-2", access.Page{Limit: 4})
		rest, _ := tx.ListClusters("111111111111", "us-west-2", access.Page{After: first[len(first)-1], Limit: 4})
		all := append(first, rest...)
		want := []string{"C", "Z", "a", "b", "c-1", "c_1"} // byte order
		if !reflect.DeepEqual(all, want) {
			t.Fatalf("got %v want %v", all, want)
		}
		return nil
	})
}

func testEntryCRUD(t *testing.T, s access.Store) {
	c := newCluster("111111111111", "us-west-2", "one")
	e := newEntry(c, "arn:aws:iam::111111111111:role/r")
	update(t, s, func(tx access.Tx) error {
		if err := tx.InsertCluster(c); err != nil {
			return err
		}
		return tx.InsertAccessEntry(e)
	})
	update(t, s, func(tx access.Tx) error {
		wantErr(t, tx.InsertAccessEntry(newEntry(c, e.PrincipalARN)), access.ErrAlreadyExists)
		return nil
	})
	view(t, s, func(tx access.Tx) error {
		got, err := tx.GetAccessEntry(e.Key())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
		}
		_, err = tx.GetAccessEntry(access.EntryKey{ClusterID: c.ID, PrincipalARN: "arn:aws:iam::111111111111:role/R"})
		wantErr(t, err, access.ErrNotFound)
		return nil
	})
	e.Username, e.KubernetesGroups, e.ModifiedAt = "v", []string{}, 1700000000999
	update(t, s, func(tx access.Tx) error { return tx.UpdateAccessEntry(e) })
	view(t, s, func(tx access.Tx) error {
		got, _ := tx.GetAccessEntry(e.Key())
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("after update:\n got %+v\nwant %+v", got, e)
		}
		return nil
	})
	update(t, s, func(tx access.Tx) error { return tx.DeleteAccessEntry(e.Key()) })
	update(t, s, func(tx access.Tx) error {
		wantErr(t, tx.DeleteAccessEntry(e.Key()), access.ErrNotFound)
		wantErr(t, tx.UpdateAccessEntry(e), access.ErrNotFound)
		return nil
	})
}

func testEntryListOrder(t *testing.T, s access.Store) {
	c := newCluster("111111111111", "us-west-2", "one")
	arns := []string{
		"arn:aws:iam::111111111111:user/z",
		"arn:aws:iam::111111111111:role/admin-test-ip",
		"arn:aws:iam::111111111111:role/Admin",
		"arn:aws:iam::111111111111:role/assume",
		"arn:aws:iam::111111111111:role/a/b/c",
	}
	update(t, s, func(tx access.Tx) error {
		if err := tx.InsertCluster(c); err != nil {
			return err
		}
		for _, a := range arns {
			if err := tx.InsertAccessEntry(newEntry(c, a)); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx access.Tx) error {
		var all []string
		p := access.Page{Limit: 2}
		for i := 0; i < 10; i++ {
			got, err := tx.ListAccessEntries(c.ID, "", p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				break
			}
			all = append(all, got...)
			p.After = got[len(got)-1]
		}
		want := []string{
			"arn:aws:iam::111111111111:role/Admin",
			"arn:aws:iam::111111111111:role/a/b/c",
			"arn:aws:iam::111111111111:role/admin-test-ip",
			"arn:aws:iam::111111111111:role/assume",
			"arn:aws:iam::111111111111:user/z",
		}
		if !reflect.DeepEqual(all, want) {
			t.Fatalf("byte order:\n got %v\nwant %v", all, want)
		}
		return nil
	})
}

func testAssociations(t *testing.T, s access.Store) {
	c := newCluster("111111111111", "us-west-2", "one")
	e1 := newEntry(c, "arn:aws:iam::111111111111:role/one")
	e2 := newEntry(c, "arn:aws:iam::111111111111:role/two")
	const view1, admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
	update(t, s, func(tx access.Tx) error {
		for _, err := range []error{tx.InsertCluster(c), tx.InsertAccessEntry(e1), tx.InsertAccessEntry(e2)} {
			if err != nil {
				return err
			}
		}
		for _, a := range []*access.Association{
			{ClusterID: c.ID, PrincipalARN: e1.PrincipalARN, PolicyARN: view1, ScopeType: "namespace", Namespaces: []string{"dev-*", "prod"}, AssociatedAt: 10, ModifiedAt: 10},
			{ClusterID: c.ID, PrincipalARN: e1.PrincipalARN, PolicyARN: admin, ScopeType: "cluster", Namespaces: []string{}, AssociatedAt: 11, ModifiedAt: 11},
			{ClusterID: c.ID, PrincipalARN: e2.PrincipalARN, PolicyARN: view1, ScopeType: "cluster", Namespaces: []string{}, AssociatedAt: 12, ModifiedAt: 12},
		} {
			if err := tx.PutAssociation(a); err != nil {
				return err
			}
		}
		// Upsert replaces the scope and modifiedAt, keeps associatedAt.
		return tx.PutAssociation(&access.Association{ClusterID: c.ID, PrincipalARN: e1.PrincipalARN, PolicyARN: view1, ScopeType: "cluster", Namespaces: []string{}, AssociatedAt: 99, ModifiedAt: 20})
	})
	view(t, s, func(tx access.Tx) error {
		a, err := tx.GetAssociation(e1.Key(), view1)
		if err != nil {
			t.Fatal(err)
		}
		if a.ScopeType != "cluster" || len(a.Namespaces) != 0 || a.AssociatedAt != 10 || a.ModifiedAt != 20 {
			t.Fatalf("upsert: %+v", a)
		}
		as, _ := tx.ListAssociations(e1.Key(), access.Page{Limit: 10})
		if len(as) != 2 || as[0].PolicyARN != admin || as[1].PolicyARN != view1 {
			t.Fatalf("list: %+v", as)
		}
		page2, _ := tx.ListAssociations(e1.Key(), access.Page{After: admin, Limit: 10})
		if len(page2) != 1 || page2[0].PolicyARN != view1 {
			t.Fatalf("paged list: %+v", page2)
		}
		withView, _ := tx.ListAccessEntries(c.ID, view1, access.Page{Limit: 10})
		if !reflect.DeepEqual(withView, []string{e1.PrincipalARN, e2.PrincipalARN}) {
			t.Fatalf("filter by policy: %v", withView)
		}
		withAdmin, _ := tx.ListAccessEntries(c.ID, admin, access.Page{Limit: 10})
		if !reflect.DeepEqual(withAdmin, []string{e1.PrincipalARN}) {
			t.Fatalf("filter by policy: %v", withAdmin)
		}
		return nil
	})
	update(t, s, func(tx access.Tx) error {
		if err := tx.DeleteAssociation(e1.Key(), admin); err != nil {
			return err
		}
		wantErr(t, tx.DeleteAssociation(e1.Key(), admin), access.ErrNotFound)
		_, err := tx.GetAssociation(e1.Key(), admin)
		wantErr(t, err, access.ErrNotFound)
		wantErr(t, tx.PutAssociation(&access.Association{ClusterID: c.ID, PrincipalARN: "arn:aws:iam::111111111111:role/none", PolicyARN: admin, ScopeType: "cluster"}), access.ErrNotFound)
		return nil
	})
}

func testDeleteCascades(t *testing.T, s access.Store) {
	c := newCluster("111111111111", "us-west-2", "one")
	e := newEntry(c, "arn:aws:iam::111111111111:role/one")
	const pol = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	update(t, s, func(tx access.Tx) error {
		for _, err := range []error{tx.InsertCluster(c), tx.InsertAccessEntry(e)} {
			if err != nil {
				return err
			}
		}
		return tx.PutAssociation(&access.Association{ClusterID: c.ID, PrincipalARN: e.PrincipalARN, PolicyARN: pol, ScopeType: "cluster", Namespaces: []string{}})
	})
	update(t, s, func(tx access.Tx) error { return tx.DeleteAccessEntry(e.Key()) })
	update(t, s, func(tx access.Tx) error {
		// Re-created entry starts without the old association.
		return tx.InsertAccessEntry(e)
	})
	view(t, s, func(tx access.Tx) error {
		as, _ := tx.ListAssociations(e.Key(), access.Page{Limit: 10})
		if len(as) != 0 {
			t.Fatalf("association survived entry deletion: %+v", as)
		}
		return nil
	})
	update(t, s, func(tx access.Tx) error {
		return tx.PutAssociation(&access.Association{ClusterID: c.ID, PrincipalARN: e.PrincipalARN, PolicyARN: pol, ScopeType: "cluster", Namespaces: []string{}})
	})
	update(t, s, func(tx access.Tx) error { return tx.DeleteCluster(c.ID) })
	update(t, s, func(tx access.Tx) error { return tx.InsertCluster(c) })
	view(t, s, func(tx access.Tx) error {
		names, _ := tx.ListAccessEntries(c.ID, "", access.Page{Limit: 10})
		byPol, _ := tx.ListAccessEntries(c.ID, pol, access.Page{Limit: 10})
		if len(names) != 0 || len(byPol) != 0 {
			t.Fatalf("entries survived cluster deletion: %v %v", names, byPol)
		}
		return nil
	})
}

func testRollback(t *testing.T, s access.Store) {
	c := newCluster("111111111111", "us-west-2", "one")
	boom := fmt.Errorf("boom")
	err := s.Update(ctx, func(tx access.Tx) error {
		if err := tx.InsertCluster(c); err != nil {
			return err
		}
		if err := tx.InsertAccessEntry(newEntry(c, "arn:aws:iam::111111111111:role/r")); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	view(t, s, func(tx access.Tx) error {
		_, err := tx.GetCluster(c.Key())
		wantErr(t, err, access.ErrNotFound)
		names, _ := tx.ListAccessEntries(c.ID, "", access.Page{Limit: 10})
		if len(names) != 0 {
			t.Fatalf("half-written entries: %v", names)
		}
		return nil
	})
}

func testIdempotency(t *testing.T, s access.Store) {
	k := access.IdempotencyKey{Account: "111111111111", Region: "us-west-2", Operation: "CreateAccessEntry", Resource: "one", Token: "tok"}
	now := access.MillisOf(nowFunc())
	update(t, s, func(tx access.Tx) error {
		_, err := tx.GetIdempotency(k)
		wantErr(t, err, access.ErrNotFound)
		return tx.PutIdempotency(&access.IdempotencyRecord{Key: k, RequestHash: "h1", Result: []byte(`{"a":1}`), CreatedAt: now})
	})
	view(t, s, func(tx access.Tx) error {
		r, err := tx.GetIdempotency(k)
		if err != nil || r.RequestHash != "h1" || string(r.Result) != `{"a":1}` {
			t.Fatalf("got %+v %v", r, err)
		}
		other := k
		other.Resource = "two"
		_, err = tx.GetIdempotency(other)
		wantErr(t, err, access.ErrNotFound)
		return nil
	})
}
