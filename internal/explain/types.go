package explain

import "github.com/eksaccess/eksaccess/internal/policy"

// The query and result types of the explorer. Results are JSON-serializable as they are: the
// API (GET /eksaccess/v1/clusters/{name}/…) returns them unchanged. Changes are additive only.

// Subject names who asks: an IAM principal (user or role ARN, or an assumed-role session ARN),
// or a Kubernetes user with groups (an OIDC user, a service account, any RBAC subject).
// Exactly one of PrincipalARN and User is set.
type Subject struct {
	PrincipalARN string   `json:"principalArn,omitempty"`
	User         string   `json:"user,omitempty"`
	Groups       []string `json:"groups,omitempty"`
}

// Request is one Kubernetes request, as a SubjectAccessReview's attributes: a resource request
// (Resource set) or a non-resource request (Path set).
type Request = policy.Attributes

// ExplainQuery asks why Subject may or may not perform Request.
type ExplainQuery struct {
	Subject
	Request
}

// WhoCanQuery asks who may perform Request.
type WhoCanQuery struct {
	Request
}

// MatrixQuery asks what Subject may do in Namespace ("" is cluster-wide: cluster-scoped
// resources and every namespace).
type MatrixQuery struct {
	Subject
	Namespace string `json:"namespace,omitempty"`
}

// Identity is how a subject maps on the cluster: what kube-apiserver would see after the
// token-review webhook (or another authenticator) authenticated it.
type Identity struct {
	// Mapped is false when the token-review webhook would refuse the principal.
	Mapped bool `json:"mapped"`
	// Via is how: access-entry, aws-auth, cluster-creator, kubernetes-user (given as a user
	// name and groups) or none.
	Via string `json:"via"`
	// Reason says in one line how the principal maps, or why it does not.
	Reason string `json:"reason"`
	// PrincipalARN is the ARN as given; CanonicalARN the path-less IAM user or role ARN it
	// maps as (for a session ARN, its role).
	PrincipalARN string `json:"principalArn,omitempty"`
	CanonicalARN string `json:"canonicalArn,omitempty"`
	SessionName  string `json:"sessionName,omitempty"`
	// AccessEntry is the matching access entry (via access-entry).
	AccessEntry *AccessEntry `json:"accessEntry,omitempty"`
	// Username and Groups are rendered as the webhook renders them; Groups includes
	// system:authenticated, which kube-apiserver adds to every authenticated user.
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups"`
	// Templates notes placeholders that could not be rendered without a session (e.g. a role
	// ARN given without its session name: {{SessionName}} stays as written).
	Templates string `json:"templates,omitempty"`
}

// AccessEntry is the access entry a principal maps through.
type AccessEntry struct {
	PrincipalARN     string   `json:"principalArn"`
	Type             string   `json:"type,omitempty"`
	Username         string   `json:"username,omitempty"`
	KubernetesGroups []string `json:"kubernetesGroups"`
	Associations     int      `json:"associatedPolicies"`
}

// Authorizer is one authorizer of the chain kube-apiserver runs with
// --authorization-mode=Node,RBAC,Webhook, and what it answers.
type Authorizer struct {
	Name string `json:"name"` // Node, RBAC, Webhook (and system:masters, checked first)
	// Decision is allow, no-opinion or not-consulted.
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// Authorizer decisions.
const (
	DecisionAllow        = "allow"
	DecisionNoOpinion    = "no-opinion"
	DecisionNotConsulted = "not-consulted"
)

// PolicyMatch is one access policy associated with the principal's access entry and how it
// meets the request.
type PolicyMatch struct {
	PolicyARN  string   `json:"policyArn"`
	PolicyName string   `json:"policyName,omitempty"`
	ScopeType  string   `json:"scopeType"`
	Namespaces []string `json:"namespaces,omitempty"`
	// ScopeMatches: the scope covers the request (MatchedPattern: the namespace pattern that did).
	ScopeMatches   bool   `json:"scopeMatches"`
	MatchedPattern string `json:"matchedPattern,omitempty"`
	// RuleMatches: a rule of the policy allows the request (RuleIndex, Rule: the first).
	RuleMatches bool         `json:"ruleMatches"`
	RuleIndex   *int         `json:"ruleIndex,omitempty"`
	Rule        *policy.Rule `json:"rule,omitempty"`
	// Grants: scope and rule both match.
	Grants bool   `json:"grants"`
	Reason string `json:"reason"`
}

// Binding is one RBAC RoleBinding or ClusterRoleBinding whose subjects include the subject,
// and whether its role grants the request.
type Binding struct {
	Kind      string `json:"kind"` // RoleBinding or ClusterRoleBinding
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	RoleKind  string `json:"roleKind"` // Role or ClusterRole
	RoleName  string `json:"roleName"`
	// Subject is the matching subject, e.g. "Group dev" or "User alice".
	Subject     string       `json:"subject"`
	Grants      bool         `json:"grants"`
	RuleIndex   *int         `json:"ruleIndex,omitempty"`
	Rule        *policy.Rule `json:"rule,omitempty"`
	Reason      string       `json:"reason"`
	Aggregation []string     `json:"aggregatedFrom,omitempty"` // ClusterRoles an aggregated role selects
}

// Explanation answers an ExplainQuery.
type Explanation struct {
	Cluster string  `json:"cluster"`
	Request Request `json:"request"`
	// Description renders the request, e.g. `delete pods in namespace "prod"`.
	Description string `json:"description"`
	Allowed     bool   `json:"allowed"`
	// Decision is allowed or denied; DecidedBy the authorizer that allowed ("" when denied).
	Decision  string `json:"decision"`
	DecidedBy string `json:"decidedBy,omitempty"`
	// Reason is the verdict in one line.
	Reason      string        `json:"reason"`
	Identity    Identity      `json:"identity"`
	Authorizers []Authorizer  `json:"authorizers"`
	Policies    []PolicyMatch `json:"policies"`
	// RBACConsulted is false when the cluster has no Kubernetes source: the answer is then the
	// access-policy half only, and Notes says so.
	RBACConsulted bool      `json:"rbacConsulted"`
	Bindings      []Binding `json:"bindings"`
	Notes         []string  `json:"notes,omitempty"`
}

// Grant is one thing that grants a request: an access policy association, an RBAC binding, or
// membership of system:masters.
type Grant struct {
	// Kind is AccessPolicy, RBAC or SystemMasters.
	Kind string `json:"kind"`
	// Summary is one line, e.g. "AmazonEKSEditPolicy (namespace scope \"prod\") rule 3" or
	// "ClusterRoleBinding/ops → ClusterRole/admin rule 0".
	Summary    string `json:"summary"`
	PolicyARN  string `json:"policyArn,omitempty"`
	ScopeType  string `json:"scopeType,omitempty"`
	Binding    string `json:"binding,omitempty"` // Kind/[namespace/]name
	Role       string `json:"role,omitempty"`    // Kind/[namespace/]name
	RuleIndex  *int   `json:"ruleIndex,omitempty"`
	Subject    string `json:"subject,omitempty"` // the RBAC subject that matched
	Authorizer string `json:"authorizer"`        // RBAC, Webhook or system:masters
}

// Who is one principal or group that may perform a who-can request.
type Who struct {
	// Kind: IAMPrincipal (an access entry), AWSAuthMapping, ClusterCreator, User, Group or
	// ServiceAccount (RBAC subjects).
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Username and Groups are the mapped Kubernetes identity of an IAM principal.
	Username  string   `json:"username,omitempty"`
	Groups    []string `json:"groups,omitempty"`
	GrantedBy []Grant  `json:"grantedBy"`
}

// WhoCanResult answers a WhoCanQuery.
type WhoCanResult struct {
	Cluster       string   `json:"cluster"`
	Request       Request  `json:"request"`
	Description   string   `json:"description"`
	RBACConsulted bool     `json:"rbacConsulted"`
	Principals    []Who    `json:"principals"`
	Notes         []string `json:"notes,omitempty"`
}

// MatrixCell is one verb on one resource.
type MatrixCell struct {
	Verb    string `json:"verb"`
	Allowed bool   `json:"allowed"`
	// By is what grants it ("" when denied).
	By    string `json:"by,omitempty"`
	Grant *Grant `json:"grant,omitempty"`
}

// MatrixRow is one resource.
type MatrixRow struct {
	Resource   string       `json:"resource"`
	APIGroup   string       `json:"apiGroup"`
	Namespaced bool         `json:"namespaced"`
	Cells      []MatrixCell `json:"cells"`
}

// Matrix answers a MatrixQuery: the common resources against MatrixVerbs.
type Matrix struct {
	Cluster       string      `json:"cluster"`
	Namespace     string      `json:"namespace,omitempty"`
	Identity      Identity    `json:"identity"`
	RBACConsulted bool        `json:"rbacConsulted"`
	Verbs         []string    `json:"verbs"`
	Rows          []MatrixRow `json:"rows"`
	Notes         []string    `json:"notes,omitempty"`
}

// MatrixVerbs are the matrix's columns.
var MatrixVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete"}
