package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/eksaccess/eksaccess/internal/testutil"
)

// TestMain lets the test binary serve as the ceiling process, as eksaccess-bench does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "ceiling" {
		serveCeiling()
		return
	}
	os.Exit(m.Run())
}

// TestSmoke runs every scenario briefly against a freshly built eksaccess: every measured
// operation must succeed (the harness exits non-zero on any error or empty measurement) and
// the report must carry every operation with its ratio to the ceiling, and the GET and
// webhook operations also measured by wrk (every wrk answer a 2xx: the server verified each
// replayed signature).
func TestSmoke(t *testing.T) {
	_, err := exec.LookPath("wrk")
	testutil.RequireCI(t, "wrk", err)
	bin := filepath.Join(t.TempDir(), "eksaccess")
	if out, err := exec.Command("go", "build", "-o", bin, "../eksaccess").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	code := benchMain([]string{"-eksaccess", bin, "-dir", t.TempDir(), "-duration", "150ms", "-wrk-duration", "1s", "-concurrency", "4", "-quiet",
		"-large-entries", "60", "-many-clusters", "3", "-many-entries", "6", "-create-roles", "20", "-create-clusters", "3", "-tokens", "300"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	for _, want := range []string{"ceiling (mean)", "wrk ceiling (mean)", "| small | DescribeAccessEntry |", "| small | DescribeCluster |", "| many | DescribeCluster |", "| small | ListAccessEntries", "| small | TokenReview (cached token) |",
		"| small | TokenReview (uncached", "| small | SubjectAccessReview |", "| small | SubjectAccessReview at half", "| small | AssociateAccessPolicy |",
		"| small | CreateAccessEntry |", "| large | DescribeAccessEntry |", "| many | SubjectAccessReview |", "heap per entry", "start-up with 60 entries"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// A row measured by wrk ends in six filled columns: rate, ceiling, ratio, p50, p99 and the
	// server's CPU per request (a number, or ? where /proc is not there).
	wrkRow := regexp.MustCompile(`(?m)^\| (small|large|many) \| (DescribeAccessEntry|DescribeCluster|ListAccessEntries \(pages of 100\)|TokenReview \(cached token\)|SubjectAccessReview) \|.*\| [0-9]+ \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| ([0-9]+|\?) \|$`)
	if n := len(wrkRow.FindAllString(out, -1)); n != 10 {
		t.Errorf("%d rows with wrk figures, want 10 (small 5, large 2, many 3):\n%s", n, out)
	}
}
