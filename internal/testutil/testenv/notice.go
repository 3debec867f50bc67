// Package testenv is the part of testutil that needs no server, SDK or Kubernetes packages:
// skipping visibly, requiring tools under CI, the test PostgreSQL, building the eksaccess
// binary once for every package that runs it. Test binaries of packages
// that need only these link without testutil's dependencies (a link is seconds of CPU).
package testenv

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SkipVisibly skips t, and says so where `go test ./...` shows it. In package-list mode go
// test prints only the "ok" line of a passing package and drops its output, skip messages
// included, so a newcomer could not tell what did not run. The notice therefore also goes
// to the go command's own stderr (when it is a terminal or a pipe, which cannot be
// overwritten), as one line:
//
//	SKIP ./e2e/kube TestAccessEntries: needs EKSACCESS_E2E=1 (see hack/e2e.sh)
//
// A cached result replays no notice: `go test -count=1 ./...` shows them again.
func SkipVisibly(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if !testing.Verbose() {
		line := fmt.Sprintf("SKIP %s %s: %s\n", packageDir(), t.Name(), msg)
		w := goCommandStderr()
		if w == nil {
			w = os.Stderr
		}
		io.WriteString(w, line)
		if c, ok := w.(io.Closer); ok && w != os.Stderr {
			c.Close()
		}
	}
	t.Skip(msg)
}

// goCommandStderr opens the stderr of the go command that runs this test binary, or nil.
func goCommandStderr() io.Writer {
	ppid := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return nil
	}
	path := fmt.Sprintf("/proc/%d/fd/2", ppid)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&(os.ModeCharDevice|os.ModeNamedPipe|os.ModeSocket) == 0 {
		return nil // a regular file: our write could be overwritten at go's own offset
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil
	}
	return f
}

// packageDir is the test's package directory relative to the module root (./internal/x).
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "?"
	}
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if rel, err := filepath.Rel(d, wd); err == nil {
				return "./" + filepath.ToSlash(rel)
			}
		}
	}
	return wd
}

// RequireCI fails (under CI=true) or skips (locally) when a needed tool is missing.
func RequireCI(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v", what, err)
	}
	SkipVisibly(t, "%s not available: %v", what, err)
}
