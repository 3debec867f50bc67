package access

import (
	"sort"
	"testing"
)

func TestUpdateListKeyOrdersByCreationThenID(t *testing.T) {
	t.Parallel()
	us := []Update{{ID: "b", CreatedAt: 20}, {ID: "z", CreatedAt: 3}, {ID: "a", CreatedAt: 20}, {ID: "m", CreatedAt: 1000000000000}}
	keys := make([]string, len(us))
	for i, u := range us {
		keys[i] = UpdateListKey(u)
	}
	sort.Strings(keys)
	want := []string{UpdateListKey(us[1]), UpdateListKey(us[2]), UpdateListKey(us[0]), UpdateListKey(us[3])}
	for i := range want {
		if keys[i] != want[i] {
			t.Fatalf("order = %v, want %v", keys, want)
		}
	}
}

func TestUpdateFilters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f   UpdateFilter
		msg string
	}{
		{UpdateFilter{}, ""},
		{UpdateFilter{NodegroupName: "ng"}, "No node group found for name: ng."},
		{UpdateFilter{AddonName: "vpc-cni"}, "No addon: vpc-cni found in cluster: c"},
		{UpdateFilter{CapabilityName: "x"}, "No capability found for name: x."},
	} {
		err := tc.f.check("c")
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.f, err)
			}
			continue
		}
		wantErrMsg(t, tc.msg, err, CodeResourceNotFound, tc.msg)
	}
}

func TestUpdateDurationOption(t *testing.T) {
	t.Parallel()
	s := NewService(nil, WithUpdateDuration(-1))
	if s.updates.duration != 0 {
		t.Errorf("negative duration kept: %v", s.updates.duration)
	}
	called := false
	s = NewService(nil, WithUpdateNotifier(func() { called = true }))
	s.updated()
	if !called {
		t.Error("notifier not called")
	}
	NewService(nil).updated() // no notifier: no panic
}

func TestUpdaterStopWithoutStart(t *testing.T) {
	t.Parallel()
	u := NewUpdater(nil)
	u.Wake()
	u.Wake() // never blocks
	if err := u.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := u.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
}
