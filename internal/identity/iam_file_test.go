package identity

import (
	"os"
	"strings"
	"testing"
)

func TestParseFileExample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/identities.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	u := d.UserByARN("arn:aws:iam::012345678910:user/engineering/alice")
	if u == nil || !strings.HasPrefix(u.ID, "AIDA") || len(u.ID) != 21 {
		t.Fatalf("alice: %+v", u)
	}
	r := d.RoleByARN("arn:aws:iam::012345678910:role/team/my-role")
	if r == nil || !strings.HasPrefix(r.ID, "AROA") || len(r.ID) != 21 || r.MaxSession != 3600 {
		t.Fatalf("role: %+v", r)
	}
	d2, _ := ParseFile(b)
	if d2.UserByARN(u.ARN).ID != u.ID {
		t.Fatal("unique ids are not stable across loads")
	}
	if UniqueID("AROA", "012345678910", "role", "/other/", "my-role", 0) == r.ID {
		t.Fatal("a role re-created under another path must get another id")
	}
	if Evaluate(u.Policies, "eks:CreateCluster", "arn:aws:eks:us-west-2:012345678910:cluster/x") != Allowed {
		t.Fatal("alice's policy not loaded")
	}
}

func TestParseFileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{`accounts: []`, "accounts: at least one account"},
		{`accounts: [{id: 12345}]`, `accounts[0].id: "12345"`},
		{`accounts: [{id: "012345678910"}, {id: "012345678910"}]`, "accounts[1].id: account 012345678910 is declared twice"},
		{`accounts: [{id: "012345678910", users: [{name: "a b"}]}]`, "accounts[0].users[0].name"},
		{`accounts: [{id: "012345678910", users: [{name: a, path: nope}]}]`, "accounts[0].users[0].path"},
		{`accounts: [{id: "012345678910", users: [{name: a, accessKeys: [{id: short, secret: s}]}]}]`, "accounts[0].users[0].accessKeys[0].id"},
		{`accounts: [{id: "012345678910", users: [{name: a, accessKeys: [{id: AKIAAAAAAAAAAAAAAAAA}]}]}]`, "accounts[0].users[0].accessKeys[0].secret: required"},
		{`accounts: [{id: "012345678910", users: [{name: a, accessKeys: [{id: AKIAAAAAAAAAAAAAAAAA, secret: x}]}, {name: b, accessKeys: [{id: AKIAAAAAAAAAAAAAAAAA, secret: y}]}]}]`, "accounts[0].users[1].accessKeys[0].id: access key AKIAAAAAAAAAAAAAAAAA is declared twice"},
		{`accounts: [{id: "012345678910", users: [{name: a}, {name: A, path: /x/}]}]`, "accounts[0].users[1].name"},
		{`accounts: [{id: "012345678910", users: [{name: a, policies: [{Statement: [{Effect: Maybe, Action: "*", Resource: "*"}]}]}]}]`, "accounts[0].users[0].policies[0].Statement[0].Effect"},
		{`accounts: [{id: "012345678910", roles: [{name: r, trust: ["bob"]}]}]`, "accounts[0].roles[0].trust[0]"},
		{`accounts: [{id: "012345678910", roles: [{name: r, maxSessionDuration: 60}]}]`, "accounts[0].roles[0].maxSessionDuration"},
		{`accounts: [{id: "012345678910", usres: []}]`, "usres"},
	} {
		_, err := ParseFile([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want error containing %q", tc.yaml, err, tc.want)
		}
	}
}

// Errors give the file, the line and the field path, and speak of YAML, not JSON.
func TestLoadFileErrorPositions(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/identities.yaml"
	for _, tc := range []struct{ yaml, want string }{
		{"accounts:\n  - id: \"012345678910\"\n    users:\n      - name: a\n      - name: b\n        accesKeys: []\n", ":6: accounts[0].users[1].accesKeys: unknown field (did you mean accessKeys?)"},
		{"accounts:\n  - id: \"012345678910\"\n    roles:\n      - name: r\n        maxSessionDuration: 60\n", ":5: accounts[0].roles[0].maxSessionDuration: 60 is not within 3600–43200 seconds"},
		{"accounts:\n  - id: \"012345678910\"\n    users:\n      - name: a\n        policies:\n          - Version: \"2012-10-17\"\n            Statement:\n              - {Effect: Allow, Action: \"*\", Resource: \"*\"}\n              - Effect: Maybe\n", ":9: accounts[0].users[0].policies[0].Statement[1].Effect: must be \"Allow\" or \"Deny\""},
		{"accounts:\n  - id: \"012345678910\"\n    roles: [{name: r, maxSessionDuration: long}]\n", `:3: accounts[0].roles[0].maxSessionDuration: want an integer, not "long"`},
		{"accounts:\n  - id: [\n", ":2: not valid YAML"},
	} {
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+tc.want) || strings.Contains(err.Error(), "JSON") {
			t.Errorf("%s: got %v, want %q", tc.yaml, err, path+tc.want)
		}
	}
}
