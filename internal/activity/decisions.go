package activity

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/policy"
)

// ring is the bounded in-memory decision log: writers take a sequence number with one atomic
// add and fill their slot under its own lock, so concurrent webhooks rarely meet.
type ring struct {
	next  atomic.Uint64
	slots []slot
}

type slot struct {
	mu  sync.Mutex
	seq uint64 // 0: empty
	d   *kubeauth.Decision
}

func newRing(n int) *ring { return &ring{slots: make([]slot, n)} }

func (r *ring) put(d *kubeauth.Decision) {
	seq := r.next.Add(1)
	s := &r.slots[seq%uint64(len(r.slots))]
	s.mu.Lock()
	if seq > s.seq {
		s.seq, s.d = seq, d
	}
	s.mu.Unlock()
}

// Filter selects decisions. Empty fields match everything.
type Filter struct {
	// Account and Region select the caller's decisions (the API always sets them: decisions
	// of other accounts are never shown); empty matches all (the console).
	Account, Region string
	Cluster         string
	// EntryARN keeps the decisions of one access entry.
	EntryARN string
	// Principal matches, case-insensitively, a part of the principal ARN or of the username.
	Principal string
	// Verdict is allowed, no_opinion, authenticated or unauthenticated.
	Verdict string
	// After keeps decisions with a sequence number above it (following the log live).
	After uint64
	Limit int
}

// Verdicts are the values of Filter.Verdict.
var Verdicts = []string{"allowed", "no_opinion", "authenticated", "unauthenticated"}

// Decision is one logged decision as the API, the CLI, the console and the decision log file
// show it.
type Decision struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Cluster   string    `json:"cluster"`
	Webhook   string    `json:"webhook"`
	Principal string    `json:"principal"`
	Username  string    `json:"username,omitempty"`
	Groups    []string  `json:"groups,omitempty"`
	Request   *Request  `json:"request,omitempty"`
	// Description renders the request as the webhook's reasons do, e.g. `get pods in namespace "dev"`.
	Description string `json:"description,omitempty"`
	Verdict     string `json:"verdict"`
	Reason      string `json:"reason"`
	EntryARN    string `json:"accessEntryArn,omitempty"`
	PolicyARN   string `json:"policyArn,omitempty"`
}

// Request is what an authorization decision was about.
type Request = policy.Attributes

func view(seq uint64, d *kubeauth.Decision) Decision {
	v := Decision{Seq: seq, Time: d.Time.UTC(), Account: d.Cluster.Account, Region: d.Cluster.Region, Cluster: d.Cluster.Name,
		Webhook: d.Webhook, Principal: d.Principal, Username: d.Username, Groups: d.Groups, Verdict: d.Result, Reason: d.Reason,
		EntryARN: d.EntryARN, PolicyARN: d.Policy}
	if q := d.Request; q != nil {
		a := policy.AttributesOf(q)
		v.Request = &a
		v.Description = policy.Describe(q)
	}
	return v
}

func (f *Filter) match(d *kubeauth.Decision) bool {
	if (f.Account != "" && d.Cluster.Account != f.Account) || (f.Region != "" && d.Cluster.Region != f.Region) {
		return false
	}
	if f.EntryARN != "" && d.EntryARN != f.EntryARN {
		return false
	}
	if f.Cluster != "" && d.Cluster.Name != f.Cluster {
		return false
	}
	if f.Verdict != "" && d.Result != f.Verdict {
		return false
	}
	if f.Principal != "" {
		p := strings.ToLower(f.Principal)
		if !strings.Contains(strings.ToLower(d.Principal), p) && !strings.Contains(strings.ToLower(d.Username), p) {
			return false
		}
	}
	return true
}

// Decisions returns the newest logged decisions matching f, newest first.
func (r *Recorder) Decisions(f Filter) []Decision {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	out := []Decision{}
	last := r.ring.next.Load()
	n := uint64(len(r.ring.slots))
	for seq := last; seq > 0 && last-seq < n && seq > f.After && len(out) < f.Limit; seq-- {
		s := &r.ring.slots[seq%n]
		s.mu.Lock()
		got, d := s.seq, s.d
		s.mu.Unlock()
		if got != seq || d == nil { // overwritten meanwhile, or not written yet
			continue
		}
		if f.match(d) {
			out = append(out, view(seq, d))
		}
	}
	return out
}

// fileSink appends decisions as JSON lines to a file, off the hot path: decisions queue in a
// channel; when the writer falls behind, decisions are dropped and counted
// (eksaccess_decision_log_dropped_total) rather than slow the webhooks.
type fileSink struct {
	f    *os.File
	ch   chan *kubeauth.Decision
	done chan struct{}
	seq  atomic.Uint64
	m    *metrics
	log  *slog.Logger
}

func openFileSink(path string, m *metrics, log *slog.Logger) (*fileSink, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--decision-log: %w", err)
	}
	s := &fileSink{f: f, ch: make(chan *kubeauth.Decision, 8192), done: make(chan struct{}), m: m, log: log}
	go s.run()
	return s, nil
}

func (s *fileSink) put(d *kubeauth.Decision) {
	select {
	case s.ch <- d:
	default:
		s.m.logDropped.Inc()
	}
}

func (s *fileSink) run() {
	defer close(s.done)
	w := bufio.NewWriterSize(s.f, 64<<10)
	enc := json.NewEncoder(w)
	for d := range s.ch {
		if err := enc.Encode(view(s.seq.Add(1), d)); err != nil {
			s.m.logErrors.Inc()
		}
		if len(s.ch) == 0 {
			if err := w.Flush(); err != nil {
				s.m.logErrors.Inc()
				s.log.Warn("decision log not written", "error", err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		s.m.logErrors.Inc()
	}
}

func (s *fileSink) close() {
	close(s.ch)
	<-s.done
	s.f.Close()
}
