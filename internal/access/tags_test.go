package access

import (
	"strings"
	"testing"
)

func TestTagARNParsing(t *testing.T) {
	t.Parallel()
	c := Caller{Account: "012345678910", Region: "us-west-2"}
	// These are answered before any store access, so no transaction is needed.
	for _, tc := range []struct {
		arn, code string
	}{
		{"", CodeBadRequest},
		{"cluster/x", CodeBadRequest},
		{"arn:aws:iam::012345678910:role/x", CodeBadRequest},
		{"arn:nope:eks:us-west-2:012345678910:cluster/x", CodeBadRequest},
		{"arn:aws:eks::012345678910:cluster/x", CodeBadRequest},
		{"arn:aws:eks:us-west-2:012345678910:", CodeBadRequest},
		{"arn:aws:eks:us-east-1:012345678910:cluster/x", CodeNotFound},
		{"arn:aws:eks:us-west-2:111122223333:cluster/x", CodeNotFound},
		{"arn:aws-cn:eks:us-west-2:012345678910:cluster/x", CodeNotFound},
		{"arn:aws:eks:us-west-2:012345678910:cluster/", CodeNotFound},
	} {
		_, err := findTaggable(nil, c, tc.arn)
		e, ok := err.(*Error)
		if !ok || e.Code != tc.code || !strings.Contains(e.Message, tc.arn) {
			t.Errorf("%q: %v, want %s", tc.arn, err, tc.code)
		}
	}
}

func TestTagRules(t *testing.T) {
	t.Parallel()
	if n := countedTags(map[string]string{"aws:cloudformation:stack-name": "s", "AWS:x": "y", "a": "b"}); n != 1 {
		t.Errorf("countedTags = %d, want 1 (aws: tags do not count)", n)
	}
	if !reservedTagKey("Aws:x") || reservedTagKey("awsx") {
		t.Error("reservedTagKey")
	}
	e := asBadRequest(errTooManyTags())
	if e.Code != CodeBadRequest || e.Status != 400 || e.Message != errTooManyTags().Message {
		t.Errorf("asBadRequest = %+v", e)
	}
	if asBadRequest(nil) != nil {
		t.Error("asBadRequest(nil)")
	}
	if e := errTagResourceNotFound("arn:x"); e.Status != 404 || e.Code != CodeNotFound || e.Message != "Resource was not found: arn:x" {
		t.Errorf("not found: %+v", e)
	}
}
