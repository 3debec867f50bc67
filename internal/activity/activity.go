// Package activity records what the webhooks see: when each access entry last authenticated,
// when each of its policy associations last allowed a request (and so which policy last
// allowed the entry's requests), and a bounded log of recent decisions. kubeauth reports into
// it through its Recorder interface: the hot path stores a timestamp atomically and hands over
// the decision; activity persists the last-used times in batches through the store, where
// the replicas of one PostgreSQL database merge them (the later time wins).
package activity

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Config.
const (
	DefaultFlushInterval = 10 * time.Second
	DefaultMaxBatch      = 5000
	DefaultRingSize      = 10000
)

// Config configures the recorder.
type Config struct {
	// Store persists last-used records (the raw store: activity writes are not changes the
	// webhooks' index follows).
	Store access.Store
	// FlushInterval is how often changed last-used times are written, at most MaxBatch
	// records per write (a bounded write rate, whatever the request rate).
	FlushInterval time.Duration
	MaxBatch      int
	// RingSize bounds the in-memory decision log.
	RingSize int
	// DecisionLog, when set, receives every decision as a JSON line (decisions.go).
	DecisionLog string
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	// Now is the clock of the unused-access report (default time.Now).
	Now func() time.Time
}

// Recorder implements kubeauth.Recorder.
type Recorder struct {
	cfg  Config
	log  *slog.Logger
	ring *ring
	sink *fileSink // nil without a decision log file

	mu        sync.RWMutex
	entries   map[string]*entryCells            // entry ARN → cells
	byCluster map[string]map[string]*entryCells // cluster id → entry ARN → cells

	flushMu sync.Mutex // one flush at a time
	started bool       // Start ran: Stop waits for its goroutine
	stop    chan struct{}
	done    chan struct{}
	m       *metrics
}

var _ kubeauth.Recorder = (*Recorder)(nil)

// entryCells are one access entry's last-used cells, kept across index reloads.
type entryCells struct {
	clusterID, arn string
	auth           atomic.Int64

	mu       sync.Mutex
	policies map[string]*atomic.Int64 // policy ARN → last allowed

	// What was last written (the flusher's, under flushMu).
	flushedAuth    int64
	flushedAllowed int64
	flushedPolicy  map[string]int64
}

// New returns a recorder; call Start to flush in the background, Stop to end.
func New(cfg Config) (*Recorder, error) {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.RingSize <= 0 {
		cfg.RingSize = DefaultRingSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Recorder{cfg: cfg, log: cfg.Logger, ring: newRing(cfg.RingSize),
		entries: map[string]*entryCells{}, byCluster: map[string]map[string]*entryCells{},
		stop: make(chan struct{}), done: make(chan struct{})}
	r.m = newMetrics(cfg.Registerer, r)
	if cfg.DecisionLog != "" {
		s, err := openFileSink(cfg.DecisionLog, r.m, r.log)
		if err != nil {
			return nil, err
		}
		r.sink = s
	}
	return r, nil
}

// Usage implements kubeauth.Recorder: the cells of an entry, created on first use.
func (r *Recorder) Usage(clusterID, entryARN string, policyARNs []string) *kubeauth.Usage {
	r.mu.Lock()
	ec := r.entries[entryARN]
	if ec == nil {
		ec = &entryCells{clusterID: clusterID, arn: entryARN, policies: map[string]*atomic.Int64{}, flushedPolicy: map[string]int64{}}
		r.entries[entryARN] = ec
		m := r.byCluster[clusterID]
		if m == nil {
			m = map[string]*entryCells{}
			r.byCluster[clusterID] = m
		}
		m[entryARN] = ec
	}
	r.mu.Unlock()
	u := &kubeauth.Usage{Authenticated: &ec.auth, Allowed: make([]*atomic.Int64, len(policyARNs))}
	ec.mu.Lock()
	for i, p := range policyARNs {
		c := ec.policies[p]
		if c == nil {
			c = new(atomic.Int64)
			ec.policies[p] = c
		}
		u.Allowed[i] = c
	}
	ec.mu.Unlock()
	return u
}

// Record implements kubeauth.Recorder.
func (r *Recorder) Record(d *kubeauth.Decision) {
	r.ring.put(d)
	if r.sink != nil {
		r.sink.put(d)
	}
}

// Start flushes last-used times every FlushInterval until Stop.
func (r *Recorder) Start() {
	r.started = true
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.cfg.FlushInterval)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if _, err := r.Flush(ctx); err != nil {
					r.log.Warn("last-used times not written; they are written with the next flush", "error", err)
				}
				cancel()
			}
		}
	}()
}

// Stop ends the background flushes, writes what is left and closes the decision log.
func (r *Recorder) Stop(ctx context.Context) error {
	close(r.stop)
	if r.started {
		<-r.done
	}
	var err error
	for {
		n, e := r.Flush(ctx)
		if e != nil {
			err = e
			break
		}
		if n < r.cfg.MaxBatch {
			break
		}
	}
	if r.sink != nil {
		r.sink.close()
	}
	return err
}

// Flush writes up to MaxBatch changed records in one transaction and returns how many.
func (r *Recorder) Flush(ctx context.Context) (int, error) {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.RLock()
	all := make([]*entryCells, 0, len(r.entries))
	for _, ec := range r.entries {
		all = append(all, ec)
	}
	r.mu.RUnlock()
	type applied struct {
		ec           *entryCells
		auth, allow  int64
		policy       string
		policyWrites map[string]int64
	}
	var recs []access.ActivityRecord
	var done []applied
	for _, ec := range all {
		if len(recs) >= r.cfg.MaxBatch {
			break
		}
		auth := ec.auth.Load()
		var allow int64
		var allowPolicy string
		pw := map[string]int64{}
		ec.mu.Lock()
		for p, c := range ec.policies {
			v := c.Load()
			if v > allow || (v == allow && v > 0 && p < allowPolicy) {
				allow, allowPolicy = v, p
			}
			if v > ec.flushedPolicy[p] {
				pw[p] = v
			}
		}
		ec.mu.Unlock()
		if auth <= ec.flushedAuth && allow <= ec.flushedAllowed && len(pw) == 0 {
			continue
		}
		recs = append(recs, access.ActivityRecord{ClusterID: ec.clusterID, EntryARN: ec.arn,
			AuthenticatedAt: access.Millis(auth), AllowedAt: access.Millis(allow), AllowedPolicy: allowPolicy})
		for p, v := range pw {
			recs = append(recs, access.ActivityRecord{ClusterID: ec.clusterID, EntryARN: ec.arn, PolicyARN: p, AllowedAt: access.Millis(v)})
		}
		done = append(done, applied{ec: ec, auth: auth, allow: allow, policyWrites: pw})
	}
	if len(recs) == 0 {
		return 0, nil
	}
	err := r.cfg.Store.Update(ctx, func(tx access.Tx) error { return tx.MergeActivity(recs) })
	r.m.flushed(len(recs), err)
	if err != nil {
		return 0, err
	}
	for _, a := range done {
		a.ec.flushedAuth, a.ec.flushedAllowed = a.auth, a.allow
		for p, v := range a.policyWrites {
			a.ec.flushedPolicy[p] = v
		}
	}
	return len(recs), nil
}

// LastUsed is an access entry's last use, merged from the store (every replica's flushes) and
// this process's cells. Times are 0 when never seen.
type LastUsed struct {
	Authenticated access.Millis
	Allowed       access.Millis
	AllowedPolicy string
	Policies      map[string]access.Millis // policy ARN → last allowed
}

// Last returns the latest of the two times.
func (u *LastUsed) Last() access.Millis { return max(u.Authenticated, u.Allowed) }

// ClusterLastUsed returns the last use of a cluster's entries, by entry ARN.
func (r *Recorder) ClusterLastUsed(ctx context.Context, clusterID string) (map[string]*LastUsed, error) {
	return r.lastUsed(ctx, clusterID, nil)
}

// LastUsedOf is ClusterLastUsed for some of a cluster's entries (a page of them): it reads
// only theirs.
func (r *Recorder) LastUsedOf(ctx context.Context, clusterID string, entryARNs []string) (map[string]*LastUsed, error) {
	if entryARNs == nil {
		entryARNs = []string{}
	}
	return r.lastUsed(ctx, clusterID, entryARNs)
}

// lastUsed merges the stored records and this process's cells of a cluster's entries (of
// only entryARNs unless nil).
func (r *Recorder) lastUsed(ctx context.Context, clusterID string, entryARNs []string) (map[string]*LastUsed, error) {
	var recs []access.ActivityRecord
	if err := r.cfg.Store.View(ctx, func(tx access.Tx) error {
		var err error
		if entryARNs == nil {
			recs, err = tx.ClusterActivity(clusterID)
		} else {
			recs, err = tx.EntriesActivity(clusterID, entryARNs)
		}
		return err
	}); err != nil {
		return nil, err
	}
	out := map[string]*LastUsed{}
	get := func(arn string) *LastUsed {
		u := out[arn]
		if u == nil {
			u = &LastUsed{Policies: map[string]access.Millis{}}
			out[arn] = u
		}
		return u
	}
	for _, rec := range recs {
		u := get(rec.EntryARN)
		if rec.PolicyARN != "" {
			u.Policies[rec.PolicyARN] = max(u.Policies[rec.PolicyARN], rec.AllowedAt)
			continue
		}
		u.Authenticated = max(u.Authenticated, rec.AuthenticatedAt)
		if rec.AllowedAt > u.Allowed {
			u.Allowed, u.AllowedPolicy = rec.AllowedAt, rec.AllowedPolicy
		}
	}
	r.mu.RLock()
	var cells []*entryCells
	if entryARNs == nil {
		for _, ec := range r.byCluster[clusterID] {
			cells = append(cells, ec)
		}
	} else {
		for _, arn := range entryARNs {
			if ec := r.byCluster[clusterID][arn]; ec != nil {
				cells = append(cells, ec)
			}
		}
	}
	r.mu.RUnlock()
	for _, ec := range cells {
		auth := access.Millis(ec.auth.Load())
		ec.mu.Lock()
		policies := make([]string, 0, len(ec.policies))
		for p, c := range ec.policies {
			if c.Load() > 0 {
				policies = append(policies, p)
			}
		}
		sort.Strings(policies)
		values := make([]access.Millis, len(policies))
		for i, p := range policies {
			values[i] = access.Millis(ec.policies[p].Load())
		}
		ec.mu.Unlock()
		if auth == 0 && len(policies) == 0 {
			continue // never used here: nothing to merge
		}
		u := get(ec.arn)
		u.Authenticated = max(u.Authenticated, auth)
		for i, p := range policies {
			u.Policies[p] = max(u.Policies[p], values[i])
			if values[i] > u.Allowed {
				u.Allowed, u.AllowedPolicy = values[i], p
			}
		}
	}
	return out, nil
}

// pending counts the entries whose cells changed since their last flush (a metric).
func (r *Recorder) pending() int {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := 0
	for _, ec := range r.entries {
		if ec.auth.Load() > ec.flushedAuth {
			n++
		}
	}
	return n
}
