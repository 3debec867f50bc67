package kubeauth

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/yaml"
)

// The aws-auth ConfigMap (kube-system/aws-auth) maps IAM principals in clusters whose
// authentication mode is CONFIG_MAP, and principals without an access entry in
// API_AND_CONFIG_MAP clusters, as aws-iam-authenticator does:
//
//	mapRoles:    [{rolearn, username, groups}]  matched on the role ARN
//	mapUsers:    [{userarn, username, groups}]  matched on the user ARN
//	mapAccounts: [account id, …]                 any principal of the account, username = its ARN
//
// ARNs match case-insensitively and without their path (aws-iam-authenticator fails to match
// role ARNs with a path; here they work). username and groups take the templates of access
// entries ({{AccountID}}, {{SessionName}}, {{SessionNameRaw}}, {{AccessKeyID}};
// {{EC2PrivateDNSName}} cannot be resolved). A mapping without a username gets the
// principal's ARN, as mapAccounts does.

// AWSAuthMap is one parsed aws-auth ConfigMap.
type AWSAuthMap struct {
	principals map[string]awsAuthMapping // lower-cased path-less principal ARN → mapping
	accounts   map[string]bool
}

type awsAuthMapping struct {
	Username string
	Groups   []string
}

// Len is the number of role and user mappings and mapped accounts.
func (m *AWSAuthMap) Len() int { return len(m.principals) + len(m.accounts) }

type awsAuthItem struct {
	RoleARN  string   `json:"rolearn"`
	UserARN  string   `json:"userarn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

// ParseAWSAuth parses the data of an aws-auth ConfigMap. Any error makes the whole ConfigMap
// invalid: a half-read mapping could drop a principal's groups while keeping its username.
func ParseAWSAuth(data map[string]string) (*AWSAuthMap, error) {
	m := &AWSAuthMap{principals: map[string]awsAuthMapping{}, accounts: map[string]bool{}}
	var errs []error
	for _, key := range []string{"mapRoles", "mapUsers"} {
		raw := data[key]
		if skippable(raw) {
			continue
		}
		var items []awsAuthItem
		if err := yaml.Unmarshal([]byte(raw), &items); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", key, err))
			continue
		}
		for i, it := range items {
			arn, field, kind := it.RoleARN, "rolearn", "role"
			if key == "mapUsers" {
				arn, field, kind = it.UserARN, "userarn", "user"
			}
			p, ok := access.ParsePrincipalARN(strings.TrimSpace(arn))
			if !ok || p.Kind != kind {
				errs = append(errs, fmt.Errorf("%s[%d].%s: %q is not an IAM %s ARN", key, i, field, arn, kind))
				continue
			}
			m.principals[strings.ToLower(p.PathlessARN())] = awsAuthMapping{Username: it.Username, Groups: it.Groups}
		}
	}
	if raw := data["mapAccounts"]; !skippable(raw) {
		var accounts []string
		if err := yaml.Unmarshal([]byte(raw), &accounts); err != nil {
			errs = append(errs, fmt.Errorf("mapAccounts: %v", err))
		}
		for i, a := range accounts {
			if !accountIDRe.MatchString(a) {
				errs = append(errs, fmt.Errorf("mapAccounts[%d]: %q is not a 12-digit account id", i, a))
				continue
			}
			m.accounts[a] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

func skippable(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == `""` || s == "``"
}

// ParseAWSAuthManifest parses a ConfigMap manifest (YAML or JSON, as `kubectl get configmap
// aws-auth -o yaml` prints it), or a bare map of mapRoles/mapUsers/mapAccounts.
func ParseAWSAuthManifest(b []byte) (*AWSAuthMap, error) {
	var cm struct {
		Kind string            `json:"kind"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		return nil, fmt.Errorf("not a ConfigMap manifest: %v", err)
	}
	if cm.Kind != "" && cm.Kind != "ConfigMap" {
		return nil, fmt.Errorf("kind %q: want a ConfigMap", cm.Kind)
	}
	if cm.Kind == "" && cm.Data == nil {
		var bare map[string]string
		if err := yaml.Unmarshal(b, &bare); err != nil {
			return nil, fmt.Errorf("neither a ConfigMap manifest nor a map of mapRoles/mapUsers/mapAccounts: %v", err)
		}
		return ParseAWSAuth(bare)
	}
	return ParseAWSAuth(cm.Data)
}

// lookup finds the mapping of a principal (path-less canonical ARN) of account.
func (m *AWSAuthMap) lookup(canonicalARN, account string) (awsAuthMapping, bool) {
	if mp, ok := m.principals[strings.ToLower(canonicalARN)]; ok {
		if mp.Username == "" {
			mp.Username = canonicalARN
		}
		return mp, true
	}
	if m.accounts[account] {
		return awsAuthMapping{Username: canonicalARN}, true
	}
	return awsAuthMapping{}, false
}

// AWSAuth holds the last good aws-auth mapping of each cluster that has a source.
type AWSAuth struct {
	mu    sync.RWMutex
	byKey map[access.ClusterKey]*awsAuthState

	loads *prometheus.CounterVec
}

type awsAuthState struct {
	current   *AWSAuthMap // nil until a valid ConfigMap was read
	lastError string
	loadedAt  time.Time
}

// NewAWSAuth returns an empty registry and registers its metric.
func NewAWSAuth(reg prometheus.Registerer) *AWSAuth {
	a := &AWSAuth{byKey: map[access.ClusterKey]*awsAuthState{},
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eksaccess_aws_auth_loads_total",
			Help: "aws-auth ConfigMap reads by cluster and result (ok, invalid, deleted).",
		}, []string{"cluster", "result"})}
	if reg != nil {
		reg.MustRegister(a.loads)
	}
	return a
}

// Set installs a valid mapping for a cluster (nil data: the ConfigMap was deleted, which maps
// nobody).
func (a *AWSAuth) Set(key access.ClusterKey, m *AWSAuthMap) {
	result := "ok"
	if m == nil {
		m, result = &AWSAuthMap{}, "deleted"
	}
	a.mu.Lock()
	a.byKey[key] = &awsAuthState{current: m, loadedAt: time.Now()}
	a.mu.Unlock()
	a.loads.WithLabelValues(clusterLabel(key), result).Inc()
}

// Invalid records a ConfigMap that did not parse: the last good mapping stays in force.
func (a *AWSAuth) Invalid(key access.ClusterKey, err error) {
	a.mu.Lock()
	st := a.byKey[key]
	if st == nil {
		st = &awsAuthState{}
		a.byKey[key] = st
	}
	st.lastError = err.Error()
	a.mu.Unlock()
	a.loads.WithLabelValues(clusterLabel(key), "invalid").Inc()
}

// get returns a cluster's mapping, or nil when it has none.
func (a *AWSAuth) get(key access.ClusterKey) *AWSAuthMap {
	if a == nil {
		return nil
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if st := a.byKey[key]; st != nil {
		return st.current
	}
	return nil
}

// Status reports a cluster's mapping: loaded (a valid ConfigMap was read) and the last
// parse error since then ("" when the newest read was valid).
func (a *AWSAuth) Status(key access.ClusterKey) (loaded bool, lastError string) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	st := a.byKey[key]
	if st == nil {
		return false, ""
	}
	return st.current != nil, st.lastError
}
