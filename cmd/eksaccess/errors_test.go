package main_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/store/sqlite"
)

// startFails runs `eksaccess serve args...` in dir, requires it to exit 1 without serving,
// and returns its log.
func startFails(t *testing.T, dir string, cred *syscall.Credential, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("serve %v: want exit 1, got %v\n%s", args, err, out)
	}
	if strings.Contains(string(out), "eksaccess serving") {
		t.Fatalf("serve %v served:\n%s", args, out)
	}
	return string(out)
}

func wantIn(t *testing.T, log string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
}

// A misspelt identities field is named with the file, its line and its path, in YAML terms.
func TestStartErrorIdentitiesFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ids := "accounts:\n  - id: \"012345678910\"\n    users:\n      - name: alice\n        accessKeys: [{id: AKIAALICEEXAMPLE0001, secret: s}]\n      - name: bob\n        accesKeys: [{id: AKIABOBEXAMPLE000001, secret: s}]\n"
	if err := os.WriteFile(filepath.Join(dir, "identities.yaml"), []byte(ids), 0o600); err != nil {
		t.Fatal(err)
	}
	log := startFails(t, dir, nil, "--auth", "sigv4", "--identities", "identities.yaml")
	wantIn(t, log, `identities.yaml:7: accounts[0].users[1].accesKeys: unknown field (did you mean accessKeys?)`)
	if strings.Contains(log, "JSON") {
		t.Errorf("a YAML file's error speaks of JSON:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(dir, "eksaccess.db")); err == nil {
		t.Error("a start that failed on the identities file created the database")
	}
}

// An invalid aws-auth file stops the start with the file, the line and the field path.
func TestStartErrorAWSAuthFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::012345678910:role/ok\n      username: ok\n    - rolearn: arn:aws:iam::012345678910:user/not-a-role\n"
	if err := os.WriteFile(filepath.Join(dir, "aws-auth.yaml"), []byte(cm), 0o600); err != nil {
		t.Fatal(err)
	}
	log := startFails(t, dir, nil, "--aws-auth", "012345678910/us-west-2/lab=file:aws-auth.yaml")
	wantIn(t, log, `aws-auth.yaml:10: mapRoles[1].rolearn: \"arn:aws:iam::012345678910:user/not-a-role\" is not an IAM role ARN`)
	if _, err := os.Stat(filepath.Join(dir, "eksaccess.db")); err == nil {
		t.Error("a failed start left the database it created")
	}
}

// SQLite open failures name the database's path and the likely cause; a failed start leaves
// no new database file; bogus options are refused.
func TestStartErrorDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := startFails(t, dir, nil, "--database", "sqlite://missing/state.db")
	wantIn(t, log, "cannot open database "+filepath.Join(dir, "missing/state.db"), "directory "+filepath.Join(dir, "missing")+" does not exist")

	if err := os.WriteFile(filepath.Join(dir, "notes.db"), []byte("not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log = startFails(t, dir, nil, "--database", "sqlite://notes.db")
	wantIn(t, log, "cannot open database "+filepath.Join(dir, "notes.db"), "the file is not an SQLite database")

	log = startFails(t, dir, nil, "--database", "sqlite://x.db?_pragma=synchronus(NORMAL)")
	wantIn(t, log, `SQLite has no pragma \"synchronus\"`)
	log = startFails(t, dir, nil, "--database", "sqlite://x.db?_synchronus=NORMAL")
	wantIn(t, log, `unknown option \"_synchronus\" in the database DSN`)

	// Address in use: the listener is bound before the database is created.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command(binary, "serve", "--listen", l.Addr().String(), "--database", "sqlite://x.db")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "address already in use") {
		t.Fatalf("address in use: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Error("failed starts left a new database file behind")
	}

	// Read-only directory and read-only file, as an unprivileged user (root writes anyway).
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
		for d := filepath.Dir(binary); d != "/"; d = filepath.Dir(d) {
			if d == os.TempDir() {
				break
			}
			os.Chmod(d, 0o755)
		}
		for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	log = startFails(t, dir, cred, "--database", "sqlite://ro/state.db")
	wantIn(t, log, "cannot open database "+filepath.Join(ro, "state.db"), "directory "+ro+" is read-only for this user, so the database cannot be created there")

	rw := filepath.Join(dir, "rw")
	if err := os.Mkdir(rw, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(rw, 0o777)
	st, err := sqlite.Open(context.Background(), filepath.Join(rw, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	os.Chmod(filepath.Join(rw, "state.db"), 0o444)
	log = startFails(t, dir, cred, "--database", "sqlite://rw/state.db")
	wantIn(t, log, "cannot open database "+filepath.Join(rw, "state.db"), "the file is read-only for this user")
}
