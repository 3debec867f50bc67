package kubeauth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func tokenFor(u string) string { return TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(u)) }

func TestParseTokenRules(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 8, 41, 26, 0, time.UTC)
	base := "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261122%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20261122T084126Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=abc"
	if _, _, err := parseToken(tokenFor(base), now); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if _, _, err := parseToken(tokenFor(base)+"==", now); err != nil {
		t.Fatalf("padded token: %v", err)
	}
	for name, tc := range map[string]struct {
		token  string
		now    time.Time
		reason string
	}{
		"no prefix":                 {"abc", now, "malformed"},
		"too long":                  {TokenPrefix + strings.Repeat("A", 5000), now, "malformed"},
		"other action":              {tokenFor(strings.Replace(base, "GetCallerIdentity", "AssumeRole", 1)), now, "malformed"},
		"cluster not signed":        {tokenFor(strings.Replace(base, "host%3Bx-k8s-aws-id", "host", 1)), now, "malformed"},
		"extra query":               {tokenFor(base + "&Foo=bar"), now, "malformed"},
		"repeated query":            {tokenFor(base + "&Action=GetCallerIdentity"), now, "malformed"},
		"expires over 900":          {tokenFor(strings.Replace(base, "X-Amz-Expires=60", "X-Amz-Expires=901", 1)), now, "malformed"},
		"path":                      {tokenFor(strings.Replace(base, ".com/?", ".com/x?", 1)), now, "malformed"},
		"scheme":                    {tokenFor(strings.Replace(base, "https://", "ftp://", 1)), now, "malformed"},
		"16 minutes later":          {tokenFor(base), now.Add(16 * time.Minute), "expired"},
		"far in the future":         {tokenFor(base), now.Add(-20 * time.Minute), "malformed"},
		"missing date":              {tokenFor(strings.Replace(base, "&X-Amz-Date=20261122T084126Z", "", 1)), now, "malformed"},
		"keys are case-insensitive": {tokenFor(strings.Replace(base, "?Action=", "?action=", 1)), now, ""},
	} {
		_, _, err := parseToken(tc.token, tc.now)
		te, _ := err.(*tokenError)
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.reason != "" && (te == nil || te.Reason != tc.reason):
			t.Errorf("%s: got %v, want reason %s", name, err, tc.reason)
		}
	}
	// 14 minutes after X-Amz-Date a 60-second presign is still valid, as at STS.
	if _, _, err := parseToken(tokenFor(base), now.Add(14*time.Minute)); err != nil {
		t.Fatalf("14 minutes: %v", err)
	}
}

func TestCanonicalize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"arn:aws:sts::012345678910:assumed-role/my-role/session": "arn:aws:iam::012345678910:role/my-role",
		"arn:aws:iam::012345678910:user/a/b/alice":               "arn:aws:iam::012345678910:user/a/b/alice",
		"arn:aws-cn:sts::012345678910:assumed-role/r/s@x":        "arn:aws-cn:iam::012345678910:role/r",
	} {
		if got := canonicalize(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestEntryFor(t *testing.T) {
	t.Parallel()
	withID := &entryView{PrincipalARN: "arn:aws:iam::1:role/team/r", PrincipalID: "AROAOLD"}
	noID := &entryView{PrincipalARN: "arn:aws:iam::1:user/u"}
	v := &clusterView{
		byID:  map[string]*entryView{"AROAOLD": withID},
		byARN: map[string]*entryView{"arn:aws:iam::1:role/r": withID, "arn:aws:iam::1:user/u": noID},
	}
	if v.entryFor("AROAOLD", "arn:aws:iam::1:role/r") != withID {
		t.Error("by unique id")
	}
	if v.entryFor("AROANEW", "arn:aws:iam::1:role/R") != nil {
		t.Error("a re-created role (new unique id, same ARN) must not match")
	}
	if v.entryFor("AIDAX", "arn:aws:iam::1:user/U") != noID {
		t.Error("an entry without a recorded id matches by ARN, case-insensitively")
	}
}

func TestRenderRefusesRenderedReservedPrefix(t *testing.T) {
	t.Parallel()
	id := &Identity{Account: "1", SessionName: "system", AccessKeyID: "ASIAX", PrincipalID: "AROA"}
	if _, err := render("x:{{SessionName}}", []string{"{{SessionName}}:masters"}, id); err == nil {
		t.Error("group rendered to system:masters")
	}
	u, err := render("system:node:{{SessionName}}", []string{"system:nodes"}, id)
	if err != nil || u.Username != "system:node:system" {
		t.Errorf("a reserved prefix written in the template is allowed: %v %v", u, err)
	}
	if _, err := render("system:node:{{EC2PrivateDNSName}}", nil, id); err == nil {
		t.Error("EC2PrivateDNSName cannot be resolved")
	}
}
