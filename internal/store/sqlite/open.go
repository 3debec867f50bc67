package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// options are the DSN query parameters eksaccess passes on: the modernc driver's (it ignores
// names it does not know, so a typo would be silently dropped) and SQLite's URI parameters.
// _txlock is eksaccess's own choice (immediate writes, deferred reads).
var options = []string{
	"_pragma", "_busy_timeout", "_timeout", "_auto_vacuum", "_vacuum", "_foreign_keys", "_fk",
	"_journal_mode", "_journal", "_synchronous", "_sync", "_query_only", "_time_format",
	"_time_integer_format", "_timezone", "_inttotime", "_texttotime", "_dqs", "_error_rc",
	"_defensive", "vfs", "cache", "immutable", "nolock", "psow",
}

var pragmaRe = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\(.*\)|=.*)?\s*$`)

// pragmaNames is the set of pragmas this SQLite knows (PRAGMA pragma_list).
var pragmaNames = sync.OnceValues(func() (map[string]bool, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`PRAGMA pragma_list`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names[n] = true
	}
	return names, rows.Err()
})

// checkOptions refuses DSN parameters the driver would ignore and pragmas SQLite would
// ignore (an unknown PRAGMA is a no-op in SQLite), before any file is touched.
func checkOptions(params url.Values) error {
	for k := range params {
		if !slices.Contains(options, k) {
			return fmt.Errorf("unknown option %q in the database DSN (known: %s)", k, strings.Join(options, ", "))
		}
	}
	known, err := pragmaNames()
	if err != nil {
		return err
	}
	for _, p := range params["_pragma"] {
		m := pragmaRe.FindStringSubmatch(p)
		if m == nil {
			return fmt.Errorf("_pragma=%s: want NAME(VALUE), e.g. _pragma=synchronous(NORMAL)", p)
		}
		if !known[strings.ToLower(m[1])] {
			return fmt.Errorf("_pragma=%s: SQLite has no pragma %q (https://sqlite.org/pragma.html)", p, m[1])
		}
	}
	return nil
}

// explainOpen names the database and the likely cause of a failure to open it (err, or nil
// when Open refused before SQLite tried): a missing or read-only directory, a read-only
// file, a file that is not a database.
func explainOpen(file string, err error) error {
	if file == ":memory:" {
		return fmt.Errorf("sqlite: %w", err)
	}
	abs, aerr := filepath.Abs(file)
	if aerr != nil {
		abs = file
	}
	dir := filepath.Dir(abs)
	cause := ""
	var se *sqlite.Error
	switch st, serr := os.Stat(dir); {
	case errors.Is(serr, os.ErrNotExist):
		cause = fmt.Sprintf("directory %s does not exist (create it, or give --database another path)", dir)
	case serr != nil:
		cause = fmt.Sprintf("directory %s cannot be read: %v", dir, serr)
	case !st.IsDir():
		cause = fmt.Sprintf("%s is not a directory", dir)
	}
	if cause == "" {
		if fi, ferr := os.Stat(abs); ferr == nil {
			switch {
			case fi.IsDir():
				cause = "it is a directory, not a database file"
			case errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_NOTADB:
				cause = "the file is not an SQLite database"
			case !writable(abs):
				cause = "the file is read-only for this user (eksaccess writes to it: check its owner and mode)"
			case !dirWritable(dir):
				cause = fmt.Sprintf("directory %s is read-only for this user (SQLite creates the -wal and -shm files beside the database)", dir)
			}
		} else if !dirWritable(dir) {
			cause = fmt.Sprintf("directory %s is read-only for this user, so the database cannot be created there", dir)
		}
	}
	switch {
	case cause == "":
		return fmt.Errorf("sqlite: cannot open database %s: %w", abs, err)
	case err == nil:
		return fmt.Errorf("sqlite: cannot open database %s: %s", abs, cause)
	}
	return fmt.Errorf("sqlite: cannot open database %s: %s (%w)", abs, cause, err)
}

func writable(file string) bool {
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

func dirWritable(dir string) bool {
	f, err := os.CreateTemp(dir, ".eksaccess-probe-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// removeCreated removes the database files when this Open created the database: a failed
// start leaves nothing behind.
func (s *Store) removeCreated() {
	if s.created == "" {
		return
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(s.created + suffix)
	}
}

// Abandon closes a store that a failed start opened, and removes its database files when
// opening it created them.
func (s *Store) Abandon() error {
	err := s.Close()
	s.removeCreated()
	return err
}

const contextTimeout = 10 * time.Second

// checkpoint moves the WAL into the database and truncates it, so a stopped server leaves a
// self-contained database file (SQLite deletes the -wal file itself when the last connection
// closes cleanly; this also covers a reader still holding one).
func (s *Store) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), contextTimeout)
	defer cancel()
	s.writer.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
}
