// Package store opens the access.Store named by a DSN; the scheme picks the backend.
package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/postgres"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
)

// DefaultDSN is the embedded SQLite database in the working directory.
const DefaultDSN = "sqlite://eksaccess.db"

// Open opens the store a DSN names:
//
//	sqlite://eksaccess.db          relative path
//	sqlite:///var/lib/eksaccess.db absolute path
//	sqlite://:memory:              in memory (lost at exit)
//	postgres://user:pass@host:5432/db?sslmode=disable   PostgreSQL (also postgresql://)
func Open(ctx context.Context, dsn string) (access.Store, error) {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return nil, fmt.Errorf("database %q: want a DSN such as %s", dsn, DefaultDSN)
	}
	switch scheme {
	case "sqlite", "sqlite3":
		return sqlite.Open(ctx, rest)
	case "postgres", "postgresql":
		return postgres.Open(ctx, dsn)
	default:
		return nil, fmt.Errorf("database %q: unsupported scheme %q (supported: sqlite, postgres)", Describe(dsn), scheme)
	}
}

// Describe is a DSN with any password removed, for logs.
func Describe(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if colon := strings.Index(rest[:at], ":"); colon >= 0 {
			rest = rest[:colon] + ":***" + rest[at:]
		}
	}
	return scheme + "://" + rest
}

// Abandon closes a store whose server failed to start. A SQLite database that this start
// created is removed, so a failed start leaves no new file behind.
func Abandon(s access.Store) error {
	if a, ok := s.(interface{ Abandon() error }); ok {
		return a.Abandon()
	}
	return s.Close()
}
