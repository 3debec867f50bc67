package kubeauth

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/yamldoc"
	"github.com/prometheus/client_golang/prometheus"
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
// Errors give the line within the data key and the field path (`line 3: mapRoles[1].rolearn: …`).
func ParseAWSAuth(data map[string]string) (*AWSAuthMap, error) {
	return parseAWSAuth(data, func(key, raw string) (*yamldoc.Doc, error) { return yamldoc.Parse("", []byte(raw)) })
}

// parseAWSAuth parses data; doc parses the YAML document of one data key.
func parseAWSAuth(data map[string]string, doc func(key, raw string) (*yamldoc.Doc, error)) (*AWSAuthMap, error) {
	m := &AWSAuthMap{principals: map[string]awsAuthMapping{}, accounts: map[string]bool{}}
	var errs []error
	for _, key := range []string{"mapRoles", "mapUsers"} {
		raw := data[key]
		if skippable(raw) {
			continue
		}
		d, err := doc(key, raw)
		var items []awsAuthItem
		if err == nil {
			err = d.Decode(&items, false) // aws-iam-authenticator ignores unknown keys too
		}
		if err != nil {
			errs = append(errs, prefixPath(key, err))
			continue
		}
		for i, it := range items {
			arn, field, kind := it.RoleARN, "rolearn", "role"
			if key == "mapUsers" {
				arn, field, kind = it.UserARN, "userarn", "user"
			}
			p, ok := access.ParsePrincipalARN(strings.TrimSpace(arn))
			if !ok || p.Kind != kind {
				errs = append(errs, &yamldoc.Error{File: d.File(), Line: d.Line(fmt.Sprintf("[%d].%s", i, field)), Path: fmt.Sprintf("%s[%d].%s", key, i, field), Msg: fmt.Sprintf("%q is not an IAM %s ARN", arn, kind)})
				continue
			}
			m.principals[strings.ToLower(p.PathlessARN())] = awsAuthMapping{Username: it.Username, Groups: it.Groups}
		}
	}
	if raw := data["mapAccounts"]; !skippable(raw) {
		d, err := doc("mapAccounts", raw)
		var accounts []string
		if err == nil {
			err = d.Decode(&accounts, false)
		}
		if err != nil {
			errs = append(errs, prefixPath("mapAccounts", err))
		}
		for i, a := range accounts {
			if !accountIDRe.MatchString(a) {
				errs = append(errs, &yamldoc.Error{File: d.File(), Line: d.Line(fmt.Sprintf("[%d]", i)), Path: fmt.Sprintf("mapAccounts[%d]", i), Msg: fmt.Sprintf("%q is not a 12-digit account id", a)})
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

// prefixPath puts the data key in front of the field path of an error of its document.
func prefixPath(key string, err error) error {
	var e *yamldoc.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", key, err)
	}
	c := *e
	c.Path = key + c.Path
	return &c
}

func skippable(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == `""` || s == "``"
}

// ParseAWSAuthManifest parses a ConfigMap manifest (YAML or JSON, as `kubectl get configmap
// aws-auth -o yaml` prints it), or a bare map of mapRoles/mapUsers/mapAccounts.
func ParseAWSAuthManifest(b []byte) (*AWSAuthMap, error) { return ParseAWSAuthFile("", b) }

// ParseAWSAuthFile is ParseAWSAuthManifest for the file named file: errors give its name and
// their line in it (`aws-auth.yaml:14: mapRoles[1].rolearn: …`).
func ParseAWSAuthFile(file string, b []byte) (*AWSAuthMap, error) {
	doc, err := yamldoc.Parse(file, b)
	if err != nil {
		return nil, err
	}
	var cm struct {
		Kind string            `json:"kind"`
		Data map[string]string `json:"data"`
	}
	if err := doc.Decode(&cm, false); err != nil {
		return nil, err
	}
	if cm.Kind != "" && cm.Kind != "ConfigMap" {
		return nil, doc.Locate(fmt.Errorf("kind: %q: want a ConfigMap", cm.Kind))
	}
	prefix := "data."
	if cm.Kind == "" && cm.Data == nil {
		prefix = ""
		if err := doc.Decode(&cm.Data, false); err != nil {
			return nil, fmt.Errorf("neither a ConfigMap manifest nor a map of mapRoles/mapUsers/mapAccounts: %w", err)
		}
	}
	return parseAWSAuth(cm.Data, func(key, raw string) (*yamldoc.Doc, error) { return doc.Embedded(prefix+key, []byte(raw)) })
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
