package access

import (
	"strings"
	"testing"
)

func TestParsePrincipalARN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		arn        string
		ok         bool
		kind, path string
		name       string
		slr        bool
	}{
		{"arn:aws:iam::012345678910:role/my-role", true, "role", "/", "my-role", false},
		{"arn:aws:iam::012345678910:user/alice", true, "user", "/", "alice", false},
		{"arn:aws:iam::012345678910:role/a/b/c", true, "role", "/a/b/", "c", false},
		{"arn:aws-cn:iam::012345678910:role/r", true, "role", "/", "r", false},
		{"arn:aws:iam::012345678910:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS", true, "role", "/aws-service-role/eks.amazonaws.com/", "AWSServiceRoleForAmazonEKS", true},
		{"arn:aws:iam::012345678910:role/name+=,.@_-", true, "role", "/", "name+=,.@_-", false},
		{"arn:aws:sts::012345678910:assumed-role/r/s", false, "", "", "", false},
		{"arn:aws:iam::012345678910:root", false, "", "", "", false},
		{"arn:aws:iam::012345678910:group/g", false, "", "", "", false},
		{"arn:aws:iam::12345:role/r", false, "", "", "", false},
		{"arn:aws:iam:us-east-1:012345678910:role/r", false, "", "", "", false},
		{"arn:aws:iam::012345678910:role/", false, "", "", "", false},
		{"arn:aws:iam::012345678910:role//r", false, "", "", "", false},
		{"arn:aws:iam::012345678910:role/r r", false, "", "", "", false},
		{"arn:aws:iam::012345678910:role/" + string(make([]byte, 65)), false, "", "", "", false},
		{"arn:foo:iam::012345678910:role/r", false, "", "", "", false},
		{"", false, "", "", "", false},
	} {
		p, ok := ParsePrincipalARN(tc.arn)
		if ok != tc.ok {
			t.Errorf("%q: ok=%v, want %v", tc.arn, ok, tc.ok)
			continue
		}
		if ok && (p.Kind != tc.kind || p.Path != tc.path || p.Name != tc.name || p.ServiceLinked() != tc.slr) {
			t.Errorf("%q: %+v slr=%v", tc.arn, p, p.ServiceLinked())
		}
	}
	p, _ := ParsePrincipalARN("arn:aws:iam::012345678910:role/a/b/c")
	if p.PathlessARN() != "arn:aws:iam::012345678910:role/c" {
		t.Errorf("pathless %s", p.PathlessARN())
	}
}

func TestValidateUsername(t *testing.T) {
	t.Parallel()
	for u, wantErr := range map[string]string{
		"alice":                            "",
		"sts:alice":                        "",
		":{{SessionName}}":                 "",
		"a:b{{SessionNameRaw}}":            "",
		"arn:aws:sts::1:x/{{SessionName}}": "",
		"{{SessionName}}":                  "must be preceded by a colon",
		"x{{SessionName}}:y":               "must be preceded by a colon",
		"system:x":                         "The username must not begin with system:",
		"iam:x":                            "The username must not begin with iam:",
		"":                                 "must not be empty",
	} {
		err := validateUsername(u)
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%q: unexpected %v", u, err)
		case wantErr != "" && (err == nil || !contains(err.Message, wantErr)):
			t.Errorf("%q: got %v, want %q", u, err, wantErr)
		}
	}
}

func TestEpochSeconds(t *testing.T) {
	t.Parallel()
	for m, want := range map[Millis]string{
		1685475163532: "1685475163.532",
		1685475163500: "1685475163.5",
		1685475163000: "1685475163",
		1685475163007: "1685475163.007",
	} {
		if got := m.EpochSeconds(); got != want {
			t.Errorf("%d: %s, want %s", m, got, want)
		}
	}
}

func TestPartitionOf(t *testing.T) {
	t.Parallel()
	for r, want := range map[string]string{"us-west-2": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "eu-central-1": "aws"} {
		if got := PartitionOf(r); got != want {
			t.Errorf("%s: %s, want %s", r, got, want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
