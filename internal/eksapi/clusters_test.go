package eksapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
)

// The typed Cluster answer echoes the spec's other model members, overriding the defaults
// (a sent upgradePolicy), leaves out request-only ones, and keeps createdAt the number EKS
// sends; with or without them it is a valid DescribeCluster output.
func TestClusterJSON(t *testing.T) {
	c := &access.Cluster{Name: "c", ARN: "arn:aws:eks:us-west-2:012345678910:cluster/c", Status: access.ClusterActive,
		AuthenticationMode: access.ModeAPI, CreatedAt: 1685475163532,
		Spec: access.ClusterSpec{Version: "1.31", VPC: access.VPCConfig{SubnetIDs: []string{"subnet-1"}}}}
	for _, extra := range []map[string]any{nil, {
		"upgradePolicy": map[string]any{"supportType": "STANDARD"}, "deletionProtection": true,
		"encryptionConfig": []any{map[string]any{"resources": []any{"secrets"}}}, "bootstrapSelfManagedAddons": false,
	}} {
		c.Spec.Extra = extra
		b, err := json.Marshal(clusterJSON(c))
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckOutput("DescribeCluster", b); err != nil {
			t.Errorf("%s: %v", b, err)
		}
		out := string(b)
		for _, want := range []string{`"createdAt":1685475163.532`, `"securityGroupIds":[]`, `"health":{"issues":[]}`, `"tags":{}`} {
			if !strings.Contains(out, want) {
				t.Errorf("lacks %s: %s", want, out)
			}
		}
		if extra == nil {
			if !strings.Contains(out, `"upgradePolicy":{"supportType":"EXTENDED"}`) || strings.Contains(out, "deletionProtection") {
				t.Errorf("defaults: %s", out)
			}
			continue
		}
		for _, want := range []string{`"upgradePolicy":{"supportType":"STANDARD"}`, `"deletionProtection":true`, `"encryptionConfig":[{"resources":["secrets"]}]`} {
			if !strings.Contains(out, want) {
				t.Errorf("lacks %s: %s", want, out)
			}
		}
		if strings.Contains(out, "bootstrapSelfManagedAddons") || strings.Count(out, "upgradePolicy") != 1 {
			t.Errorf("request-only or duplicate member: %s", out)
		}
	}
}
