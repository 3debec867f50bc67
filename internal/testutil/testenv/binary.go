package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// BuildEksaccess writes to dst the eksaccess binary that `go build <flags> ./cmd/eksaccess`
// makes from this checkout. Linking the binary costs seconds of CPU, and several packages
// (and several tests) need it, so it is built once into a cache file per checkout and flags
// (in the user's cache directory): go build relinks that file only when it is stale (go's own
// build IDs cover the sources, the dependencies, the flags and the VCS stamp), and a file lock
// keeps concurrent test processes from building it at once. dst is a private copy, so a
// later rebuild never changes a binary a test is running.
//
// The build stamps VCS information (-buildvcs=true, ahead of flags) as `go build` does by
// default in a git clone, even where GOFLAGS turns that off (some machines' go env does), so
// every package shares one link of the documented build and its version output.
func BuildEksaccess(dst string, flags ...string) error {
	flags = append([]string{"-buildvcs=true"}, flags...)
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	key := sha256.Sum256([]byte(root + "\x00" + strings.Join(flags, "\x00")))
	dir := filepath.Join(base, "eksaccess-test-bin", hex.EncodeToString(key[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	cached := filepath.Join(dir, "eksaccess")
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", cached, "./cmd/eksaccess")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", strings.Join(flags, " "), err, out)
	}
	return copyExecutable(cached, dst)
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// moduleRoot is the directory of this module's go.mod, above the working directory (a test
// runs in its package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/eksaccess/eksaccess\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of github.com/eksaccess/eksaccess above the working directory")
		}
		dir = parent
	}
}
