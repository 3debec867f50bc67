package access

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A view never relies on a probe that started before it arrived (that probe may have asked
// before the write the view must see), and the views that arrive while one runs share the next.
func TestProbeGroupJoinsOnlyLaterProbes(t *testing.T) {
	var g probeGroup
	var calls atomic.Int32
	release := make(chan struct{})
	started := make(chan int32, 100)
	probe := func(context.Context) (string, bool) {
		n := calls.Add(1)
		started <- n
		if n == 1 {
			<-release
		}
		return "", true
	}
	ctx := context.Background()
	first := make(chan bool)
	go func() { _, ok := g.do(ctx, probe); first <- ok }()
	if n := <-started; n != 1 {
		t.Fatalf("first probe is call %d", n)
	}
	// 50 views arrive while probe 1 runs: none may use it; all share probe 2.
	const late = 50
	var wg sync.WaitGroup
	var beforeSecond atomic.Int32
	for range late {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.do(ctx, probe)
			if calls.Load() < 2 {
				beforeSecond.Add(1)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // let them all queue behind probe 1 (not a timing assertion)
	close(release)
	if !<-first {
		t.Fatal("first probe failed")
	}
	wg.Wait()
	if n := beforeSecond.Load(); n != 0 {
		t.Fatalf("%d views answered from the probe that started before they arrived", n)
	}
	if n := calls.Load(); n < 2 || n > late+1 {
		t.Fatalf("%d probes", n)
	}
	t.Logf("%d views shared %d probes", late+1, calls.Load())
}

// countingTx answers GetCluster with a fixed cluster and counts the reads that reach it.
type countingTx struct {
	Tx
	reads int
}

func (t *countingTx) GetCluster(key ClusterKey) (*Cluster, error) {
	t.reads++
	return &Cluster{Name: key.Name, Spec: ClusterSpec{Endpoint: "https://k"}}, nil
}

// A cluster's record is served from memory only while the probe answers the token it was read
// under; a changed token, or a failing probe, reads the database.
func TestReadViewClusterFollowsProbe(t *testing.T) {
	token, fail := "1", false
	v := NewReadView(func(context.Context) (string, error) {
		if fail {
			return "", context.DeadlineExceeded
		}
		return token, nil
	})
	ctx := context.Background()
	db := &countingTx{}
	describe := func() {
		s, ok := v.start()
		if _, err := newViewTx(ctx, db, v, s, ok).GetCluster(ClusterKey{Name: "c"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		token string
		fail  bool
		reads int
	}{
		{"1", false, 1}, // first read: the database
		{"1", false, 1}, // same token: memory
		{"2", false, 2}, // another connection wrote: the database
		{"2", false, 2},
		{"2", true, 3}, // the probe failed: the database
		{"2", false, 3},
	} {
		token, fail = step.token, step.fail
		describe()
		if db.reads != step.reads {
			t.Fatalf("token %s fail %v: %d database reads, want %d", step.token, step.fail, db.reads, step.reads)
		}
	}
}
