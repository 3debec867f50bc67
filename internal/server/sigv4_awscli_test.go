package server_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// readmeIdentities extracts the identities example that docs/identities.md ships.
func readmeIdentities(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/identities.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- identities-example")
	if !ok {
		t.Fatal("docs/identities.md has no identities example")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	yaml, _, _ := strings.Cut(rest, "```")
	return yaml
}

// TestSigV4AWSCLI runs the installed aws-cli with a profile from the identities example of docs/identities.md.
func TestSigV4AWSCLI(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(readmeIdentities(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testutil.Start(t, testutil.Options{Mutate: func(c *server.Config) { c.Auth, c.Identities = server.AuthSigV4, path }})
	cli := testutil.NewAWSCLI(t, s.URL())
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	os.WriteFile(creds, []byte("[alice]\naws_access_key_id = AKIAALICEEXAMPLE0001\naws_secret_access_key = alice-secret\n\n[wrong]\naws_access_key_id = AKIAALICEEXAMPLE0001\naws_secret_access_key = nope\n"), 0o600)
	var env []string
	for _, e := range cli.Env {
		if !strings.HasPrefix(e, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(e, "AWS_SECRET_ACCESS_KEY=") && !strings.HasPrefix(e, "AWS_SHARED_CREDENTIALS_FILE=") {
			env = append(env, e)
		}
	}
	cli.Env = append(env, "AWS_SHARED_CREDENTIALS_FILE="+creds, "AWS_PROFILE=alice")

	// Independent aws-cli calls run at once, as parallel subtests (each process spends most of
	// its time starting Python).
	var ar map[string]any
	t.Run("identity", func(t *testing.T) {
		t.Run("get-caller-identity", func(t *testing.T) {
			t.Parallel()
			who := cli.For(t).JSON("sts", "get-caller-identity")
			if who["Arn"] != "arn:aws:iam::012345678910:user/engineering/alice" || who["Account"] != "012345678910" {
				t.Fatalf("get-caller-identity: %v", who)
			}
		})
		t.Run("wrong secret", func(t *testing.T) {
			t.Parallel()
			_, stderr, ok := cli.For(t).Run("eks", "list-clusters", "--profile", "wrong")
			if ok || !strings.Contains(stderr, "InvalidSignatureException") {
				t.Fatalf("wrong secret: ok=%v %s", ok, stderr)
			}
		})
		t.Run("assume-role", func(t *testing.T) {
			t.Parallel()
			ar = cli.For(t).JSON("sts", "assume-role", "--role-arn", "arn:aws:iam::012345678910:role/my-role", "--role-session-name", "alice")
			if u := ar["AssumedRoleUser"].(map[string]any); u["Arn"] != "arn:aws:sts::012345678910:assumed-role/my-role/alice" {
				t.Fatalf("assume-role: %v", ar)
			}
		})
		t.Run("create-cluster", func(t *testing.T) {
			t.Parallel()
			cli := cli.For(t)
			cli.JSON("eks", "create-cluster", "--name", "my-cluster", "--role-arn", "arn:aws:iam::012345678910:role/eks",
				"--resources-vpc-config", "subnetIds=subnet-1", "--access-config", "authenticationMode=API")
			// the principal ARN in the path: botocore's double-encoded canonical URI must verify
			cli.JSON("eks", "create-access-entry", "--cluster-name", "my-cluster", "--principal-arn", "arn:aws:iam::012345678910:role/my-role")
		})
	})
	if t.Failed() {
		return
	}
	// the role's sessions: Describe*/List* allowed, Deny on prod-* wins
	c := ar["Credentials"].(map[string]any)
	session := cli.For(t)
	session.Env = append(slices.Clone(cli.Env), "AWS_ACCESS_KEY_ID="+c["AccessKeyId"].(string), "AWS_SECRET_ACCESS_KEY="+c["SecretAccessKey"].(string), "AWS_SESSION_TOKEN="+c["SessionToken"].(string))
	session.Env = slices.DeleteFunc(session.Env, func(e string) bool { return e == "AWS_PROFILE=alice" })
	t.Run("use", func(t *testing.T) {
		t.Run("describe-access-entry", func(t *testing.T) {
			t.Parallel()
			cli.For(t).JSON("eks", "describe-access-entry", "--cluster-name", "my-cluster", "--principal-arn", "arn:aws:iam::012345678910:role/my-role")
		})
		t.Run("role session describe", func(t *testing.T) {
			t.Parallel()
			session.For(t).JSON("eks", "describe-cluster", "--name", "my-cluster")
		})
		t.Run("role session delete denied", func(t *testing.T) {
			t.Parallel()
			_, stderr, ok := session.For(t).Run("eks", "delete-cluster", "--name", "my-cluster")
			if ok || !strings.Contains(stderr, "AccessDeniedException") || !strings.Contains(stderr, "User: arn:aws:sts::012345678910:assumed-role/my-role/alice is not authorized to perform: eks:DeleteCluster on resource: arn:aws:eks:us-west-2:012345678910:cluster/my-cluster") {
				t.Fatalf("role session delete: ok=%v %s", ok, stderr)
			}
		})
	})
}
