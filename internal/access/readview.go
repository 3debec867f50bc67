package access

import (
	"errors"
	"sync"
	"sync/atomic"
)

// ReadView serves the read of DescribeAccessEntry (GetClusterEntry in a one-statement view)
// from memory, for a store whose access entries and clusters' authentication modes only this
// process writes (SQLite): set it as Notifying.Reads. It is a read-through cache validated by
// a sequence lock over every write transaction: each Update bumps a generation when it starts and again
// when it has answered (its commit and the webhook index's refresh done), and counts the writes
// in flight. A value read from the database is kept with the state seen before the read, and
// is served only while that state holds: no write in flight then, and none started since. So
// a read from memory answers exactly what a read of the database would at that moment, and a
// read after an acknowledged write always sees it. Any write empties the view's validity (all
// values at once); under a steady write load it serves from the database as before.
//
// Not for PostgreSQL: other replicas write the database without passing through this one.
// Not for DescribeCluster either: `eksaccess cluster attach` writes a cluster's endpoint and CA
// into a running server's SQLite database directly, and DescribeCluster must show them at once
// (an entry's answer does not depend on them).
type ReadView struct {
	state atomic.Uint64 // generation<<32 | writes in flight

	mu      sync.RWMutex
	entries map[viewEntryKey]viewEntry
}

// readViewMax bounds the view (keys of requests for things that do not exist are kept too):
// when full it starts over.
const readViewMax = 1 << 16

const inFlightMask = 1<<32 - 1

type viewEntryKey struct {
	cluster   ClusterKey
	principal string
}

type viewEntry struct {
	state uint64
	cl    *Cluster
	e     *AccessEntry
	err   error
}

// NewReadView returns an empty ReadView.
func NewReadView() *ReadView {
	return &ReadView{entries: map[viewEntryKey]viewEntry{}}
}

// beginWrite invalidates every value and marks a write in flight; endWrite, called once the
// write has answered, invalidates every value again (reads made during the write) and ends it.
func (v *ReadView) beginWrite() { v.state.Add(1<<32 + 1) }
func (v *ReadView) endWrite()   { v.state.Add(1<<32 - 1) }

// current returns the state a read may keep its result under, ok false while a write is in
// flight.
func (v *ReadView) current() (uint64, bool) {
	s := v.state.Load()
	return s, s&inFlightMask == 0
}

// cacheable reports whether a read's outcome may be kept: a value or "not found", never a
// failure to read.
func cacheable(err error) bool { return err == nil || errors.Is(err, ErrNotFound) }

func (v *ReadView) getEntry(k viewEntryKey, s uint64) (viewEntry, bool) {
	v.mu.RLock()
	x, ok := v.entries[k]
	v.mu.RUnlock()
	return x, ok && x.state == s
}

func (v *ReadView) putEntry(k viewEntryKey, x viewEntry) {
	v.mu.Lock()
	if len(v.entries) >= readViewMax {
		clear(v.entries)
	}
	v.entries[k] = x
	v.mu.Unlock()
}

// viewTx is the Tx of a one-statement view with a ReadView: GetClusterEntry comes from memory
// when it can; every other call goes to the store's Tx. Every caller gets
// its own copy of what is kept.
type viewTx struct {
	Tx
	v *ReadView
}

func (t *viewTx) GetClusterEntry(key ClusterKey, principalARN string) (*Cluster, *AccessEntry, error) {
	k := viewEntryKey{key, principalARN}
	s, ok := t.v.current()
	if ok {
		if x, hit := t.v.getEntry(k, s); hit {
			return x.cl.Clone(), x.e.Clone(), x.err
		}
	}
	cl, e, err := t.Tx.GetClusterEntry(key, principalARN)
	if ok && cacheable(err) {
		t.v.putEntry(k, viewEntry{state: s, cl: cl.Clone(), e: e.Clone(), err: err})
	}
	return cl, e, err
}
