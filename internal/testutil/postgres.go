package testutil

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksaccess/eksaccess/internal/testutil/testenv"
)

// The test PostgreSQL and the CI requirement, from testenv (which test binaries can link
// without this package's dependencies).
const PostgresEnv = testenv.PostgresEnv

var (
	PostgresDSN    = testenv.PostgresDSN
	PostgresSchema = testenv.PostgresSchema
	RequireCI      = testenv.RequireCI
	SkipVisibly    = testenv.SkipVisibly
)

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
