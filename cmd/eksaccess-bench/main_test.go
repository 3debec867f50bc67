package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
// the report must carry every operation with its ratio to the ceiling.
func TestSmoke(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "eksaccess")
	if out, err := exec.Command("go", "build", "-o", bin, "../eksaccess").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	code := benchMain([]string{"-eksaccess", bin, "-dir", t.TempDir(), "-duration", "150ms", "-concurrency", "4", "-quiet",
		"-large-entries", "60", "-many-clusters", "3", "-many-entries", "6", "-create-roles", "20", "-create-clusters", "3", "-tokens", "300"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	for _, want := range []string{"ceiling (mean)", "| small | DescribeAccessEntry |", "| small | ListAccessEntries", "| small | TokenReview (cached token) |",
		"| small | TokenReview (uncached", "| small | SubjectAccessReview |", "| small | SubjectAccessReview at half", "| small | AssociateAccessPolicy |",
		"| small | CreateAccessEntry |", "| large | DescribeAccessEntry |", "| many | SubjectAccessReview |", "heap per entry", "start-up with 60 entries"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
