package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Plain `go test ./...` (no -v) drops the output of passing packages; a test skipped for a
// missing dependency must still be named there, with how to run it.
func TestSkipNoticeShownByPlainGoTest(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "test", "-count=1", "-run", "^TestConformance$", "../../store/postgres/")
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, PostgresEnv+"=") && !strings.HasPrefix(e, "CI=") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe() // a pipe, as in a terminal or `| tee`
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	errOut.ReadFrom(stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go test: %v\n%s%s", err, out.String(), errOut.String())
	}
	want := "SKIP ./internal/store/postgres TestConformance: PostgreSQL not available: " + PostgresEnv + " is not set (export " + PostgresEnv + "=$(hack/postgres.sh start))"
	if !strings.Contains(errOut.String(), want) || !strings.Contains(out.String(), "ok  \tgithub.com/eksaccess/eksaccess/internal/store/postgres") {
		t.Fatalf("want %q on go test's stderr and an ok line; stdout:\n%s\nstderr:\n%s", want, out.String(), errOut.String())
	}
}
