package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Group commit. SQLite commits one write transaction at a time, and a durable commit waits for
// an fsync (synchronous=FULL, the default): a few milliseconds on common disks, which would cap
// the store at a few hundred writes per second whatever the CPU. Concurrent Update calls are
// therefore queued and run by one goroutine at a time (the leader) in batches: each call's
// function runs inside its own SAVEPOINT of one transaction, a failing call is rolled back to
// its savepoint (its writes vanish, the others' stay), and the batch commits with one fsync.
// Every call returns only after the commit that made its writes durable, so each request
// keeps its all-or-nothing semantics and its durability; calls in one batch see each other's
// writes exactly as if they had run one after the other, in queue order.

// maxBatch bounds how many calls share one commit (and how long the last one waits).
const maxBatch = 128

type writeReq struct {
	ctx  context.Context
	fn   func(access.Tx) error
	err  error
	done chan struct{}
}

// update queues fn for the next batch; the first caller to find no leader leads.
func (s *Store) update(ctx context.Context, fn func(access.Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.qmu.Lock()
	s.queue = append(s.queue, r)
	lead := !s.leading
	if lead {
		s.leading = true
	}
	s.qmu.Unlock()
	if lead {
		s.lead()
	}
	<-r.done // not ctx.Done(): once fn may have run, the caller must learn whether it committed
	return r.err
}

// lead runs batches until the queue is empty.
func (s *Store) lead() {
	for {
		s.qmu.Lock()
		n := min(len(s.queue), maxBatch)
		if n == 0 {
			s.leading = false
			s.qmu.Unlock()
			return
		}
		batch := append([]*writeReq(nil), s.queue[:n]...)
		s.queue = append(s.queue[:0], s.queue[n:]...)
		s.qmu.Unlock()
		s.runBatch(batch)
		for _, r := range batch {
			close(r.done)
		}
	}
}

func (s *Store) runBatch(batch []*writeReq) {
	if len(batch) == 1 { // nothing to share: a plain transaction, no savepoint
		r := batch[0]
		if r.err = r.ctx.Err(); r.err == nil {
			r.err = s.run(r.ctx, s.writer, s.writerStmts, r.fn, true)
		}
		return
	}
	// Statements run without the callers' cancellation: interrupting a write statement inside
	// an explicit transaction may roll back the whole transaction, every caller's work.
	bctx := context.Background()
	sqlTx, err := s.writer.BeginTx(bctx, nil)
	if err != nil {
		for _, r := range batch {
			r.err = classify(err)
		}
		return
	}
	var ran []*writeReq
	for _, r := range batch {
		if r.err = r.ctx.Err(); r.err != nil {
			continue // never started: the caller gave up while queued
		}
		if _, err := sqlTx.ExecContext(bctx, "SAVEPOINT w"); err != nil {
			r.err = classify(err)
			continue
		}
		t := &tx{ctx: context.WithoutCancel(r.ctx), tx: sqlTx, stmts: s.writerStmts}
		t.Reads.Q = t
		if err := callFn(r.fn, t); err != nil {
			r.err = classify(err)
			_, rerr := sqlTx.ExecContext(bctx, "ROLLBACK TO w")
			if rerr == nil {
				_, rerr = sqlTx.ExecContext(bctx, "RELEASE w")
			}
			if rerr != nil {
				abort(sqlTx, batch, classify(rerr))
				return
			}
			continue
		}
		if _, err := sqlTx.ExecContext(bctx, "RELEASE w"); err != nil {
			abort(sqlTx, batch, classify(err))
			return
		}
		ran = append(ran, r)
	}
	if err := sqlTx.Commit(); err != nil {
		err = classify(err)
		for _, r := range ran {
			r.err = err
		}
	}
}

// abort rolls the batch's transaction back when it cannot be trusted any more: nobody's writes
// commit, so every call that has no error yet (those that ran, and those not reached) gets err.
func abort(sqlTx *sql.Tx, batch []*writeReq, err error) {
	sqlTx.Rollback()
	for _, r := range batch {
		if r.err == nil {
			r.err = err
		}
	}
}

// callFn runs a transaction function, turning a panic into an error: the function may run on
// another request's goroutine (the batch leader), whose other callers must still be answered
// and whose transaction must still end.
func callFn(fn func(access.Tx) error, t access.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: transaction function panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(t)
}
