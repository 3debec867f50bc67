package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/testutil"
)

// readmeBlocks returns the fenced blocks of README.md that follow a `<!-- readme-test: KIND`
// marker, by kind, in order.
func readmeBlocks(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range regexp.MustCompile("(?s)<!-- readme-test: ([a-z-]+)[^>]*-->\n```[a-z]*\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = append(out[m[1]], m[2])
	}
	return out
}

// The README's front door works as written on a fresh clone: the binary its Install section
// builds, its `eksaccess serve` in an empty directory (the state in ./eksaccess.db), then
// every block marked run, in order, through bash with the installed aws-cli; the
// describe-access-entry output matches the README's (up to the entry's UUID and timestamps)
// and create-access-entry's.
func TestReadmeRunsTopToBottom(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "## Install") || !strings.Contains(string(readme), "go build -o eksaccess ./cmd/eksaccess") {
		t.Fatal("README: no Install section with `go build -o eksaccess ./cmd/eksaccess` (TestMain builds the binary that way)")
	}
	blocks := readmeBlocks(t)
	if len(blocks["serve"]) != 1 || len(blocks["run"]) < 2 || len(blocks["describe-output"]) != 1 {
		t.Fatalf("README's marked blocks: serve %d, run %d, describe-output %d", len(blocks["serve"]), len(blocks["run"]), len(blocks["describe-output"]))
	}
	if _, err := exec.LookPath("aws"); err != nil {
		testutil.RequireCI(t, "aws-cli", err)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	path := filepath.Dir(binary) + string(os.PathListSeparator) + os.Getenv("PATH")
	env := append(os.Environ(), "PATH="+path, "EKSACCESS_LISTEN="+addr, "AWS_PAGER=",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "aws-credentials"))

	// The serve block, as written (EKSACCESS_LISTEN moves it off the fixed port 8600).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	serveCmd := exec.CommandContext(ctx, "bash", "-c", "exec "+strings.TrimSpace(blocks["serve"][0]))
	serveCmd.Dir, serveCmd.Env = dir, env
	var serveLog bytes.Buffer
	serveCmd.Stderr = &serveLog
	if err := serveCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serveCmd.Process.Kill(); serveCmd.Wait() })
	url := "http://" + addr
	waitHealthy(t, url, &serveLog)

	// The run blocks in one shell, as a reader pastes them one after the other.
	const sep = "\n=== next README block ===\n"
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, b := range blocks["run"] {
		if i > 0 {
			script.WriteString("echo '" + strings.Trim(sep, "\n") + "'\n")
		}
		script.WriteString(strings.ReplaceAll(b, "http://127.0.0.1:8600", url))
	}
	run := exec.CommandContext(ctx, "bash", "-c", script.String())
	run.Dir, run.Env = dir, env
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("README blocks: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	outputs := strings.Split(stdout.String(), sep)
	if len(outputs) != len(blocks["run"]) {
		t.Fatalf("want the output of %d blocks, got %d:\n%s", len(blocks["run"]), len(outputs), stdout.String())
	}

	// The first block prints create-cluster's, create-access-entry's and
	// describe-access-entry's output; the last is the README's.
	var docs []map[string]any
	dec := json.NewDecoder(strings.NewReader(outputs[0]))
	for {
		var v map[string]any
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("first block's output is not JSON: %v\n%s", err, outputs[0])
		}
		docs = append(docs, v)
	}
	if len(docs) != 3 {
		t.Fatalf("first block: want 3 JSON outputs (create-cluster, create-access-entry, describe-access-entry), got %d:\n%s", len(docs), outputs[0])
	}
	if ac := docs[0]["cluster"].(map[string]any)["accessConfig"]; !reflect.DeepEqual(ac, map[string]any{"authenticationMode": "API"}) {
		t.Errorf("create-cluster accessConfig %v", ac)
	}
	created, got := docs[1], docs[2]
	if !reflect.DeepEqual(created, got) {
		t.Errorf("describe-access-entry differs from create-access-entry:\n%v\n%v", created, got)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(blocks["describe-output"][0]), &want); err != nil {
		t.Fatalf("README's describe output: %v", err)
	}
	ge, _ := got["accessEntry"].(map[string]any)
	we, _ := want["accessEntry"].(map[string]any)
	if len(got) != 1 || ge == nil || we == nil || !slices.Equal(slices.Sorted(maps.Keys(ge)), slices.Sorted(maps.Keys(we))) {
		t.Fatalf("describe-access-entry:\n got %v\nwant %v", got, want)
	}
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	for k, w := range we {
		g := ge[k]
		switch k {
		case "accessEntryArn":
			if gs, _ := g.(string); !uuid.MatchString(gs) || uuid.ReplaceAllString(gs, "UUID") != uuid.ReplaceAllString(w.(string), "UUID") {
				t.Errorf("%s = %v, want the shape of %v", k, g, w)
			}
		case "createdAt", "modifiedAt":
			if _, ok := g.(float64); !ok {
				t.Errorf("%s = %#v, want epoch seconds", k, g)
			}
		default:
			if gb, _ := json.Marshal(g); string(gb) != mustJSON(t, w) {
				t.Errorf("%s = %s, want %s", k, gb, mustJSON(t, w))
			}
		}
	}
	// The access-policies block ends with a disassociation, which prints nothing; its
	// list-access-entries before it names the role.
	if !strings.Contains(outputs[1], `"AmazonEKSViewPolicy"`) || !strings.Contains(outputs[1], `"arn:aws:iam::012345678910:role/my-role"`) {
		t.Errorf("access policies block output:\n%s", outputs[1])
	}
	// Beyond the README: a missing entry is aws-cli's ResourceNotFoundException, and the
	// unfiltered listing names the one entry.
	cli := testutil.NewAWSCLI(t, url)
	_, stderr2, ok := cli.Run("eks", "describe-access-entry", "--cluster-name", "my-cluster", "--principal-arn", "arn:aws:iam::012345678910:role/other")
	if ok || !strings.Contains(stderr2, "(ResourceNotFoundException)") || !strings.Contains(stderr2, "The specified principalArn could not be found.") {
		t.Errorf("missing entry: ok=%v %s", ok, stderr2)
	}
	if list := cli.JSON("eks", "list-access-entries", "--cluster-name", "my-cluster"); !reflect.DeepEqual(list["accessEntries"], []any{"arn:aws:iam::012345678910:role/my-role"}) {
		t.Errorf("list-access-entries: %v", list)
	}

	// Ctrl-C: a graceful stop that leaves only the database.
	if err := serveCmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := serveCmd.Wait(); err != nil {
		t.Fatalf("serve after SIGINT: %v\n%s", err, serveLog.String())
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "eksaccess.db") {
			names = append(names, e.Name())
		}
	}
	if !slices.Equal(names, []string{"eksaccess.db"}) {
		t.Errorf("after Ctrl-C the directory holds %v, want only eksaccess.db", names)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func waitHealthy(t *testing.T, url string, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
