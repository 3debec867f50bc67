package access

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ReadView serves the reads of views from memory: DescribeCluster's (GetCluster),
// DescribeAccessEntry's (GetClusterEntry), and ListAccessEntries' (GetClusterSummary and its
// pages, ListAccessEntries). Set it as Notifying.Reads. It is a read-through cache validated by
// a sequence lock over every write transaction: each Update bumps a generation when it starts
// and again once it has answered (its commit and the webhook index's refresh done), and counts
// the writes in flight. A view notes the state when it starts; a value it reads from the
// database is kept under that state, and a view uses kept values only while the state is
// still the one it started with and the value's: no write in flight at the start, and none
// started since. So a view served from memory answers exactly what it would have read from
// the database (one snapshot, all its reads alike), and a read after an acknowledged write
// always sees it. Any write empties the view's validity (all values at once); under a steady
// write load reads go to the database as before.
//
// It is for a store whose access entries and clusters' authentication modes only this
// process writes (SQLite): not PostgreSQL, whose other replicas write the database without
// passing through this one. One write does not pass through it even on SQLite: `eksaccess
// cluster attach` writes a cluster's endpoint and CA into a running server's database file
// directly. So a cluster's full record (GetCluster, DescribeCluster's read) is kept with the
// token of a ChangeProbe too, asked before the read, and served from memory only while the
// probe answers that token: the views that arrive while a probe runs share the next one
// (never one that started before they arrived), so a write committed before a read arrives,
// by any connection, is always seen by it. Neither an entry's answer nor a list, nor a
// cluster's summary, depends on what attach writes.
type ReadView struct {
	state atomic.Uint64 // generation<<32 | writes in flight

	probe ChangeProbe
	sync  probeGroup

	mu        sync.RWMutex
	entries   map[viewEntryKey]viewEntry
	lists     map[viewListKey]viewList
	clusters  map[ClusterKey]viewCluster // GetCluster
	summaries map[ClusterKey]viewCluster // GetClusterSummary
}

// ChangeProbe reports a token that differs from the one it reported before whenever the
// database may have been written since by anything other than this process's
// Notifying.Update (which the ReadView sees itself). It must reflect every write committed
// before it was called. Nil means nothing else writes the database.
type ChangeProbe func(ctx context.Context) (string, error)

// readViewMax and readViewMaxLists bound the view (keys of requests for things that do not
// exist are kept too): when full, a map starts over.
const (
	readViewMax         = 1 << 16
	readViewMaxLists    = 1 << 10 // a page holds up to 101 ARNs
	readViewMaxClusters = 1 << 12 // a cluster holds its spec and tags
)

// probeTimeout bounds one probe (the views waiting for it read the database when it fails).
const probeTimeout = 2 * time.Second

const inFlightMask = 1<<32 - 1

type viewEntryKey struct {
	cluster   ClusterKey
	principal string
}

type viewListKey struct {
	clusterID, policyARN string
	page                 Page
}

type viewList struct {
	state uint64
	arns  []string
}

type viewCluster struct {
	state uint64
	token string // the probe's, for GetCluster
	cl    *Cluster
	err   error
}

type viewEntry struct {
	state uint64
	cl    *Cluster
	e     *AccessEntry
	err   error
}

// NewReadView returns an empty ReadView; probe (nil when nothing else writes the database)
// detects the writes that do not pass through this process.
func NewReadView(probe ChangeProbe) *ReadView {
	return &ReadView{probe: probe, entries: map[viewEntryKey]viewEntry{}, lists: map[viewListKey]viewList{},
		clusters: map[ClusterKey]viewCluster{}, summaries: map[ClusterKey]viewCluster{}}
}

// beginWrite invalidates every value and marks a write in flight; endWrite, called once the
// write has answered, invalidates every value again (reads made during the write) and ends it.
func (v *ReadView) beginWrite() { v.state.Add(1<<32 + 1) }
func (v *ReadView) endWrite()   { v.state.Add(1<<32 - 1) }

// start returns the state a view started at runs under; ok false while a write is in flight.
func (v *ReadView) start() (uint64, bool) {
	s := v.state.Load()
	return s, s&inFlightMask == 0
}

// probed returns the probe's token, asked after the call ("" with no probe); ok false when it
// failed.
func (v *ReadView) probed(ctx context.Context) (token string, ok bool) {
	if v.probe == nil {
		return "", true
	}
	return v.sync.do(ctx, func(ctx context.Context) (string, bool) {
		ctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		token, err := v.probe(ctx)
		return token, err == nil
	})
}

// probeGroup runs one probe at a time and lets callers share it: a caller joins the next probe
// to start (never one already running, which may have asked before the caller's arrival) and
// returns its outcome. The caller that finds none running runs the probe itself; the one that
// queues the next probe behind a running one runs it when that one ends.
type probeGroup struct {
	mu      sync.Mutex
	running bool
	next    *probeCall
}

type probeCall struct {
	turn  chan struct{} // closed when the call may run (for the one that queued it)
	done  chan struct{}
	token string
	ok    bool
}

func (g *probeGroup) do(ctx context.Context, probe func(context.Context) (string, bool)) (string, bool) {
	g.mu.Lock()
	if c := g.next; c != nil { // queued behind a running probe, not started yet: join it
		g.mu.Unlock()
		select {
		case <-c.done:
			return c.token, c.ok
		case <-ctx.Done():
			return "", false
		}
	}
	c := &probeCall{turn: make(chan struct{}), done: make(chan struct{})}
	if g.running {
		g.next = c
		g.mu.Unlock()
		<-c.turn // the running probe ends soon (each has its own deadline)
	} else {
		g.running = true
		g.mu.Unlock()
	}
	c.token, c.ok = probe(ctx)
	close(c.done)
	g.mu.Lock()
	if n := g.next; n != nil {
		g.next = nil
		close(n.turn) // its caller runs it; running stays true
	} else {
		g.running = false
	}
	g.mu.Unlock()
	return c.token, c.ok
}

// cacheable reports whether a read's outcome may be kept: a value or "not found", never a
// failure to read.
func cacheable(err error) bool { return err == nil || errors.Is(err, ErrNotFound) }

// get returns m[k] when it was kept under state s.
func get[K comparable, V any](v *ReadView, m map[K]V, k K, s uint64, state func(V) uint64) (V, bool) {
	v.mu.RLock()
	x, ok := m[k]
	v.mu.RUnlock()
	return x, ok && state(x) == s
}

// put keeps m[k] = x, emptying m first when it holds max values.
func put[K comparable, V any](v *ReadView, m map[K]V, max int, k K, x V) {
	v.mu.Lock()
	if len(m) >= max {
		clear(m)
	}
	m[k] = x
	v.mu.Unlock()
}

// viewTx is the Tx of a view with a ReadView: GetClusterEntry and ListAccessEntries come from
// memory when they can; every other call goes to the store's Tx. Every caller gets its own
// copy of what is kept.
type viewTx struct {
	Tx
	ctx context.Context
	v   *ReadView
	s   uint64 // the state the view started at
	ok  bool   // no write was in flight then
}

func newViewTx(ctx context.Context, tx Tx, v *ReadView, s uint64, ok bool) *viewTx {
	return &viewTx{Tx: tx, ctx: ctx, v: v, s: s, ok: ok}
}

// fresh reports whether no write has started since the view did (and none was in flight).
func (t *viewTx) fresh() bool { return t.ok && t.v.state.Load() == t.s }

func (t *viewTx) GetClusterEntry(key ClusterKey, principalARN string) (*Cluster, *AccessEntry, error) {
	k := viewEntryKey{key, principalARN}
	if t.fresh() {
		if x, hit := get(t.v, t.v.entries, k, t.s, func(x viewEntry) uint64 { return x.state }); hit {
			return x.cl.Clone(), x.e.Clone(), x.err
		}
	}
	cl, e, err := t.Tx.GetClusterEntry(key, principalARN)
	if t.ok && cacheable(err) { // read after the view started: used only while its state holds
		put(t.v, t.v.entries, readViewMax, k, viewEntry{state: t.s, cl: cl.Clone(), e: e.Clone(), err: err})
	}
	return cl, e, err
}

func (t *viewTx) ListAccessEntries(clusterID, policyARN string, p Page) ([]string, error) {
	k := viewListKey{clusterID, policyARN, p}
	if t.fresh() {
		if x, hit := get(t.v, t.v.lists, k, t.s, func(x viewList) uint64 { return x.state }); hit {
			return slices.Clone(x.arns), nil
		}
	}
	arns, err := t.Tx.ListAccessEntries(clusterID, policyARN, p)
	if t.ok && err == nil {
		put(t.v, t.v.lists, readViewMaxLists, k, viewList{state: t.s, arns: slices.Clone(arns)})
	}
	return arns, err
}

func (t *viewTx) GetCluster(key ClusterKey) (*Cluster, error) {
	token, ok := t.v.probed(t.ctx) // before the read: a later write changes the next token
	if !ok {
		return t.Tx.GetCluster(key)
	}
	return t.cluster(t.v.clusters, key, token, t.Tx.GetCluster)
}

func (t *viewTx) GetClusterSummary(key ClusterKey) (*Cluster, error) {
	return t.cluster(t.v.summaries, key, "", t.Tx.GetClusterSummary)
}

func (t *viewTx) cluster(m map[ClusterKey]viewCluster, key ClusterKey, token string, read func(ClusterKey) (*Cluster, error)) (*Cluster, error) {
	if t.fresh() {
		if x, hit := get(t.v, m, key, t.s, func(x viewCluster) uint64 { return x.state }); hit && x.token == token {
			return x.cl.Clone(), x.err
		}
	}
	cl, err := read(key)
	if t.ok && cacheable(err) {
		put(t.v, m, readViewMaxClusters, key, viewCluster{state: t.s, token: token, cl: cl.Clone(), err: err})
	}
	return cl, err
}
