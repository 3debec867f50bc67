// Package postgres is the PostgreSQL backend of access.Store (pgx through database/sql), for
// several `eksaccess serve` replicas sharing one database.
//
// Write transactions run SERIALIZABLE and are retried on serialization failures, so that
// concurrent replicas behave as SQLite's single writer does: read-modify-write requests never
// lose an update, a clientRequestToken replays across replicas, and exactly one replica
// completes an update. Failures to reach the database are access.ErrUnavailable, and every
// transaction has a deadline, so requests fail fast rather than hang while the database is away.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// IdempotencyTTL is how long a clientRequestToken is remembered.
const IdempotencyTTL = sqlstore.IdempotencyTTL

// TxTimeout bounds one transaction, retries included: a request fails with ErrUnavailable
// rather than wait longer for the database.
const TxTimeout = 10 * time.Second

// migrationLock is the pg_advisory_xact_lock key held while migrating ("eksaccess").
const migrationLock = 0x656b73616363

// Store is access.Store on PostgreSQL.
type Store struct {
	db  *sql.DB
	cfg *pgx.ConnConfig
}

// Open connects to the database a postgres:// or postgresql:// DSN names and brings its schema
// up to date. Without connect_timeout in the DSN, connecting times out after 5 seconds.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, cfg: cfg}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// SchemaVersion is the number of the newest migration.
func SchemaVersion() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	return len(names)
}

// migrate applies the missing migrations in one transaction under an advisory lock, so that
// replicas starting at once apply each migration exactly once.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: begin migration: %w", classify(err))
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", classify(err))
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if current > len(names) {
		return fmt.Errorf("postgres: database schema version %d is newer than this binary's %d", current, len(names))
	}
	for i := current; i < len(names); i++ {
		body, err := migrations.ReadFile(names[i])
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", names[i], err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, i+1, time.Now().Unix()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Update runs fn in a SERIALIZABLE read-write transaction, again on a serialization failure
// or when the connection broke before commit.
func (s *Store) Update(ctx context.Context, fn func(access.Tx) error) error {
	return s.run(ctx, fn, &sql.TxOptions{Isolation: sql.LevelSerializable})
}

// View runs fn in a read-only REPEATABLE READ transaction (one snapshot, never a
// serialization failure).
func (s *Store) View(ctx context.Context, fn func(access.Tx) error) error {
	return s.run(ctx, fn, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

func (s *Store) run(ctx context.Context, fn func(access.Tx) error, opts *sql.TxOptions) error {
	ctx, cancel := context.WithTimeout(ctx, TxTimeout)
	defer cancel()
	broken := 0
	for attempt := 1; ; attempt++ {
		err, retry := s.attempt(ctx, fn, opts)
		if isConnection(err) {
			// One more try replaces a pooled connection the database closed (a restart); a
			// database that cannot be reached answers at once.
			broken++
			retry = retry && broken < 2
		}
		if err == nil || !retry || attempt >= 50 || ctx.Err() != nil {
			return classify(err)
		}
		// Back off a little, with jitter, so that contending replicas spread out.
		d := time.Duration(rand.Int64N(int64(min(attempt, 10)) * int64(5*time.Millisecond)))
		select {
		case <-ctx.Done():
			return classify(err)
		case <-time.After(d):
		}
	}
}

// attempt runs fn once; retry reports whether running it again may succeed (nothing was
// committed).
func (s *Store) attempt(ctx context.Context, fn func(access.Tx) error, opts *sql.TxOptions) (err error, retry bool) {
	sqlTx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return err, isConnection(err)
	}
	t := &tx{ctx: ctx, tx: sqlTx}
	t.Reads.Q = t
	if err := fn(t); err != nil {
		sqlTx.Rollback()
		if t.failed != nil && !errors.Is(err, t.failed) && retryable(t.failed) {
			err = t.failed // the domain wrapped or replaced the database error
		}
		return err, retryable(err)
	}
	if opts.ReadOnly {
		sqlTx.Rollback()
		return nil, false
	}
	err = sqlTx.Commit()
	// A broken connection at commit leaves the outcome unknown: never run fn again then.
	return err, isSerialization(err)
}

func retryable(err error) bool { return isSerialization(err) || isConnection(err) }

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// isSerialization: serialization_failure or deadlock_detected.
func isSerialization(err error) bool {
	c := pgCode(err)
	return c == "40001" || c == "40P01"
}

// isConnection reports errors that mean the database could not be reached or went away.
func isConnection(err error) bool {
	if err == nil {
		return false
	}
	if c := pgCode(err); c != "" {
		return strings.HasPrefix(c, "08") || // connection exception
			strings.HasPrefix(c, "53") || // insufficient resources (too many connections)
			c == "57P01" || c == "57P02" || c == "57P03" // shutting down, starting up
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.Timeout(err) || strings.Contains(err.Error(), "conn closed")
}

// classify turns errors that mean "cannot serve now" into access.ErrUnavailable.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if isConnection(err) || isSerialization(err) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", access.ErrUnavailable, err)
	}
	return err
}

func isConstraint(err error) bool { return strings.HasPrefix(pgCode(err), "23") }

// inserted is the result of an INSERT … ON CONFLICT DO NOTHING: no row means the key exists.
// (A conflicting row committed by a concurrent transaction is a serialization failure instead,
// and the transaction runs again.)
func inserted(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return access.ErrAlreadyExists
	}
	return nil
}

type tx struct {
	sqlstore.Reads // the reads, through Query and QueryRow

	ctx context.Context
	tx  *sql.Tx
	// failed is the first database error: the transaction is aborted after it.
	failed error
}

func (t *tx) note(err error) error {
	if t.failed == nil && (pgCode(err) != "" || isConnection(err)) {
		t.failed = err
	}
	return err
}

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(t.ctx, rebind(q), args...)
	return res, t.note(err)
}

// Query and QueryRow implement sqlstore.Querier.
func (t *tx) Query(q string, args ...any) (*sql.Rows, error) {
	rows, err := t.tx.QueryContext(t.ctx, rebind(q), args...)
	return rows, t.note(err)
}

func (t *tx) QueryRow(q string, args ...any) sqlstore.Scanner {
	return noteRow{t, t.tx.QueryRowContext(t.ctx, rebind(q), args...)}
}

type noteRow struct {
	t   *tx
	row *sql.Row
}

func (r noteRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return r.t.note(err)
}

// rebind turns the SQLite-style ? placeholders of the shared queries into $1, $2, …
// (no query has a literal question mark).
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// MergeActivity implements access.ActivityTx.
func (t *tx) MergeActivity(recs []access.ActivityRecord) error {
	return sqlstore.MergeActivity(t.exec, recs)
}
