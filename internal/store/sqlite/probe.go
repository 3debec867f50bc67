package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/eksaccess/eksaccess/internal/access"
)

// prober asks SQLite, on a connection of its own, whether the database file changed:
// `PRAGMA data_version` answers a different number whenever another connection (of this
// process or of any other, such as `eksaccess cluster attach` writing a running server's
// database) has committed since that connection last asked. Each call starts a read of the
// file's current state (the WAL index header), so it reflects every commit made before it.
type prober struct {
	once sync.Once
	db   *sql.DB
	stmt *sql.Stmt
	err  error
	dsn  string
}

// ChangeProbe implements the access.ReadView's view of writes made outside this process's
// write path. An in-memory database has no other connection: nil.
func (s *Store) ChangeProbe() access.ChangeProbe {
	if s.memory {
		return nil
	}
	return s.probe.dataVersion
}

func (p *prober) dataVersion(ctx context.Context) (uint64, error) {
	p.once.Do(func() {
		if p.db, p.err = sql.Open("sqlite", p.dsn); p.err != nil {
			return
		}
		p.db.SetMaxOpenConns(1)
		p.db.SetMaxIdleConns(1)
		p.db.SetConnMaxLifetime(0)
		p.stmt, p.err = p.db.PrepareContext(ctx, `PRAGMA data_version`)
	})
	if p.err != nil {
		return 0, p.err
	}
	var v uint64
	err := p.stmt.QueryRowContext(ctx).Scan(&v)
	return v, err
}

func (p *prober) close() {
	p.once.Do(func() {}) // no probe after Close
	if p.db != nil {
		p.stmt.Close()
		p.db.Close()
	}
}
