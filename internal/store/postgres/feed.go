package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The change feed. Triggers (migration 0001) append every change to what the webhooks' index
// holds to the changes table and NOTIFY channel eksaccess_changes with "revision at_ms
// cluster_id". A Feed LISTENs on its own connection and hands the changed cluster ids to the
// index; after a reconnect it catches up from the changes table: every revision after the
// last one it saw, and every change recorded within CatchUpWindow before it (a transaction that
// took its revision earlier may commit later, but never later than TxTimeout after).

// FeedChannel is the NOTIFY channel of the change feed.
const FeedChannel = "eksaccess_changes"

// CatchUpWindow is how far before the last seen change a catch-up looks.
const CatchUpWindow = 3 * TxTimeout

// changesRetention is how long the changes table keeps rows; a feed that was disconnected for
// more than half of it reloads everything instead of catching up.
const changesRetention = time.Hour

// Position is a point in the change feed.
type Position struct {
	Revision int64
	AtMs     int64 // database clock, milliseconds
}

// FeedHandler receives the feed's changes.
type FeedHandler struct {
	// Refresh reloads the given clusters. An error makes the feed try again later.
	Refresh func(ctx context.Context, clusterIDs []string) error
	// Reload reloads everything (after a long disconnection).
	Reload func(ctx context.Context) error
	// Log reports connection trouble; nil discards it.
	Log func(msg string, err error)
}

// Feed follows the changes committed by every replica.
type Feed struct {
	s   *Store
	pos Position
}

// NewFeed starts a feed at the database's current position: take it before loading the index,
// so that nothing committed in between is missed.
func (s *Store) NewFeed(ctx context.Context) (*Feed, error) {
	ctx, cancel := context.WithTimeout(ctx, TxTimeout)
	defer cancel()
	var p Position
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(revision), 0), (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT FROM changes`).Scan(&p.Revision, &p.AtMs)
	if err != nil {
		return nil, fmt.Errorf("postgres: change feed position: %w", classify(err))
	}
	return &Feed{s: s, pos: p}, nil
}

// Run follows the feed until ctx ends, reconnecting with backoff.
func (f *Feed) Run(ctx context.Context, h FeedHandler) {
	if h.Log == nil {
		h.Log = func(string, error) {}
	}
	pending := map[string]bool{}
	connected := time.Now()
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if time.Since(connected) > changesRetention/2 {
			if err := h.Reload(ctx); err != nil {
				h.Log("change feed: reload", err)
			} else {
				connected = time.Now()
				clear(pending)
			}
		}
		err := f.listen(ctx, h, pending, func() { connected = time.Now(); backoff = 0 })
		if ctx.Err() != nil {
			return
		}
		h.Log("change feed: connection lost; catching up after reconnecting", err)
		backoff = min(max(2*backoff, 100*time.Millisecond), 2*time.Second)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

func (f *Feed) listen(ctx context.Context, h FeedHandler, pending map[string]bool, ok func()) error {
	cfg := f.s.cfg.Copy()
	// Name the connection for pg_stat_activity.
	if app := cfg.RuntimeParams["application_name"]; app != "" {
		cfg.RuntimeParams["application_name"] = app + " (change feed)"
	} else {
		cfg.RuntimeParams["application_name"] = "eksaccess change feed"
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+FeedChannel); err != nil {
		return err
	}
	// Catch up on what was committed while not listening.
	qctx, cancel := context.WithTimeout(ctx, TxTimeout)
	rows, err := conn.Query(qctx, `SELECT revision, at_ms, cluster_id FROM changes WHERE revision > $1 OR at_ms > $2 ORDER BY revision`,
		f.pos.Revision, f.pos.AtMs-CatchUpWindow.Milliseconds())
	if err != nil {
		cancel()
		return err
	}
	for rows.Next() {
		var p Position
		var id string
		if err := rows.Scan(&p.Revision, &p.AtMs, &id); err != nil {
			rows.Close()
			cancel()
			return err
		}
		pending[id] = true
		f.advance(p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		cancel()
		return err
	}
	cancel()
	f.s.pruneChanges(ctx)
	ok()
	prune := time.NewTicker(changesRetention / 6)
	defer prune.Stop()

	lctx, stop := context.WithCancel(ctx)
	defer stop()
	notes := make(chan *pgconn.Notification, 1024)
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			n, err := conn.WaitForNotification(lctx)
			if err != nil {
				errc <- err
				return
			}
			select {
			case notes <- n:
			case <-lctx.Done():
				errc <- lctx.Err()
				return
			}
		}
	}()
	defer func() { stop(); <-done }()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		if len(pending) > 0 {
			ids := make([]string, 0, len(pending))
			for id := range pending {
				ids = append(ids, id)
			}
			if err := h.Refresh(ctx, ids); err != nil {
				h.Log("change feed: refresh", err)
				retry.Reset(500 * time.Millisecond)
			} else {
				clear(pending)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case <-retry.C:
		case <-prune.C:
			f.s.pruneChanges(ctx)
		case n := <-notes:
			f.note(n, pending)
			for drained := false; !drained && len(pending) < 1000; {
				select {
				case n := <-notes:
					f.note(n, pending)
				default:
					drained = true
				}
			}
		}
	}
}

// note records one notification "revision at_ms cluster_id".
func (f *Feed) note(n *pgconn.Notification, pending map[string]bool) {
	parts := strings.SplitN(n.Payload, " ", 3)
	if len(parts) != 3 {
		return
	}
	rev, err1 := strconv.ParseInt(parts[0], 10, 64)
	at, err2 := strconv.ParseInt(parts[1], 10, 64)
	if errors.Join(err1, err2) != nil {
		return
	}
	pending[parts[2]] = true
	f.advance(Position{Revision: rev, AtMs: at})
}

func (f *Feed) advance(p Position) {
	f.pos.Revision = max(f.pos.Revision, p.Revision)
	f.pos.AtMs = max(f.pos.AtMs, p.AtMs)
}

// pruneChanges drops changes older than changesRetention (every replica does it now and then).
func (s *Store) pruneChanges(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, TxTimeout)
	defer cancel()
	s.db.ExecContext(ctx, `DELETE FROM changes WHERE at_ms < (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT - $1`, changesRetention.Milliseconds())
}
