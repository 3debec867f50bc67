package access

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// ReadView serves DescribeAccessEntry's read (GetClusterEntry in a one-statement view) and
// ListAccessEntries' pages (ListAccessEntries in a view) from memory, for a store whose access
// entries and clusters' authentication modes only this process writes (SQLite): set it as
// Notifying.Reads. It is a read-through cache validated by a sequence lock over every write
// transaction: each Update bumps a generation when it starts and again once it has answered
// (its commit and the webhook index's refresh done), and counts the writes in flight. A view
// notes the state when it starts; a value it reads from the database is kept under that state,
// and a view uses kept values only while the state is still the one it started with and the
// value's: no write in flight at the start, and none started since. So a view served from
// memory answers exactly what it would have read from the database (one snapshot, all its
// reads alike), and a read after an acknowledged write always sees it. Any write empties the
// view's validity (all values at once); under a steady write load reads go to the database as
// before.
//
// Not for PostgreSQL: other replicas write the database without passing through this one.
// Not for DescribeCluster either: `eksaccess cluster attach` writes a cluster's endpoint and CA
// into a running server's SQLite database directly, and DescribeCluster must show them at once
// (neither an entry's answer nor a list depends on them; lists are kept by cluster id).
type ReadView struct {
	state atomic.Uint64 // generation<<32 | writes in flight

	mu      sync.RWMutex
	entries map[viewEntryKey]viewEntry
	lists   map[viewListKey]viewList
}

// readViewMax and readViewMaxLists bound the view (keys of requests for things that do not
// exist are kept too): when full, a map starts over.
const (
	readViewMax      = 1 << 16
	readViewMaxLists = 1 << 10 // a page holds up to 101 ARNs
)

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

type viewEntry struct {
	state uint64
	cl    *Cluster
	e     *AccessEntry
	err   error
}

// NewReadView returns an empty ReadView.
func NewReadView() *ReadView {
	return &ReadView{entries: map[viewEntryKey]viewEntry{}, lists: map[viewListKey]viewList{}}
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
	v  *ReadView
	s  uint64 // the state the view started at
	ok bool   // no write was in flight then
}

func newViewTx(tx Tx, v *ReadView, s uint64, ok bool) *viewTx {
	return &viewTx{Tx: tx, v: v, s: s, ok: ok}
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
