package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"os"
	"strconv"
	"sync"

	"github.com/eksaccess/eksaccess/internal/access"
)

// prober tells whether the database file changed, for access.ReadView: whether another
// connection (of this process or of any other, such as `eksaccess cluster attach` writing a
// running server's database) has committed since it last asked.
//
// The cheap way reads the WAL index header from the -shm file (https://sqlite.org/walformat.html):
// every commit rewrites it (its change counter, frame count and checksums), before the commit
// returns, in the shared memory that the file maps, so a read(2) of the file sees it. The header
// is written twice; a read is used only when both copies agree, the header is initialized and
// of the version this format describes. Otherwise (or when the -shm file cannot be read) the
// prober asks SQLite itself, `PRAGMA data_version` on a connection of its own, which answers a
// different number whenever another connection has committed since that connection last asked.
type prober struct {
	dsn, shm string

	once sync.Once
	db   *sql.DB
	stmt *sql.Stmt
	err  error

	fmu  sync.Mutex
	file *os.File
}

// walIndexVersion is the wal-index format number (iVersion) of the header layout read here;
// walHdrSize is one copy of the header (WalIndexHdr).
const (
	walIndexVersion = 3007000
	walHdrSize      = 48
)

// ChangeProbe implements the access.ReadView's view of writes made outside this process's
// write path. An in-memory database has no other connection: nil.
func (s *Store) ChangeProbe() access.ChangeProbe {
	if s.memory {
		return nil
	}
	return s.probe.token
}

func (p *prober) token(ctx context.Context) (string, error) {
	if t, ok := p.walHeader(); ok {
		return t, nil
	}
	v, err := p.dataVersion(ctx)
	return "v" + strconv.FormatUint(v, 10), err // never equal to a header's 48 bytes
}

// walHeader reads the first copy of the WAL index header when it is valid and both copies
// agree.
func (p *prober) walHeader() (string, bool) {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if p.file == nil {
		f, err := os.Open(p.shm)
		if err != nil {
			return "", false
		}
		p.file = f
	}
	var b [2 * walHdrSize]byte
	if n, err := p.file.ReadAt(b[:], 0); n != len(b) || err != nil {
		return "", false
	}
	one, two := b[:walHdrSize], b[walHdrSize:]
	// iVersion (native byte order, as SQLite writes the shared memory) and isInit.
	if binary.NativeEndian.Uint32(one[0:4]) != walIndexVersion || one[12] != 1 || !bytes.Equal(one, two) {
		return "", false
	}
	return string(one), true
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
	p.once.Do(func() {}) // no PRAGMA connection after Close
	if p.db != nil {
		p.stmt.Close()
		p.db.Close()
	}
	p.fmu.Lock()
	if p.file != nil {
		p.file.Close()
		p.file = nil
	}
	p.fmu.Unlock()
}
