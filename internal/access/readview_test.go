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
	probe := func(context.Context) bool {
		n := calls.Add(1)
		started <- n
		if n == 1 {
			<-release
		}
		return true
	}
	ctx := context.Background()
	first := make(chan bool)
	go func() { first <- g.do(ctx, probe) }()
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

// A probe whose token changes invalidates every value kept; an unchanged token keeps them; a
// failing probe serves the view from the database (not ok).
func TestReadViewProbe(t *testing.T) {
	token, fail := uint64(1), false
	v := NewReadView(func(context.Context) (uint64, error) {
		if fail {
			return 0, context.DeadlineExceeded
		}
		return token, nil
	})
	ctx := context.Background()
	s1, ok := v.start(ctx)
	if !ok {
		t.Fatal("not ok")
	}
	if s2, _ := v.start(ctx); s2 != s1 {
		t.Fatal("unchanged token changed the state")
	}
	token = 2
	if s3, _ := v.start(ctx); s3 == s1 {
		t.Fatal("changed token kept the state")
	}
	fail = true
	if _, ok := v.start(ctx); ok {
		t.Fatal("failed probe: view from memory")
	}
	fail = false
	s4, ok := v.start(ctx)
	if !ok {
		t.Fatal("not ok after the probe recovered")
	}
	if s5, _ := v.start(ctx); s5 != s4 {
		t.Fatal("state moved with the token unchanged")
	}
}
