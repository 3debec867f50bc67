package kubeauth

import (
	"strings"
	"testing"
)

func TestParseAWSAuth(t *testing.T) {
	t.Parallel()
	m, err := ParseAWSAuth(map[string]string{
		// Keys are matched case-insensitively, as aws-iam-authenticator reads them.
		"mapRoles":    "- roleARN: arn:aws:iam::111122223333:role/a/b/Admin\n  username: admin\n  groups: [system:masters]\n",
		"mapUsers":    "- userarn: arn:aws:iam::111122223333:user/ops/Bob\n",
		"mapAccounts": "- \"444455556666\"\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if mp, ok := m.lookup("arn:aws:iam::111122223333:role/admin", "111122223333"); !ok || mp.Username != "admin" || mp.Groups[0] != "system:masters" {
		t.Errorf("role with a path, matched case-insensitively without it: %v %v", mp, ok)
	}
	if mp, ok := m.lookup("arn:aws:iam::111122223333:user/Bob", "111122223333"); !ok || mp.Username != "arn:aws:iam::111122223333:user/Bob" {
		t.Errorf("a mapping without a username gets the principal's ARN: %v %v", mp, ok)
	}
	if mp, ok := m.lookup("arn:aws:iam::444455556666:role/x", "444455556666"); !ok || mp.Username != "arn:aws:iam::444455556666:role/x" {
		t.Errorf("mapAccounts: %v %v", mp, ok)
	}
	if _, ok := m.lookup("arn:aws:iam::111122223333:role/other", "111122223333"); ok {
		t.Error("an unmapped role of an unmapped account matched")
	}
	for _, empty := range []string{"", "  ", `""`, "``"} {
		if m, err := ParseAWSAuth(map[string]string{"mapRoles": empty, "mapUsers": empty, "mapAccounts": empty}); err != nil || m.Len() != 0 {
			t.Errorf("%q: %v %v", empty, m, err)
		}
	}
	for name, data := range map[string]map[string]string{
		"bad yaml":           {"mapRoles": "- rolearn: [unclosed"},
		"not a list":         {"mapUsers": "userarn: x"},
		"missing rolearn":    {"mapRoles": "- username: x"},
		"user arn in roles":  {"mapRoles": "- rolearn: arn:aws:iam::111122223333:user/u"},
		"bad account":        {"mapAccounts": "- 1234"},
		"one bad among good": {"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/ok\n- rolearn: nope"},
	} {
		if _, err := ParseAWSAuth(data); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestParseAWSAuthManifestAndSource(t *testing.T) {
	t.Parallel()
	if m, err := ParseAWSAuthManifest([]byte(`{"kind":"ConfigMap","data":{"mapAccounts":"- \"111122223333\""}}`)); err != nil || m.Len() != 1 {
		t.Errorf("JSON manifest: %v %v", m, err)
	}
	if m, err := ParseAWSAuthManifest([]byte("mapAccounts: |\n  - \"111122223333\"\n")); err != nil || m.Len() != 1 {
		t.Errorf("bare data: %v %v", m, err)
	}
	if _, err := ParseAWSAuthManifest([]byte("kind: Secret\ndata: {}\n")); err == nil || !strings.Contains(err.Error(), "ConfigMap") {
		t.Errorf("a Secret: %v", err)
	}
	src, err := ParseAWSAuthSource("111122223333/eu-west-1/prod=kubeconfig:/etc/k.conf")
	if err != nil || src.Cluster.Name != "prod" || src.Cluster.Region != "eu-west-1" || src.Kind != "kubeconfig" || src.Path != "/etc/k.conf" {
		t.Errorf("source: %+v %v", src, err)
	}
	for _, bad := range []string{"prod=file:x", "111122223333/r/prod", "111122223333/r/prod=file:", "1/r/p=file:x", "111122223333/r/p=http:x"} {
		if _, err := ParseAWSAuthSource(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Errors of an aws-auth file give the file, the line in it and the field path, also for the
// YAML documents embedded in the ConfigMap's data.
func TestAWSAuthFileErrorPositions(t *testing.T) {
	t.Parallel()
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n" +
		"  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/ok\n      username: ok\n    - rolearn: nope\n" +
		"  mapAccounts: |\n    - \"111122223333\"\n    - 12\n" +
		"  mapUsers: \"- userarn: bad\\n\"\n"
	_, err := ParseAWSAuthFile("aws-auth.yaml", []byte(manifest))
	for _, want := range []string{
		`aws-auth.yaml:8: mapRoles[1].rolearn: "nope" is not an IAM role ARN`,
		`aws-auth.yaml:11: mapAccounts[1]: "12" is not a 12-digit account id`,
		`aws-auth.yaml:12: mapUsers[0].userarn: "bad" is not an IAM user ARN`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	_, err = ParseAWSAuthFile("aws-auth.yaml", []byte("kind: ConfigMap\ndata:\n  mapRoles: |\n    - rolearn: [unclosed\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "aws-auth.yaml:4: mapRoles: not valid YAML") {
		t.Errorf("bad embedded YAML: %v", err)
	}
	_, err = ParseAWSAuth(map[string]string{"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/ok\n- rolearn: x\n"})
	if err == nil || err.Error() != `line 2: mapRoles[1].rolearn: "x" is not an IAM role ARN` {
		t.Errorf("watched ConfigMap: %v", err)
	}
}
