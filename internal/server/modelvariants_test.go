package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/eksapi/model"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// The request variants below are generated from the embedded EKS model for all 23
// operations: every required member missing, every member of the wrong JSON type, an
// unknown value for every enum, every length, count and range bound just inside and just
// outside, an invalid nextToken, and each path resource missing. They go to a real server
// as signed HTTP requests (the SDKs validate required members client-side). The refused
// ones must answer the exception the operation declares (or SerializationException for a
// wrong JSON type) with its status and a message naming the member, and change nothing; the
// inside-the-bound ones must not be refused by the validator.

const (
	vCluster = "v"
	vEntry   = "arn:aws:iam::012345678910:role/v-entry"
	vView    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	vARN     = "arn:aws:eks:us-west-2:012345678910:cluster/v"
)

// variantBases are valid requests (by the model) of each operation, as one document of its
// input members (path, query-string and body alike); they carry the optional members too, so
// that the generator reaches every shape. Only their variants are sent.
var variantBases = map[string]map[string]any{
	"CreateCluster": {
		"name": "v-new", "version": "1.34", "roleArn": "arn:aws:iam::012345678910:role/eks",
		"resourcesVpcConfig":         map[string]any{"subnetIds": []any{"subnet-1"}, "securityGroupIds": []any{"sg-1"}, "endpointPublicAccess": true, "endpointPrivateAccess": false, "publicAccessCidrs": []any{"0.0.0.0/0"}},
		"kubernetesNetworkConfig":    map[string]any{"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4", "elasticLoadBalancing": map[string]any{"enabled": false}},
		"logging":                    map[string]any{"clusterLogging": []any{map[string]any{"types": []any{"api"}, "enabled": false}}},
		"tags":                       map[string]any{"k": "v"},
		"encryptionConfig":           []any{map[string]any{"resources": []any{"secrets"}, "provider": map[string]any{"keyArn": "arn:aws:kms:us-west-2:012345678910:key/k"}}},
		"outpostConfig":              map[string]any{"outpostArns": []any{"arn:aws:outposts:us-west-2:012345678910:outpost/op-1"}, "controlPlaneInstanceType": "m5.large", "controlPlanePlacement": map[string]any{"groupName": "g"}},
		"accessConfig":               map[string]any{"bootstrapClusterCreatorAdminPermissions": true, "authenticationMode": "API"},
		"bootstrapSelfManagedAddons": true,
		"upgradePolicy":              map[string]any{"supportType": "STANDARD"},
		"zonalShiftConfig":           map[string]any{"enabled": false},
		"remoteNetworkConfig":        map[string]any{"remoteNodeNetworks": []any{map[string]any{"cidrs": []any{"10.0.0.0/16"}}}, "remotePodNetworks": []any{map[string]any{"cidrs": []any{"10.1.0.0/16"}}}},
		"computeConfig":              map[string]any{"enabled": false, "nodePools": []any{"system"}, "nodeRoleArn": "arn:aws:iam::012345678910:role/node"},
		"storageConfig":              map[string]any{"blockStorage": map[string]any{"enabled": false}},
		"deletionProtection":         false,
		"controlPlaneScalingConfig":  map[string]any{"tier": "standard"},
	},
	"DescribeCluster":     {"name": vCluster},
	"ListClusters":        {"maxResults": 10.0, "include": []any{"all"}},
	"DeleteCluster":       {"name": vCluster},
	"CreateAccessEntry":   {"clusterName": vCluster, "principalArn": "arn:aws:iam::012345678910:role/v-new", "kubernetesGroups": []any{"g"}, "tags": map[string]any{"k": "v"}, "username": "u", "type": "STANDARD"},
	"DescribeAccessEntry": {"clusterName": vCluster, "principalArn": vEntry},
	"ListAccessEntries":   {"clusterName": vCluster, "associatedPolicyArn": vView, "maxResults": 10.0},
	"UpdateAccessEntry":   {"clusterName": vCluster, "principalArn": vEntry, "kubernetesGroups": []any{"g"}, "username": "u"},
	"DeleteAccessEntry":   {"clusterName": vCluster, "principalArn": vEntry},
	"AssociateAccessPolicy": {"clusterName": vCluster, "principalArn": vEntry, "policyArn": vView,
		"accessScope": map[string]any{"type": "namespace", "namespaces": []any{"dev"}}},
	"DisassociateAccessPolicy":     {"clusterName": vCluster, "principalArn": vEntry, "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"},
	"ListAssociatedAccessPolicies": {"clusterName": vCluster, "principalArn": vEntry, "maxResults": 10.0},
	"ListAccessPolicies":           {"maxResults": 10.0},
	"AssociateIdentityProviderConfig": {"clusterName": vCluster, "tags": map[string]any{"k": "v"},
		"oidc": map[string]any{"identityProviderConfigName": "v-idp", "issuerUrl": "https://issuer.example.com", "clientId": "c",
			"usernameClaim": "email", "usernamePrefix": "u-", "groupsClaim": "groups", "groupsPrefix": "g-", "requiredClaims": map[string]any{"k": "v"}}},
	"DisassociateIdentityProviderConfig": {"clusterName": vCluster, "identityProviderConfig": map[string]any{"type": "oidc", "name": "v-idp"}},
	"DescribeIdentityProviderConfig":     {"clusterName": vCluster, "identityProviderConfig": map[string]any{"type": "oidc", "name": "v-idp"}},
	"ListIdentityProviderConfigs":        {"clusterName": vCluster, "maxResults": 10.0},
	"UpdateClusterConfig": {"name": vCluster,
		"resourcesVpcConfig":        map[string]any{"subnetIds": []any{"subnet-1", "subnet-2"}, "endpointPublicAccess": true},
		"logging":                   map[string]any{"clusterLogging": []any{map[string]any{"types": []any{"api"}, "enabled": true}}},
		"accessConfig":              map[string]any{"authenticationMode": "API"},
		"upgradePolicy":             map[string]any{"supportType": "STANDARD"},
		"zonalShiftConfig":          map[string]any{"enabled": true},
		"computeConfig":             map[string]any{"enabled": false},
		"kubernetesNetworkConfig":   map[string]any{"ipFamily": "ipv4", "elasticLoadBalancing": map[string]any{"enabled": false}},
		"storageConfig":             map[string]any{"blockStorage": map[string]any{"enabled": false}},
		"remoteNetworkConfig":       map[string]any{"remoteNodeNetworks": []any{map[string]any{"cidrs": []any{"10.0.0.0/16"}}}, "remotePodNetworks": []any{map[string]any{"cidrs": []any{"10.1.0.0/16"}}}},
		"deletionProtection":        true,
		"controlPlaneScalingConfig": map[string]any{"tier": "tier-xl"}},
	"ListUpdates":         {"name": vCluster, "maxResults": 10.0},
	"DescribeUpdate":      {"name": vCluster, "updateId": "00000000-0000-0000-0000-000000000000"},
	"TagResource":         {"resourceArn": vARN, "tags": map[string]any{"k": "v"}},
	"UntagResource":       {"resourceArn": vARN, "tagKeys": []any{"k"}},
	"ListTagsForResource": {"resourceArn": vARN},
}

// missingBase is the body of a resource-missing variant where the walking base would be
// refused by the domain before the resource is looked up (one kind of update per call).
var missingBase = map[string]map[string]any{
	"UpdateClusterConfig": {"name": vCluster, "deletionProtection": true},
}

// missingResource names, per path member, a resource the fixture does not have.
var missingResource = map[string]string{
	"name":         "missing-cluster",
	"clusterName":  "missing-cluster",
	"principalArn": "arn:aws:iam::012345678910:role/missing",
	"policyArn":    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
	"updateId":     "11111111-1111-1111-1111-111111111111",
	"resourceArn":  "arn:aws:eks:us-west-2:012345678910:cluster/missing-cluster",
}

type step struct {
	member string // structure member or map key (key true); else list index
	index  int
	key    bool
}

type variant struct {
	op, kind, member string
	doc              map[string]any
	inside           bool   // a bound just inside: must not be refused by the validator
	code             string // "" for the operation's validation exception
	status           int
	msg              string
}

func cloneJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// at returns a copy of doc with the value at steps replaced (del: removed).
func at(doc map[string]any, steps []step, v any, del bool) map[string]any {
	out := cloneJSON(doc).(map[string]any)
	var cur any = out
	for i, s := range steps {
		last := i == len(steps)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if del {
					delete(c, s.member)
				} else {
					c[s.member] = v
				}
				return out
			}
			cur = c[s.member]
		case []any:
			if last {
				c[s.index] = v
				return out
			}
			cur = c[s.index]
		}
	}
	return out
}

func memberPathOf(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func wrongValue(typ string) any {
	switch typ {
	case "string", "blob":
		return 123.0
	case "boolean", "integer", "long", "list", "map", "structure":
		return "x"
	}
	return "x"
}

// generate appends the variants of the value v (shape ref) at steps/path in op's base doc.
func generate(m *model.Model, op string, base map[string]any, ref *model.Ref, steps []step, path string, v any, loc string, out *[]variant) {
	s := m.Shape(ref)
	bound := func(n float64, unit string, mk func(n int) any) {
		var cands []struct {
			n      int
			inside bool
		}
		if s.Min != nil {
			if *s.Min > 0 {
				cands = append(cands, struct {
					n      int
					inside bool
				}{int(*s.Min) - 1, false})
			}
			cands = append(cands, struct {
				n      int
				inside bool
			}{int(*s.Min), true})
		}
		if s.Max != nil {
			cands = append(cands, struct {
				n      int
				inside bool
			}{int(*s.Max), true}, struct {
				n      int
				inside bool
			}{int(*s.Max) + 1, false})
		}
		for _, c := range cands {
			if loc == "querystring" && unit == "items" && c.n == 0 {
				continue // an empty query list is an absent member: the required variant
			}
			val := mk(c.n)
			if val == nil {
				continue
			}
			*out = append(*out, variant{op: op, kind: strings.TrimSpace("bound " + strconv.Itoa(c.n) + " " + unit), member: path, doc: at(base, steps, val, false), inside: c.inside, status: 400, msg: path + " must"})
		}
	}
	switch s.Type {
	case "structure":
		obj, _ := v.(map[string]any)
		for _, name := range s.MemberNames() {
			mref := s.Members[name]
			mloc := mref.Location
			if path != "" {
				mloc = loc
			}
			if mloc == "uri" {
				continue
			}
			p, st := memberPathOf(path, name), append(append([]step{}, steps...), step{member: name})
			mv, present := obj[name]
			if present && s.IsRequired(name) {
				*out = append(*out, variant{op: op, kind: "missing required", member: p, doc: at(base, st, nil, true), status: 400, msg: "The request must contain the parameter " + p})
			}
			ms := m.Shape(mref)
			switch {
			case mloc == "":
				*out = append(*out, variant{op: op, kind: "wrong type", member: p, doc: at(base, st, wrongValue(ms.Type), false), code: "SerializationException", status: 400, msg: fmt.Sprintf("Invalid value for member %q", p)})
			case ms.Type == "integer" || ms.Type == "long":
				*out = append(*out, variant{op: op, kind: "wrong type", member: p, doc: at(base, st, "abc", false), status: 400, msg: p})
			}
			if name == "nextToken" && mloc == "querystring" {
				*out = append(*out, variant{op: op, kind: "invalid nextToken", member: p, doc: at(base, st, "garbage", false), status: 400, msg: "The nextToken provided is invalid"})
			}
			if present {
				generate(m, op, base, mref, st, p, mv, mloc, out)
			} else if ms.Type == "string" {
				generate(m, op, base, mref, st, p, "", mloc, out) // enum of an absent member
			}
		}
	case "list":
		list, _ := v.([]any)
		bound(float64(len(list)), "items", func(n int) any {
			if len(list) == 0 && n > 0 {
				return nil
			}
			l := make([]any, n)
			for i := range l {
				e := cloneJSON(list[0])
				if str, ok := e.(string); ok && n > 1 {
					e = str + strconv.Itoa(i)
				}
				l[i] = e
			}
			return l
		})
		if len(list) > 0 {
			generate(m, op, base, s.Member, append(append([]step{}, steps...), step{index: 0}), fmt.Sprintf("%s[0]", path), list[0], loc, out)
		}
	case "map":
		obj, _ := v.(map[string]any)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		bound(float64(len(obj)), "entries", func(n int) any {
			mm := map[string]any{}
			for i := 0; i < n; i++ {
				mm[fmt.Sprint("k", i)] = obj[keys[0]]
			}
			return mm
		})
		if len(keys) == 0 {
			return
		}
		k0 := keys[0]
		// The key's bounds: the map with its first key replaced.
		ks := m.Shape(s.Key)
		if ks.Min != nil || ks.Max != nil {
			sub := []variant{}
			keyBase := map[string]any{"k": k0}
			generate(m, op, keyBase, s.Key, []step{{member: "k"}}, path+" key", k0, loc, &sub)
			for _, kv := range sub {
				newKey := kv.doc["k"].(string)
				mm := cloneJSON(obj).(map[string]any)
				delete(mm, k0)
				mm[newKey] = obj[k0]
				kv.doc = at(base, steps, mm, false)
				*out = append(*out, kv)
			}
		}
		generate(m, op, base, s.Value, append(append([]step{}, steps...), step{member: k0}), fmt.Sprintf("%s[%q]", path, k0), obj[k0], loc, out)
	case "string":
		if len(s.Enum) > 0 {
			*out = append(*out, variant{op: op, kind: "unknown enum", member: path, doc: at(base, steps, "NOT_A_VALUE", false), status: 400, msg: fmt.Sprintf("The specified %s \"NOT_A_VALUE\" is invalid", path)})
		}
		if v == "" && len(s.Enum) == 0 {
			return // absent member: no base value to bound
		}
		str, _ := v.(string)
		bound(0, "characters", func(n int) any {
			if str == "" {
				str = "a"
			}
			return strings.Repeat(str[:1], n)
		})
	case "integer", "long":
		bound(0, "", func(n int) any { return float64(n) })
	}
}

// request renders a variant document as an HTTP request of its operation.
func variantRequest(m *model.Model, op string, doc map[string]any) (method, path string, body []byte) {
	o := m.Op(op)
	in := m.Shape(o.Input)
	uri, _, _ := strings.Cut(o.HTTP.RequestURI, "?")
	q := url.Values{}
	bodyDoc := map[string]any{}
	hasBody := false
	for name, ref := range in.Members {
		v, ok := doc[name]
		switch ref.Location {
		case "uri":
			uri = strings.Replace(uri, "{"+ref.LocationName+"}", url.PathEscape(fmt.Sprint(v)), 1)
		case "querystring":
			if !ok {
				continue
			}
			switch x := v.(type) {
			case []any:
				for _, e := range x {
					q.Add(ref.LocationName, fmt.Sprint(e))
				}
			case float64:
				q.Set(ref.LocationName, strconv.FormatFloat(x, 'f', -1, 64))
			default:
				q.Set(ref.LocationName, fmt.Sprint(x))
			}
		default:
			hasBody = true
			if ok {
				bodyDoc[name] = v
			}
		}
	}
	if hasBody {
		body, _ = json.Marshal(bodyDoc)
	}
	if len(q) > 0 {
		uri += "?" + q.Encode()
	}
	return o.HTTP.Method, uri, body
}

func generateVariants(m *model.Model) map[string][]variant {
	out := map[string][]variant{}
	for _, op := range model.Provenance().Operations {
		base := variantBases[op]
		var vs []variant
		generate(m, op, base, m.Op(op).Input, nil, "", base, "", &vs)
		in := m.Shape(m.Op(op).Input)
		for _, name := range in.MemberNames() {
			ref := in.Members[name]
			if ref.Location != "uri" {
				continue
			}
			code := "ResourceNotFoundException"
			if !m.Op(op).Declares(code) {
				code = "NotFoundException"
			}
			mb := base
			if b, ok := missingBase[op]; ok {
				mb = b
			}
			vs = append(vs, variant{op: op, kind: "resource missing", member: name, doc: at(mb, []step{{member: name}}, missingResource[name], false), code: code, status: 404})
		}
		out[op] = vs
	}
	return out
}

// stateSnapshot reads everything the fixture holds through the API.
func stateSnapshot(t *testing.T, s *testutil.Server) string {
	t.Helper()
	var b bytes.Buffer
	get := func(p string) []byte {
		resp, body := s.Raw(t, "GET", p, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", p, resp.StatusCode, body)
		}
		b.WriteString(p + " " + string(body) + "\n")
		return body
	}
	var clusters struct{ Clusters []string }
	_ = json.Unmarshal(get("/clusters"), &clusters)
	for _, c := range clusters.Clusters {
		get("/clusters/" + c)
		var entries struct{ AccessEntries []string }
		_ = json.Unmarshal(get("/clusters/"+c+"/access-entries"), &entries)
		for _, e := range entries.AccessEntries {
			get("/clusters/" + c + "/access-entries/" + url.PathEscape(e))
			get("/clusters/" + c + "/access-entries/" + url.PathEscape(e) + "/access-policies")
		}
		get("/clusters/" + c + "/identity-provider-configs")
		get("/clusters/" + c + "/updates")
		get("/tags/" + url.PathEscape("arn:aws:eks:us-west-2:012345678910:cluster/"+c))
	}
	return b.String()
}

func TestModelVariants(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	c := s.EKS()
	ctx := testutil.Ctx(t)
	if _, err := c.CreateCluster(ctx, createClusterInput(vCluster, types.AuthenticationModeApi)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(vCluster), PrincipalArn: aws.String(vEntry)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(vCluster), PrincipalArn: aws.String(vEntry),
		PolicyArn: aws.String(vView), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}}); err != nil {
		t.Fatal(err)
	}
	m := model.EKS()
	all := generateVariants(m)
	ops := model.Provenance().Operations
	if len(all) != 23 {
		t.Fatalf("variants for %d operations, want 23", len(all))
	}

	before := stateSnapshot(t, s)
	counts := map[string]int{}
	total := 0
	for _, op := range ops {
		o := m.Op(op)
		for _, v := range all[op] {
			if v.inside {
				continue
			}
			counts[op]++
			total++
			method, path, body := variantRequest(m, op, v.doc)
			resp, got := s.Raw(t, method, path, body)
			code := v.code
			if code == "" {
				code = o.ValidationError()
			}
			errType := resp.Header.Get("x-amzn-ErrorType")
			var e struct{ Message string }
			_ = json.Unmarshal(got, &e)
			switch {
			case resp.StatusCode != v.status || errType != code:
				t.Errorf("%s %s %s (%s %s %s): %d %s %s, want %d %s", op, v.kind, v.member, method, path, body, resp.StatusCode, errType, got, v.status, code)
			case !strings.Contains(e.Message, v.msg):
				t.Errorf("%s %s %s: message %q, want it to contain %q", op, v.kind, v.member, e.Message, v.msg)
			case code != "SerializationException" && !o.Declares(code) && !(code == o.ValidationError() && !o.ValidationErrorDeclared()):
				t.Errorf("%s %s %s: %s is not among the operation's declared errors", op, v.kind, v.member, code)
			}
		}
	}
	if after := stateSnapshot(t, s); after != before {
		t.Errorf("refused variants changed the state:\nbefore %s\nafter  %s", before, after)
	}

	// Inside the bounds: the validator lets them through (the domain may still refuse them
	// for its own reasons, or accept them).
	inside := map[string]int{}
	for _, op := range ops {
		for _, v := range all[op] {
			if !v.inside {
				continue
			}
			inside[op]++
			method, path, body := variantRequest(m, op, v.doc)
			resp, got := s.Raw(t, method, path, body)
			var e struct{ Message string }
			_ = json.Unmarshal(got, &e)
			if resp.StatusCode == 400 && strings.Contains(e.Message, v.msg) {
				t.Errorf("%s %s %s: refused inside its bound: %s", op, v.kind, v.member, got)
			}
		}
	}
	for _, op := range ops {
		t.Logf("%-36s %3d refused variants, %2d inside bounds", op, counts[op], inside[op])
		if counts[op] == 0 {
			t.Errorf("%s: no variants generated", op)
		}
	}
	ins := 0
	for _, n := range inside {
		ins += n
	}
	t.Logf("model variants: %d refused and %d inside-bound variants over %d operations", total, ins, len(ops))
	fmt.Printf("TestModelVariants: %d refused + %d inside-bound variants over %d operations\n", total, ins, len(ops))
}
