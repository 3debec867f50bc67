package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/eksaccess/eksaccess/internal/testutil/testenv"
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
// the report must carry every operation with its ratio to the ceiling, and the small
// scenario's GET and webhook operations also measured by wrk (every wrk answer a 2xx: the
// server verified each replayed signature). One scenario through wrk proves the wrk path
// (wrk is stopped after 300ms); the others run with the Go client only.
func TestSmoke(t *testing.T) {
	_, err := exec.LookPath("wrk")
	testenv.RequireCI(t, "wrk", err)
	bin := filepath.Join(t.TempDir(), "eksaccess")
	if err := testenv.BuildEksaccess(bin); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := benchMain([]string{"-eksaccess", bin, "-dir", t.TempDir(), "-duration", "150ms", "-wrk-duration", "300ms", "-wrk-scenarios", "small", "-concurrency", "4", "-quiet",
		"-large-entries", "60", "-many-clusters", "3", "-many-entries", "6", "-create-roles", "20", "-create-clusters", "3", "-tokens", "300", "-new-clusters", "200"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	for _, want := range []string{"ceiling (mean)", "wrk ceiling (mean)", "| small | DescribeAccessEntry |", "| small | DescribeCluster |", "| many | DescribeCluster |", "| small | ListAccessEntries", "| small | TokenReview (cached token) |",
		"| small | TokenReview (uncached", "| small | SubjectAccessReview |", "| small | SubjectAccessReview at half", "| small | AssociateAccessPolicy |",
		"| small | CreateAccessEntry |", "| small | CreateCluster |", "| large | DescribeAccessEntry |", "| many | SubjectAccessReview |", "heap per entry", "start-up with 60 entries"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// A row measured by wrk ends in six filled columns: rate, ceiling, ratio, p50, p99 and the
	// server's CPU per request (a number, or ? where /proc is not there).
	wrkRow := regexp.MustCompile(`(?m)^\| (small|large|many) \| (DescribeAccessEntry|DescribeCluster|ListAccessEntries \(pages of 100\)|TokenReview \(cached token\)|SubjectAccessReview) \|.*\| [0-9]+ \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| ([0-9]+|\?) \|$`)
	rows := wrkRow.FindAllString(out, -1)
	if len(rows) != 5 {
		t.Errorf("%d rows with wrk figures, want the small scenario's 5:\n%s", len(rows), out)
	}
	for _, r := range rows {
		if !strings.HasPrefix(r, "| small |") {
			t.Errorf("wrk figures outside the small scenario: %s", r)
		}
	}
	// wrk's ceiling is measured on either side of the small scenario only, and the other
	// scenarios' rows have empty wrk columns.
	if n := strings.Count(out, "wrk ceiling run "); n != 2 {
		t.Errorf("%d wrk ceiling runs, want 2 (before and after the small scenario):\n%s", n, out)
	}
	noWrk := regexp.MustCompile(`(?m)^\| (large|many) \|.*\| ([0-9]+|\?) \| \| \| \| \| \| \|$`)
	if n := len(noWrk.FindAllString(out, -1)); n != 5 {
		t.Errorf("%d large or many rows with empty wrk columns, want 5 (large 2, many 3):\n%s", n, out)
	}
}
