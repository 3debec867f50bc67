package eksapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
)

func TestCheckOutput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		op, body, err string
	}{
		{"ListClusters", `{"clusters":["a"],"nextToken":"t"}`, ""},
		{"ListClusters", `{"clusters":["a"],"extra":1}`, "extra: not a member"},
		{"ListClusters", `{"clusters":null}`, "clusters: null"},
		{"ListClusters", `{"clusters":[1]}`, "clusters[0]: number, want a string"},
		{"DescribeCluster", `{"cluster":{"kubernetesNetworkConfig":{"ipFamily":123}}}`, "cluster.kubernetesNetworkConfig.ipFamily: number, want a string"},
		{"DescribeCluster", `{"cluster":{"status":"RUNNING"}}`, `cluster.status: "RUNNING" is not one of`},
		{"DescribeCluster", `{"cluster":{"outpostConfig":{}}}`, "cluster.outpostConfig.outpostArns: required member missing"},
		{"DescribeCluster", `{"cluster":{"createdAt":"yesterday"}}`, "cluster.createdAt: string, want a number"},
		{"ListTagsForResource", `{"tags":{}}`, ""}, // output sizes are not the request limits
		{"ListTagsForResource", `{"tags":{"k":null}}`, `tags["k"]: null, want a string`},
	} {
		err := CheckOutput(tc.op, []byte(tc.body))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s %s: %v", tc.op, tc.body, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s %s: got %v, want %q", tc.op, tc.body, err, tc.err)
		}
	}
}

const benchCreateCluster = `{"name":"bench","roleArn":"arn:aws:iam::012345678910:role/eks","resourcesVpcConfig":{"subnetIds":["subnet-1","subnet-2"]},
"kubernetesNetworkConfig":{"ipFamily":"ipv4"},"logging":{"clusterLogging":[{"types":["api","audit"],"enabled":true}]},
"tags":{"team":"a","env":"dev"},"accessConfig":{"authenticationMode":"API"},"encryptionConfig":[{"resources":["secrets"],"provider":{"keyArn":"arn:aws:kms:us-west-2:012345678910:key/k"}}]}`

func benchRequest() *request {
	hr := httptest.NewRequest("POST", "/clusters", nil)
	return &request{Request: hr, Op: "CreateCluster", Body: []byte(benchCreateCluster)}
}

// BenchmarkDecodeCreateCluster is the baseline: the typed decode every CreateCluster does.
func BenchmarkDecodeCreateCluster(b *testing.B) {
	r := benchRequest()
	for b.Loop() {
		var in access.CreateClusterInput
		if err := r.decode(&in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateCreateCluster is the model validation of the same request.
func BenchmarkValidateCreateCluster(b *testing.B) {
	a := &API{}
	for b.Loop() {
		r := benchRequest()
		if err := a.validate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateDescribeAccessEntry is the model validation of a bodiless GET: its path
// members only.
func BenchmarkValidateDescribeAccessEntry(b *testing.B) {
	a := &API{}
	hr := httptest.NewRequest("GET", "/clusters/bench/access-entries/arn%3Aaws%3Aiam%3A%3A012345678910%3Arole%2Fteam%2Fmy-role", nil)
	hr.SetPathValue("name", "bench")
	hr.SetPathValue("principalArn", "arn:aws:iam::012345678910:role/team/my-role")
	b.ReportAllocs()
	for b.Loop() {
		r := &request{Request: hr, Op: "DescribeAccessEntry"}
		if err := a.validate(r); err != nil {
			b.Fatal(err)
		}
	}
}
