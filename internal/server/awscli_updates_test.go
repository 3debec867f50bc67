package server_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// updateKeys are the members of every Update EKS returns (the API reference's examples).
var updateKeys = []string{"createdAt", "errors", "id", "params", "status", "type"}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// wantUpdateShape checks an Update as aws-cli prints it: exactly the reference's members.
func wantUpdateShape(t *testing.T, u any, typ, status string, params []any) string {
	t.Helper()
	m, ok := u.(map[string]any)
	if !ok {
		t.Fatalf("update is %T: %v", u, u)
	}
	if got := sortedKeys(m); !slices.Equal(got, updateKeys) {
		t.Fatalf("update members = %v, want %v", got, updateKeys)
	}
	id, _ := m["id"].(string)
	if !uuidRe.MatchString(id) || m["status"] != status || m["type"] != typ {
		t.Fatalf("update = %v", m)
	}
	if errs, ok := m["errors"].([]any); !ok || len(errs) != 0 {
		t.Fatalf("errors = %#v, want []", m["errors"])
	}
	if got, _ := json.Marshal(m["params"]); string(got) != string(must(json.Marshal(params))) {
		t.Fatalf("params = %s, want %s", got, must(json.Marshal(params)))
	}
	// aws-cli v1 prints the epoch-seconds timestamp as it came (newer CLIs pretty-print dates).
	var at time.Time
	switch v := m["createdAt"].(type) {
	case float64:
		at = time.UnixMilli(int64(v * 1000))
	case string:
		at, _ = time.Parse("2006-01-02T15:04:05.999999-07:00", v)
	}
	if time.Since(at) > time.Hour || time.Until(at) > time.Minute {
		t.Fatalf("createdAt = %v", m["createdAt"])
	}
	return id
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestAWSCLIDisassociateIdentityProviderConfigExample reproduces the API reference's
// DisassociateIdentityProviderConfig example (cluster oidc2, config my-config) with the
// installed aws-cli, and its sample request on the wire.
func TestAWSCLIDisassociateIdentityProviderConfigExample(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 300*time.Millisecond)
	cli := testutil.NewAWSCLI(t, s.URL())
	c, ctx := s.EKS(), testutil.Ctx(t)

	updCreateCluster(t, ctx, c, "oidc2", "", "")
	assoc := cli.JSON("eks", "associate-identity-provider-config", "--cluster-name", "oidc2",
		"--oidc", "identityProviderConfigName=my-config,issuerUrl=https://issuer.example.com,clientId=kubernetes", "--tags", "env=dev")
	if got := sortedKeys(assoc); !slices.Equal(got, []string{"tags", "update"}) {
		t.Fatalf("associate output members = %v", got)
	}
	if tags, _ := assoc["tags"].(map[string]any); len(tags) != 1 || tags["env"] != "dev" {
		t.Fatalf("associate tags = %v", assoc["tags"])
	}
	assocID := wantUpdateShape(t, assoc["update"], "AssociateIdentityProviderConfig", "InProgress",
		[]any{map[string]any{"type": "IdentityProviderConfig", "value": `[{"type":"oidc","name":"my-config"}]`}})
	waitSuccessful(t, ctx, c, "oidc2", assocID)
	desc := cli.JSON("eks", "describe-update", "--name", "oidc2", "--update-id", assocID)
	wantUpdateShape(t, desc["update"], "AssociateIdentityProviderConfig", "Successful",
		[]any{map[string]any{"type": "IdentityProviderConfig", "value": `[{"type":"oidc","name":"my-config"}]`}})

	cfg := cli.JSON("eks", "describe-identity-provider-config", "--cluster-name", "oidc2", "--identity-provider-config", "type=oidc,name=my-config")
	oidc, _ := cfg["identityProviderConfig"].(map[string]any)["oidc"].(map[string]any)
	if got := sortedKeys(oidc); !slices.Equal(got, []string{"clientId", "clusterName", "identityProviderConfigArn", "identityProviderConfigName", "issuerUrl", "requiredClaims", "status", "tags"}) ||
		oidc["status"] != "ACTIVE" || oidc["issuerUrl"] != "https://issuer.example.com" || oidc["clusterName"] != "oidc2" {
		t.Fatalf("describe-identity-provider-config = %v", cfg)
	}
	list := cli.JSON("eks", "list-identity-provider-configs", "--cluster-name", "oidc2")
	if got := must(json.Marshal(list)); string(got) != `{"identityProviderConfigs":[{"name":"my-config","type":"oidc"}]}` {
		t.Fatalf("list-identity-provider-configs = %s", got)
	}

	// The example: aws eks disassociate-identity-provider-config ... type=oidc,name=my-config
	out := cli.JSON("eks", "disassociate-identity-provider-config", "--cluster-name", "oidc2", "--identity-provider-config", "type=oidc,name=my-config")
	if got := sortedKeys(out); !slices.Equal(got, []string{"update"}) {
		t.Fatalf("disassociate output members = %v", got)
	}
	disID := wantUpdateShape(t, out["update"], "DisassociateIdentityProviderConfig", "InProgress",
		[]any{map[string]any{"type": "IdentityProviderConfig", "value": "[]"}})
	waitSuccessful(t, ctx, c, "oidc2", disID)
	if _, stderr, ok := cli.Run("eks", "describe-identity-provider-config", "--cluster-name", "oidc2", "--identity-provider-config", "type=oidc,name=my-config"); ok ||
		!bytes.Contains([]byte(stderr), []byte("ResourceNotFoundException")) || !bytes.Contains([]byte(stderr), []byte("No config found for cluster: oidc2, config type: oidc, config name: my-config")) {
		t.Fatalf("describe after disassociation: ok=%v %s", ok, stderr)
	}
	ups := cli.JSON("eks", "list-updates", "--name", "oidc2")
	if got := must(json.Marshal(ups)); string(got) != string(must(json.Marshal(map[string]any{"updateIds": []string{assocID, disID}}))) {
		t.Fatalf("list-updates = %s", got)
	}

	// The sample request itself, on the wire: the body members of the sample response, with
	// createdAt an epoch-seconds number.
	updCreateCluster(t, ctx, c, "wire", "", "")
	associateIdP(t, ctx, c, "wire", "my-config", "https://issuer.example.com")
	resp, body := s.Raw(t, "POST", "/clusters/wire/identity-provider-configs/disassociate",
		[]byte(`{ "identityProviderConfig": { "type": "oidc", "name": "my-config" }, "clientRequestToken": "3f0c62b2-5bb2-4b2f-9d7d-ad1e6ee6a0f1" }`))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !uuidRe.MatchString(resp.Header.Get("x-amzn-RequestId")) {
		t.Fatalf("sample request: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var wire map[string]map[string]any
	if err := dec.Decode(&wire); err != nil || len(wire) != 1 || wire["update"] == nil {
		t.Fatalf("sample response %s: %v", body, err)
	}
	u := wire["update"]
	if got := sortedKeys(u); !slices.Equal(got, updateKeys) {
		t.Fatalf("sample response members = %v", got)
	}
	if n, ok := u["createdAt"].(json.Number); !ok || must(n.Float64()) < 1.6e9 {
		t.Fatalf("createdAt = %#v, want epoch seconds", u["createdAt"])
	}
	if u["status"] != "InProgress" || u["type"] != "DisassociateIdentityProviderConfig" ||
		string(must(json.Marshal(u["params"]))) != `[{"type":"IdentityProviderConfig","value":"[]"}]` || string(must(json.Marshal(u["errors"]))) != `[]` {
		t.Fatalf("sample response = %s", body)
	}
	// The same token again (an SDK retry) gets the same answer.
	_, again := s.Raw(t, "POST", "/clusters/wire/identity-provider-configs/disassociate",
		[]byte(`{"identityProviderConfig":{"type":"oidc","name":"my-config"},"clientRequestToken":"3f0c62b2-5bb2-4b2f-9d7d-ad1e6ee6a0f1"}`))
	if !bytes.Equal(again, body) {
		t.Fatalf("retry with the same token: %s, first %s", again, body)
	}
}

// TestAWSCLIClusterUpdatesTagsAndWaiters drives update-cluster-config, describe-update,
// list-updates, the tagging commands and the cluster waiters with the installed aws-cli.
func TestAWSCLIClusterUpdatesTagsAndWaiters(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 300*time.Millisecond)
	cli := testutil.NewAWSCLI(t, s.URL())
	c, ctx := s.EKS(), testutil.Ctx(t)

	cli.JSON("eks", "create-cluster", "--name", "my-cluster", "--role-arn", "arn:aws:iam::012345678910:role/eks", "--resources-vpc-config", "subnetIds=subnet-1,subnet-2")
	if _, stderr, ok := cli.Run("eks", "wait", "cluster-active", "--name", "my-cluster"); !ok {
		t.Fatalf("wait cluster-active: %s", stderr)
	}
	out := cli.JSON("eks", "update-cluster-config", "--name", "my-cluster", "--access-config", "authenticationMode=API_AND_CONFIG_MAP")
	id := wantUpdateShape(t, out["update"], "AccessConfigUpdate", "InProgress",
		[]any{map[string]any{"type": "AuthenticationMode", "value": `"API_AND_CONFIG_MAP"`}})
	waitSuccessful(t, ctx, c, "my-cluster", id)
	if _, stderr, ok := cli.Run("eks", "wait", "cluster-active", "--name", "my-cluster"); !ok {
		t.Fatalf("wait cluster-active after the update: %s", stderr)
	}
	// What follows the update is independent: the aws-cli calls run at once (each process
	// spends most of its time starting Python).
	t.Run("after the update", func(t *testing.T) {
		t.Run("describe-update", func(t *testing.T) {
			t.Parallel()
			desc := cli.For(t).JSON("eks", "describe-update", "--name", "my-cluster", "--update-id", id)
			wantUpdateShape(t, desc["update"], "AccessConfigUpdate", "Successful",
				[]any{map[string]any{"type": "AuthenticationMode", "value": `"API_AND_CONFIG_MAP"`}})
		})
		t.Run("list-updates", func(t *testing.T) {
			t.Parallel()
			if ids, _ := cli.For(t).JSON("eks", "list-updates", "--name", "my-cluster")["updateIds"].([]any); len(ids) != 1 || ids[0] != id {
				t.Fatalf("list-updates = %v", ids)
			}
			if cl := describeCluster(t, ctx, c, "my-cluster"); cl.AccessConfig.AuthenticationMode != "API_AND_CONFIG_MAP" || cl.Status != "ACTIVE" {
				t.Fatalf("cluster after the update: %s %s", cl.Status, cl.AccessConfig.AuthenticationMode)
			}
		})
		t.Run("no way back", func(t *testing.T) {
			t.Parallel()
			_, stderr, ok := cli.For(t).Run("eks", "update-cluster-config", "--name", "my-cluster", "--access-config", "authenticationMode=CONFIG_MAP")
			if ok || !bytes.Contains([]byte(stderr), []byte("InvalidParameterException")) || !bytes.Contains([]byte(stderr), []byte("Unsupported authentication mode update from API_AND_CONFIG_MAP to CONFIG_MAP")) {
				t.Fatalf("going back: ok=%v %s", ok, stderr)
			}
		})
		t.Run("tags", func(t *testing.T) {
			t.Parallel()
			cli := cli.For(t)
			// Tags on an access entry ARN (botocore percent-encodes it into the path).
			entry, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/team/dev")})
			if err != nil {
				t.Fatal(err)
			}
			arn := aws.ToString(entry.AccessEntry.AccessEntryArn)
			if _, stderr, ok := cli.Run("eks", "tag-resource", "--resource-arn", arn, "--tags", "team=a,env=dev"); !ok {
				t.Fatalf("tag-resource: %s", stderr)
			}
			if _, stderr, ok := cli.Run("eks", "untag-resource", "--resource-arn", arn, "--tag-keys", "env", "other"); !ok {
				t.Fatalf("untag-resource: %s", stderr)
			}
			if got := must(json.Marshal(cli.JSON("eks", "list-tags-for-resource", "--resource-arn", arn))); string(got) != `{"tags":{"team":"a"}}` {
				t.Fatalf("list-tags-for-resource = %s", got)
			}
		})
	})

	// Deleting: cluster-deleted succeeds on ResourceNotFoundException.
	cli.JSON("eks", "delete-cluster", "--name", "my-cluster")
	if _, stderr, ok := cli.Run("eks", "wait", "cluster-deleted", "--name", "my-cluster"); !ok {
		t.Fatalf("wait cluster-deleted: %s", stderr)
	}
	if _, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("my-cluster")}); err == nil {
		t.Fatal("cluster still there")
	}
}
