package storetest

import (
	"reflect"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
)

func init() {
	register(Case{"ActivityMergeKeepsLatest", testActivityMerge})
}

// testActivityMerge: records merge by the later time of each column, per (entry, policy), and
// are listed per cluster; a record of an entry that is gone (no foreign key) still merges.
func testActivityMerge(t *testing.T, s access.Store) {
	const e1, e2 = "arn:aws:eks:us-west-2:111111111111:access-entry/one/role/111111111111/a/u1", "arn:aws:eks:us-west-2:111111111111:access-entry/one/role/111111111111/b/u2"
	const view1, edit = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	update(t, s, func(tx access.Tx) error {
		return tx.MergeActivity([]access.ActivityRecord{
			{ClusterID: "c1", EntryARN: e1, AuthenticatedAt: 2000, AllowedAt: 1500, AllowedPolicy: view1},
			{ClusterID: "c1", EntryARN: e1, PolicyARN: view1, AllowedAt: 1500},
			{ClusterID: "c2", EntryARN: "arn:other", AuthenticatedAt: 1},
		})
	})
	// A second writer (another replica) that saw older authentication but newer allows.
	update(t, s, func(tx access.Tx) error {
		return tx.MergeActivity([]access.ActivityRecord{
			{ClusterID: "c1", EntryARN: e1, AuthenticatedAt: 1000, AllowedAt: 3000, AllowedPolicy: edit},
			{ClusterID: "c1", EntryARN: e1, PolicyARN: view1, AllowedAt: 1200},
			{ClusterID: "c1", EntryARN: e1, PolicyARN: edit, AllowedAt: 3000},
			{ClusterID: "c1", EntryARN: e2, AuthenticatedAt: 5},
		})
	})
	// Older allows never replace the policy of a newer one.
	update(t, s, func(tx access.Tx) error {
		return tx.MergeActivity([]access.ActivityRecord{{ClusterID: "c1", EntryARN: e1, AllowedAt: 2500, AllowedPolicy: view1}})
	})
	want := []access.ActivityRecord{
		{ClusterID: "c1", EntryARN: e1, AuthenticatedAt: 2000, AllowedAt: 3000, AllowedPolicy: edit},
		{ClusterID: "c1", EntryARN: e1, PolicyARN: edit, AllowedAt: 3000},
		{ClusterID: "c1", EntryARN: e1, PolicyARN: view1, AllowedAt: 1500},
		{ClusterID: "c1", EntryARN: e2, AuthenticatedAt: 5},
	}
	view(t, s, func(tx access.Tx) error {
		got, err := tx.ClusterActivity("c1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("merged:\n got %+v\nwant %+v", got, want)
		}
		some, err := tx.EntriesActivity("c1", []string{e2, "arn:absent"})
		if err != nil || !reflect.DeepEqual(some, want[3:]) {
			t.Fatalf("entries' activity: %+v %v", some, err)
		}
		none, err := tx.ClusterActivity("c3")
		if err != nil || len(none) != 0 {
			t.Fatalf("unknown cluster: %v %v", none, err)
		}
		return nil
	})
}
