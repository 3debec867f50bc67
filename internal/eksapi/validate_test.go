package eksapi

import (
	"strings"
	"testing"
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
