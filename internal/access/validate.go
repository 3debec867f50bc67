package access

import (
	"regexp"
	"strings"
)

// Principal is a parsed IAM user or role ARN.
type Principal struct {
	Partition string
	Account   string
	Kind      string // "user" or "role"
	Path      string // "/" or "/a/b/"
	Name      string
}

var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-iso-b": true,
	"aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

var (
	accountRe  = regexp.MustCompile(`^[0-9]{12}$`)
	iamNameRe  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	versionRe  = regexp.MustCompile(`^1\.[0-9]{1,2}$`)
	sessionTpl = []string{"{{SessionName}}", "{{SessionNameRaw}}"}
)

// ParsePrincipalARN parses arn:<partition>:iam::<account>:(user|role)/<path/><name>.
// It accepts IAM users and roles only: STS assumed-role ARNs, root and groups are refused.
func ParsePrincipalARN(s string) (Principal, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !partitions[parts[1]] || parts[2] != "iam" || parts[3] != "" || !accountRe.MatchString(parts[4]) {
		return Principal{}, false
	}
	res := parts[5]
	kind, rest, ok := strings.Cut(res, "/")
	if !ok || (kind != "user" && kind != "role") {
		return Principal{}, false
	}
	i := strings.LastIndexByte(rest, '/')
	path, name := "/", rest
	if i >= 0 {
		path, name = "/"+rest[:i+1], rest[i+1:]
	}
	if !iamNameRe.MatchString(name) || len(path) > 512 || strings.Contains(path, "//") {
		return Principal{}, false
	}
	for _, r := range path {
		if r < 0x21 || r > 0x7e {
			return Principal{}, false
		}
	}
	return Principal{Partition: parts[1], Account: parts[4], Kind: kind, Path: path, Name: name}, true
}

// ServiceLinked reports whether the principal is a service-linked role.
func (p Principal) ServiceLinked() bool {
	return p.Kind == "role" && strings.HasPrefix(p.Path, "/aws-service-role/")
}

// PathlessARN is the ARN without its IAM path, as STS and the authenticator see roles.
func (p Principal) PathlessARN() string {
	return "arn:" + p.Partition + ":iam::" + p.Account + ":" + p.Kind + "/" + p.Name
}

var entryTypes = map[string]bool{
	TypeStandard: true, TypeEC2Linux: true, TypeEC2Windows: true, TypeFargateLinux: true,
	TypeHybridLinux: true, TypeEC2: true, TypeHyperpodLinux: true,
}

// nodeTypes must name an IAM role of the cluster's own account.
var nodeTypes = map[string]bool{
	TypeEC2Linux: true, TypeEC2Windows: true, TypeFargateLinux: true, TypeHybridLinux: true, TypeEC2: true,
}

// defaultIdentity is the username and groups EKS generates for an entry.
func defaultIdentity(typ string, p Principal, principalARN string) (string, []string) {
	switch typ {
	case TypeStandard:
		if p.Kind == "user" {
			return principalARN, []string{}
		}
		return "arn:" + p.Partition + ":sts::" + p.Account + ":assumed-role/" + p.Name + "/{{SessionName}}", []string{}
	case TypeEC2Linux, TypeEC2Windows, TypeHyperpodLinux:
		return "system:node:{{EC2PrivateDNSName}}", []string{"system:nodes"}
	case TypeFargateLinux, TypeHybridLinux:
		return "system:node:{{SessionName}}", []string{"system:nodes"}
	case TypeEC2:
		return "system:node:{{EC2PrivateDNSName}}", []string{}
	}
	return "", []string{}
}

func validateUsername(u string) *Error {
	if u == "" {
		return errUsernameEmpty()
	}
	if p, bad := ReservedPrefix(u); bad {
		return errUsernamePrefix(p)
	}
	first := -1
	for _, t := range sessionTpl {
		if i := strings.Index(u, t); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first >= 0 && !strings.Contains(u[:first], ":") {
		return errUsernameSessionColon()
	}
	return nil
}

func validateGroups(gs []string) *Error {
	for _, g := range gs {
		if g == "" {
			return errGroupEmpty()
		}
		if p, bad := ReservedPrefix(g); bad {
			return errGroupPrefix(g, p)
		}
	}
	return nil
}

// ValidateTags refuses the reserved aws: prefix. The TagMap's count and length limits are the
// model's, checked before the domain sees a request (internal/eksapi).
func ValidateTags(tags map[string]string) *Error {
	for k := range tags {
		if reservedTagKey(k) {
			return errTagReserved(k)
		}
	}
	return nil
}

// usesAccessEntries reports whether a cluster in this mode serves access-entry operations.
func usesAccessEntries(mode string) bool {
	return mode == ModeAPI || mode == ModeAPIAndConfigMap
}

func cloneTags(t map[string]string) map[string]string {
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}
