package activity_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/activity"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
)

func newRecorder(t *testing.T, cfg activity.Config) *activity.Recorder {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg.Store = st
	r, err := activity.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The decision log is a bounded ring: the newest RingSize decisions, newest first.
func TestDecisionRingKeepsTheNewest(t *testing.T) {
	r := newRecorder(t, activity.Config{RingSize: 4})
	key := access.ClusterKey{Account: "012345678910", Region: "us-west-2", Name: "web"}
	for i := 1; i <= 10; i++ {
		result := "allowed"
		if i%2 == 0 {
			result = "no_opinion"
		}
		r.Record(&kubeauth.Decision{Time: time.UnixMilli(int64(i)), Webhook: kubeauth.WebhookAuthorize, Cluster: key, Principal: fmt.Sprintf("p-%d", i), Result: result})
	}
	got := r.Decisions(activity.Filter{Limit: 100})
	if len(got) != 4 || got[0].Seq != 10 || got[3].Seq != 7 || got[0].Principal != "p-10" {
		t.Fatalf("ring: %+v", got)
	}
	if got := r.Decisions(activity.Filter{After: 8}); len(got) != 2 || got[1].Seq != 9 {
		t.Fatalf("after 8: %+v", got)
	}
	if got := r.Decisions(activity.Filter{Verdict: "allowed"}); len(got) != 2 || got[0].Principal != "p-9" {
		t.Fatalf("allowed: %+v", got)
	}
	if got := r.Decisions(activity.Filter{Account: "111122223333"}); len(got) != 0 {
		t.Fatalf("another account's decisions: %+v", got)
	}
	if got := r.Decisions(activity.Filter{Principal: "P-1", Limit: 1}); len(got) != 1 || got[0].Principal != "p-10" {
		t.Fatalf("principal filter (case-insensitive, part): %+v", got)
	}
}

// A flush writes at most MaxBatch records, only those that changed since the last flush.
func TestFlushIsBoundedAndWritesOnlyChanges(t *testing.T) {
	ctx := context.Background()
	r := newRecorder(t, activity.Config{MaxBatch: 3})
	var usages []*kubeauth.Usage
	for i := range 5 {
		u := r.Usage("c1", fmt.Sprintf("arn:entry/%d", i), []string{"arn:policy/view"})
		u.Authenticated.Store(int64(1000 + i))
		usages = append(usages, u)
	}
	usages[0].Allowed[0].Store(2000) // entry 0: two records (entry, association)
	var written []int
	for range 4 {
		n, err := r.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, n)
	}
	if fmt.Sprint(written) != "[4 2 0 0]" && fmt.Sprint(written) != "[3 3 0 0]" && fmt.Sprint(written) != "[3 2 1 0]" {
		t.Fatalf("records per flush: %v (at most 3 entries' worth each, then nothing)", written)
	}
	usages[3].Authenticated.Store(5000)
	if n, _ := r.Flush(ctx); n != 1 {
		t.Fatalf("one change flushed as %d records", n)
	}
	// What is stored is what the cells hold; a second recorder on the same store (another
	// replica, or after a restart) reads it.
	used, err := r.ClusterLastUsed(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if u := used["arn:entry/0"]; u.Authenticated != 1000 || u.Allowed != 2000 || u.AllowedPolicy != "arn:policy/view" || u.Policies["arn:policy/view"] != 2000 {
		t.Fatalf("entry 0: %+v", u)
	}
	if u := used["arn:entry/3"]; u.Authenticated != 5000 || u.Allowed != 0 {
		t.Fatalf("entry 3: %+v", u)
	}
}

// The same entry's cells are handed out again when the index reloads it: last used is kept.
func TestUsageCellsSurviveReload(t *testing.T) {
	r := newRecorder(t, activity.Config{})
	u1 := r.Usage("c1", "arn:entry/a", []string{"arn:policy/view"})
	u1.Allowed[0].Store(42)
	u2 := r.Usage("c1", "arn:entry/a", []string{"arn:policy/edit", "arn:policy/view"})
	if u2.Allowed[1] != u1.Allowed[0] || u2.Allowed[1].Load() != 42 || u2.Authenticated != u1.Authenticated {
		t.Fatal("a reloaded entry got new cells")
	}
}
