package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the DSN of the PostgreSQL the tests use (.ci/run starts one with
// hack/postgres.sh). Unset: PostgreSQL tests skip locally and fail under CI=true.
const PostgresEnv = "EKSACCESS_TEST_POSTGRES"

// PostgresDSN is the test PostgreSQL's DSN.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		RequireCI(t, "PostgreSQL", errors.New(PostgresEnv+" is not set (export "+PostgresEnv+"=$(hack/postgres.sh start))"))
	}
	return dsn
}

// PostgresSchema creates an empty schema for the test in the database dsn names and returns a
// DSN whose connections use it (search_path), so tests sharing one database do not meet. The
// schema is dropped when the test ends.
func PostgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, dsn); err == nil {
			conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
			conn.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// PrivatePostgres is a PostgreSQL server of one test (hack/postgres.sh), which the test may
// stop and start again.
type PrivatePostgres struct {
	DSN  string
	dir  string
	port string
	t    testing.TB
}

// StartPrivatePostgres starts a PostgreSQL of the test's own on a free port; it is destroyed
// when the test ends. Needs the server binaries: skips locally and fails under CI=true
// without them.
func StartPrivatePostgres(t testing.TB) *PrivatePostgres {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	dir, err := os.MkdirTemp("", "eksaccess-pg-test-")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(dir) // the script creates it with the right owner
	p := &PrivatePostgres{dir: dir, port: port, t: t}
	t.Cleanup(func() {
		if out, err := p.script("destroy"); err != nil {
			t.Errorf("destroy PostgreSQL: %v\n%s", err, out)
		}
	})
	out, err := p.script("start")
	RequireCI(t, "PostgreSQL server (hack/postgres.sh)", wrapOut(err, out))
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	p.DSN = lines[len(lines)-1]
	return p
}

// Stop stops the server (fast shutdown: open connections are cut).
func (p *PrivatePostgres) Stop() {
	p.t.Helper()
	if out, err := p.script("stop"); err != nil {
		p.t.Fatalf("stop PostgreSQL: %v\n%s", err, out)
	}
}

// Start starts the stopped server again.
func (p *PrivatePostgres) Start() {
	p.t.Helper()
	if out, err := p.script("start"); err != nil {
		p.t.Fatalf("start PostgreSQL: %v\n%s", err, out)
	}
}

func (p *PrivatePostgres) script(cmd string) ([]byte, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	c := exec.Command("bash", filepath.Join(root, "hack", "postgres.sh"), cmd, p.dir, p.port)
	return c.CombinedOutput()
}

func wrapOut(err error, out []byte) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s", err, out)
}

// repoRoot is the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found")
		}
		dir = parent
	}
}
