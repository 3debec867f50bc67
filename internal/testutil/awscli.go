package testutil

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// AWSCLI runs the installed aws command against endpoint as the default account. Under CI=true
// a missing aws-cli fails the test; locally it skips.
type AWSCLI struct {
	t        testing.TB
	Endpoint string
	Env      []string
}

// NewAWSCLI prepares aws-cli runs against endpoint with isolated config files.
func NewAWSCLI(t testing.TB, endpoint string) *AWSCLI {
	t.Helper()
	_, err := exec.LookPath("aws")
	RequireCI(t, "aws-cli", err)
	dir := t.TempDir()
	env := append(os.Environ(),
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_ACCESS_KEY_ID="+DefaultAccount,
		"AWS_SECRET_ACCESS_KEY=x",
		"AWS_DEFAULT_REGION="+DefaultRegion,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
	)
	return &AWSCLI{t: t, Endpoint: endpoint, Env: env}
}

// For is the same CLI reporting to t (a parallel subtest).
func (a *AWSCLI) For(t testing.TB) *AWSCLI { return &AWSCLI{t: t, Endpoint: a.Endpoint, Env: a.Env} }

// Run runs `aws args... --output json` and returns stdout, stderr and whether it exited 0.
func (a *AWSCLI) Run(args ...string) (stdout, stderr string, ok bool) {
	a.t.Helper()
	stdout, stderr, code, err := RunAWS(a.Env, append(args, "--output", "json")...)
	if err != nil {
		return stdout, stderr + err.Error(), false
	}
	return stdout, stderr, code == 0
}

// JSON runs the command, requires success, and decodes its JSON output.
func (a *AWSCLI) JSON(args ...string) map[string]any {
	a.t.Helper()
	out, stderr, ok := a.Run(args...)
	if !ok {
		a.t.Fatalf("aws %v failed: %s", args, stderr)
	}
	if out == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		a.t.Fatalf("aws %v: output is not JSON: %v\n%s", args, err, out)
	}
	return m
}
