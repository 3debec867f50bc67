// Package sqlite is the embedded SQLite backend of access.Store (pure Go, no cgo), the default.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// IdempotencyTTL is how long a clientRequestToken is remembered.
const IdempotencyTTL = sqlstore.IdempotencyTTL

// Store is access.Store on SQLite. Writes go through one connection (SQLite has one writer;
// queueing in Go avoids SQLITE_BUSY storms), reads through a pool (WAL readers do not block).
type Store struct {
	writer *sql.DB
	reader *sql.DB
	// Prepared statements by query text, per pool: SQLite parses and plans a statement in
	// about as much time as it takes to run a point query, so every query is prepared once
	// per connection and reused (database/sql keeps one driver statement per connection).
	writerStmts, readerStmts *stmtCache

	// created is the database file when this Open created it (removed by Abandon); memory
	// is an in-memory database.
	created string
	memory  bool

	// probe answers access.ReadView's question "did anything else write?" (probe.go).
	probe *prober

	// Group commit (commit.go): queued write calls and whether a leader is running them.
	qmu     sync.Mutex
	queue   []*writeReq
	leading bool
}

type stmtCache struct {
	db *sql.DB
	m  sync.Map // query → *sql.Stmt, or preparing{} while one is being prepared
}

type preparing struct{}

// stmt returns tx's use of the prepared statement for q. On a miss the statement is prepared
// on tx's connection for this use, and on the pool in the background (the writer pool has one
// connection, which tx holds: preparing there now would wait for tx itself).
func (c *stmtCache) stmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	if st := c.pooled(q); st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	return tx.PrepareContext(ctx, q)
}

// pooled returns the pool's prepared statement for q, or nil (and starts preparing it) if it
// is not prepared yet.
func (c *stmtCache) pooled(q string) *sql.Stmt {
	v, loaded := c.m.LoadOrStore(q, preparing{})
	if st, ok := v.(*sql.Stmt); ok {
		return st
	}
	if !loaded {
		go func() {
			st, err := c.db.PrepareContext(context.Background(), q)
			if err != nil {
				c.m.Delete(q)
				return
			}
			c.m.Store(q, st)
		}()
	}
	return nil
}

func (c *stmtCache) close() {
	c.m.Range(func(_, v any) bool {
		if st, ok := v.(*sql.Stmt); ok {
			st.Close()
		}
		return true
	})
}

// Open opens (creating if needed) the database at path and brings its schema up to date.
// path may carry query parameters of the modernc driver (e.g. `?_pragma=synchronous(NORMAL)`).
func Open(ctx context.Context, path string) (*Store, error) {
	file, query, _ := strings.Cut(path, "?")
	if file == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("sqlite: bad parameters %q: %w", query, err)
	}
	if err := checkOptions(params); err != nil { // open.go
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	memory := file == ":memory:"
	created := ""
	if _, err := os.Lstat(file); !memory && errors.Is(err, os.ErrNotExist) {
		created = file
	} else if !memory && err == nil && !writable(file) {
		// SQLite would open it read-only and serve until the first write fails.
		return nil, explainOpen(file, nil)
	}
	// temp_store(MEMORY) keeps statement journals in memory: group commit runs each request in
	// a SAVEPOINT, and SQLite copies every page a savepoint first changes into the statement
	// journal, a temporary file once it passes 64 KiB (then one write system call per page).
	// That journal only serves ROLLBACK TO within the open transaction (crash recovery is the
	// WAL's), so memory loses nothing. A temp_store in the DSN is kept (the driver runs
	// pragmas sorted by text, so adding ours would not leave the user's last).
	if !hasPragma(params, "temp_store") {
		params.Add("_pragma", "temp_store(MEMORY)")
	}
	pragmas := []string{"busy_timeout(10000)", "foreign_keys(1)"}
	if !memory {
		pragmas = append(pragmas, "journal_mode(WAL)")
	}
	for _, p := range pragmas {
		params.Add("_pragma", p)
	}
	params.Set("_txlock", "immediate")
	dsn := "file:" + file + "?" + params.Encode()
	writer, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	reader := writer
	if !memory {
		params.Set("_txlock", "deferred")
		reader, err = sql.Open("sqlite", "file:"+file+"?"+params.Encode())
		if err != nil {
			writer.Close()
			return nil, err
		}
		reader.SetMaxOpenConns(8)
		reader.SetMaxIdleConns(8)
	}
	s := &Store{writer: writer, reader: reader, writerStmts: &stmtCache{db: writer}, readerStmts: &stmtCache{db: reader}, created: created, memory: memory,
		probe: &prober{dsn: "file:" + file + "?" + params.Encode(), shm: file + "-shm"}}
	if reader == writer {
		s.readerStmts = s.writerStmts
	}
	if err := s.migrate(ctx); err != nil {
		s.Abandon()
		return nil, explainOpen(file, err)
	}
	return s, nil
}

// hasPragma reports whether the DSN sets the pragma name.
func hasPragma(params url.Values, name string) bool {
	for _, p := range params["_pragma"] {
		if m := pragmaRe.FindStringSubmatch(p); m != nil && strings.EqualFold(m[1], name) {
			return true
		}
	}
	return false
}

// Close closes the database, checkpointing the WAL into it first.
func (s *Store) Close() error {
	s.probe.close()
	if !s.memory {
		s.checkpoint() // open.go
	}
	s.writerStmts.close()
	if s.readerStmts != s.writerStmts {
		s.readerStmts.close()
	}
	err := s.writer.Close()
	if s.reader != s.writer {
		if e := s.reader.Close(); err == nil {
			err = e
		}
	}
	return err
}

// SchemaVersion is the number of the newest migration.
func SchemaVersion() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	return len(names)
}

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin migration: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if current > len(names) {
		return fmt.Errorf("sqlite: database schema version %d is newer than this binary's %d", current, len(names))
	}
	for i := current; i < len(names); i++ {
		body, err := migrations.ReadFile(names[i])
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", names[i], err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, i+1, time.Now().Unix()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Update runs fn in a read-write transaction.
// Concurrent calls share commits (group commit, commit.go).
func (s *Store) Update(ctx context.Context, fn func(access.Tx) error) error {
	return s.update(ctx, fn)
}

// View runs fn in a read transaction.
func (s *Store) View(ctx context.Context, fn func(access.Tx) error) error {
	return s.run(ctx, s.reader, s.readerStmts, fn, false)
}

// ViewOneStatement implements access.OneStatementViewer: fn's one statement runs on a
// connection of the read pool in autocommit mode (a single SELECT reads one snapshot), without
// the BEGIN and ROLLBACK that View adds. A second statement, or a write, fails.
func (s *Store) ViewOneStatement(ctx context.Context, fn func(access.Tx) error) error {
	t := &tx{ctx: ctx, stmts: s.readerStmts, one: &oneStatement{db: s.reader}}
	t.Reads.Q = t
	return classify(fn(t))
}

// oneStatement is the state of a tx of ViewOneStatement.
type oneStatement struct {
	db   *sql.DB
	used bool
}

var errOneStatement = errors.New("sqlite: a one-statement view ran a second statement or a write")

func (s *Store) run(ctx context.Context, db *sql.DB, stmts *stmtCache, fn func(access.Tx) error, write bool) error {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	t := &tx{ctx: ctx, tx: sqlTx, stmts: stmts}
	t.Reads.Q = t
	if err := callFn(fn, t); err != nil {
		sqlTx.Rollback()
		return classify(err)
	}
	if !write {
		return classify(sqlTx.Rollback())
	}
	return classify(sqlTx.Commit())
}

// classify turns driver errors that mean "cannot serve now" into access.ErrUnavailable.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN:
			return fmt.Errorf("%w: %v", access.ErrUnavailable, err)
		}
	}
	return err
}

func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

type tx struct {
	sqlstore.Reads // the reads, through Query and QueryRow

	ctx   context.Context
	tx    *sql.Tx // nil in a ViewOneStatement
	stmts *stmtCache
	local map[string]*sql.Stmt // this transaction's statements, by query
	one   *oneStatement        // set in a ViewOneStatement
}

// stmt is the transaction's use of the prepared statement for q.
func (t *tx) stmt(q string) (*sql.Stmt, error) {
	if st := t.local[q]; st != nil {
		return st, nil
	}
	st, err := t.stmts.stmt(t.ctx, t.tx, q)
	if err != nil {
		return nil, err
	}
	if t.local == nil {
		t.local = map[string]*sql.Stmt{}
	}
	t.local[q] = st // a long transaction prepares each statement once
	return st, nil
}

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	if t.one != nil {
		return nil, errOneStatement
	}
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

// Query and QueryRow (through the statement cache) implement sqlstore.Querier.
func (t *tx) Query(q string, args ...any) (*sql.Rows, error) {
	if t.one != nil {
		if t.one.used {
			return nil, errOneStatement
		}
		t.one.used = true
		if st := t.stmts.pooled(q); st != nil {
			return st.QueryContext(t.ctx, args...)
		}
		return t.one.db.QueryContext(t.ctx, q, args...)
	}
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

func (t *tx) QueryRow(q string, args ...any) sqlstore.Scanner {
	if t.one != nil {
		if t.one.used {
			return errRow{errOneStatement}
		}
		t.one.used = true
		if st := t.stmts.pooled(q); st != nil {
			return st.QueryRowContext(t.ctx, args...)
		}
		return t.one.db.QueryRowContext(t.ctx, q, args...)
	}
	st, err := t.stmt(q)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(t.ctx, args...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (t *tx) InsertCluster(c *access.Cluster) error {
	_, err := t.exec(`INSERT INTO clusters (`+sqlstore.ClusterCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Account, c.Region, c.Name, c.ARN, c.Status, c.AuthenticationMode, c.BootstrapAdmin, c.CreatedAt, sqlstore.MustJSON(c.Tags), sqlstore.MustJSON(c.Spec), c.Revision)
	if isConstraint(err) {
		return access.ErrAlreadyExists
	}
	return err
}

func (t *tx) UpdateCluster(c *access.Cluster) error {
	return sqlstore.NotFound(t.exec(`UPDATE clusters SET status = ?, auth_mode = ?, bootstrap_admin = ?, tags = ?, spec = ?, revision = revision + 1 WHERE id = ?`,
		c.Status, c.AuthenticationMode, c.BootstrapAdmin, sqlstore.MustJSON(c.Tags), sqlstore.MustJSON(c.Spec), c.ID))
}

func (t *tx) DeleteCluster(id string) error {
	for _, q := range []string{
		`DELETE FROM policy_associations WHERE cluster_id = ?`,
		`DELETE FROM access_entries WHERE cluster_id = ?`,
		`DELETE FROM identity_provider_configs WHERE cluster_id = ?`,
		`DELETE FROM cluster_updates WHERE cluster_id = ?`,
	} {
		if _, err := t.exec(q, id); err != nil {
			return err
		}
	}
	return sqlstore.NotFound(t.exec(`DELETE FROM clusters WHERE id = ?`, id))
}

func (t *tx) InsertAccessEntry(e *access.AccessEntry) error {
	_, err := t.exec(`INSERT INTO access_entries (cluster_id, principal_arn, arn, type, username, groups_json, tags, created_at, modified_at, principal_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ClusterID, e.PrincipalARN, e.ARN, e.Type, e.Username, sqlstore.MustJSON(sqlstore.NonNilStrings(e.KubernetesGroups)), sqlstore.MustJSON(sqlstore.NonNilMap(e.Tags)), e.CreatedAt, e.ModifiedAt, e.PrincipalID)
	if isConstraint(err) {
		return access.ErrAlreadyExists
	}
	return err
}

func (t *tx) UpdateAccessEntry(e *access.AccessEntry) error {
	return sqlstore.NotFound(t.exec(`UPDATE access_entries SET username = ?, groups_json = ?, tags = ?, modified_at = ?, principal_id = ? WHERE cluster_id = ? AND principal_arn = ?`,
		e.Username, sqlstore.MustJSON(sqlstore.NonNilStrings(e.KubernetesGroups)), sqlstore.MustJSON(sqlstore.NonNilMap(e.Tags)), e.ModifiedAt, e.PrincipalID, e.ClusterID, e.PrincipalARN))
}

func (t *tx) DeleteAccessEntry(key access.EntryKey) error {
	if _, err := t.exec(`DELETE FROM policy_associations WHERE cluster_id = ? AND principal_arn = ?`, key.ClusterID, key.PrincipalARN); err != nil {
		return err
	}
	return sqlstore.NotFound(t.exec(`DELETE FROM access_entries WHERE cluster_id = ? AND principal_arn = ?`, key.ClusterID, key.PrincipalARN))
}

func (t *tx) PutAssociation(a *access.Association) error {
	_, err := t.exec(`INSERT INTO policy_associations (cluster_id, principal_arn, policy_arn, scope_type, namespaces, associated_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (cluster_id, principal_arn, policy_arn) DO UPDATE SET scope_type = excluded.scope_type, namespaces = excluded.namespaces, modified_at = excluded.modified_at`,
		a.ClusterID, a.PrincipalARN, a.PolicyARN, a.ScopeType, sqlstore.MustJSON(sqlstore.NonNilStrings(a.Namespaces)), a.AssociatedAt, a.ModifiedAt)
	if isConstraint(err) {
		return access.ErrNotFound // the entry is gone
	}
	return err
}

func (t *tx) DeleteAssociation(key access.EntryKey, policyARN string) error {
	return sqlstore.NotFound(t.exec(`DELETE FROM policy_associations WHERE cluster_id = ? AND principal_arn = ? AND policy_arn = ?`, key.ClusterID, key.PrincipalARN, policyARN))
}

func (t *tx) PutIdempotency(r *access.IdempotencyRecord) error {
	if _, err := t.exec(`DELETE FROM idempotency WHERE created_at < ?`, time.Now().Add(-IdempotencyTTL).UnixMilli()); err != nil {
		return err
	}
	k := r.Key
	_, err := t.exec(`INSERT INTO idempotency (account, region, operation, resource, token, request_hash, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (account, region, operation, resource, token) DO UPDATE SET request_hash = excluded.request_hash, result = excluded.result, created_at = excluded.created_at`,
		k.Account, k.Region, k.Operation, k.Resource, k.Token, r.RequestHash, r.Result, r.CreatedAt)
	return err
}

// MergeActivity implements access.ActivityTx.
func (t *tx) MergeActivity(recs []access.ActivityRecord) error {
	return sqlstore.MergeActivity(t.exec, recs)
}
