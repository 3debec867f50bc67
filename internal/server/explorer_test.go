package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// The explorer's API refuses bad input with typed AWS errors, never a 500, and sees only the
// caller's own account: a cluster of another account is not found.
func TestExplorerAPIBadInput(t *testing.T) {
	s := testutil.Start(t)
	ctx := testutil.Ctx(t)
	if _, err := s.EKS().CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("c1"), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}}); err != nil {
		t.Fatal(err)
	}
	// Another account's cluster of the same name... and principal.
	if _, err := s.EKSAs("111122223333", testutil.DefaultRegion).CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("theirs"),
		RoleArn: aws.String("arn:aws:iam::111122223333:role/eks"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig: &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}}); err != nil {
		t.Fatal(err)
	}
	const p = "/eksaccess/v1/clusters/"
	for _, tc := range []struct {
		path, code string
		status     int
		msg        string
	}{
		{p + "c1/explain?principal=arn:aws:iam::012345678910:role/dev&verb=get&resource=pods", "", 200, ""},
		{p + "theirs/who-can?verb=get&resource=pods", "ResourceNotFoundException", 404, "No cluster found for name: theirs."},
		{p + "c1/explain?verb=get&resource=pods", "InvalidParameterException", 400, "Give the principal"},
		{p + "c1/explain?principal=arn:aws:iam::012345678910:role/dev&user=bob&verb=get&resource=pods", "InvalidParameterException", 400, "not both"},
		{p + "c1/explain?principal=not-an-arn&verb=get&resource=pods", "InvalidParameterException", 400, "is not an IAM user or role ARN"},
		{p + "c1/explain?principal=arn:aws:iam::012345678910:role/dev&resource=pods", "InvalidParameterException", 400, "The verb is required"},
		{p + "c1/who-can?verb=get", "InvalidParameterException", 400, "The resource"},
		{p + "c1/who-can?verb=get&resource=Pods!", "InvalidParameterException", 400, "is not a Kubernetes resource name"},
		{p + "c1/who-can?verb=get&resource=pods&namespace=-bad-", "InvalidParameterException", 400, "is not a valid namespace name"},
		{p + "c1/who-can?verb=get&path=/healthz&namespace=x", "InvalidParameterException", 400, "takes no resource"},
		{p + "c1/who-can?verb=get&path=healthz", "InvalidParameterException", 400, "must start with '/'"},
		{p + "c1/who-can?verb=get&resource=pods&name=a/b", "InvalidParameterException", 400, "not a valid object name"},
		{p + "c1/who-can?verb=%zz", "InvalidParameterException", 400, "The query string is malformed"},
		{p + "c1/access-matrix?principal=arn:aws:iam::012345678910:role/dev&namespace=UPPER", "InvalidParameterException", 400, "is not a valid namespace name"},
		{p + "c1/access-matrix?user=" + strings.Repeat("x", 300), "InvalidParameterException", 400, "not a valid Kubernetes user name"},
		{p + "c1/explain?principal=arn:aws:sts::012345678910:assumed-role/dev/x&verb=get&resource=pods", "InvalidParameterException", 400, "session name"},
	} {
		resp, body := s.Raw(t, "GET", tc.path, nil)
		if resp.StatusCode != tc.status || resp.Header.Get("x-amzn-ErrorType") != tc.code {
			t.Errorf("%s: %d %s, want %d %s: %s", tc.path, resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), tc.status, tc.code, body)
			continue
		}
		var e struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: body %s, want message with %q", tc.path, body, tc.msg)
		}
		if strings.Contains(string(body), "111122223333") {
			t.Errorf("%s: another account leaks: %s", tc.path, body)
		}
	}
	// Without a Kubernetes source the answer says plainly that RBAC was not consulted.
	_, body := s.Raw(t, "GET", p+"c1/explain?user=alice&groups=dev&verb=get&resource=pods&namespace=prod", nil)
	var x struct {
		Allowed       bool     `json:"allowed"`
		RBACConsulted bool     `json:"rbacConsulted"`
		Notes         []string `json:"notes"`
	}
	if err := json.Unmarshal(body, &x); err != nil || x.Allowed || x.RBACConsulted || len(x.Notes) == 0 || !strings.Contains(x.Notes[0], "RBAC was not consulted") {
		t.Fatalf("explain without a source: %s", body)
	}
}
