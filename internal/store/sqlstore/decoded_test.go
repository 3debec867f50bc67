package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
)

const specText = `{"version":"1.31","vpc":{"subnetIds":["subnet-1"],"securityGroupIds":[],"publicAccessCidrs":["0.0.0.0/0"]},
"logging":{"clusterLogging":[{"types":["api"],"enabled":true}]},"extra":{"encryptionConfig":[{"resources":["secrets"]}],"deletionProtection":true}}`

// A cached decode answers what json.Unmarshal answers, and a caller that changes its copy
// (slices, nested objects) changes nobody else's.
func TestDecodeCacheCopies(t *testing.T) {
	var want access.ClusterSpec
	if err := json.Unmarshal([]byte(specText), &want); err != nil {
		t.Fatal(err)
	}
	d := newDecodeCache(8, access.ClusterSpec.Clone)
	for i := range 3 {
		var got access.ClusterSpec
		if err := d.decode(specText, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decode %d: %#v, want %#v", i, got, want)
		}
		got.VPC.SubnetIDs[0] = "changed"
		got.Logging["clusterLogging"].([]any)[0].(map[string]any)["enabled"] = false
		got.Extra["encryptionConfig"].([]any)[0].(map[string]any)["resources"] = nil
		got.Extra["new"] = 1
	}
	var empty access.ClusterSpec
	if err := d.decode(`{}`, &empty); err != nil || empty.Extra != nil || empty.VPC.SubnetIDs != nil {
		t.Errorf("{}: %#v %v (nil must stay nil)", empty, err)
	}
}

func TestDecodeCacheErrorsAndBound(t *testing.T) {
	d := newDecodeCache(2, access.ClusterSpec.Clone)
	var s access.ClusterSpec
	if err := d.decode(`{"vpc":`, &s); err == nil {
		t.Fatal("truncated JSON decoded")
	}
	if err := d.decode(`{"vpc":`, &s); err == nil {
		t.Fatal("truncated JSON decoded the second time (an error must not be cached)")
	}
	for _, text := range []string{`{"version":"1"}`, `{"version":"2"}`, `{"version":"3"}`} {
		if err := d.decode(text, &s); err != nil {
			t.Fatal(err)
		}
		if len(d.m) > 2 {
			t.Fatalf("%d texts kept, bound 2", len(d.m))
		}
	}
	if s.Version != "3" {
		t.Errorf("version %q", s.Version)
	}
}
