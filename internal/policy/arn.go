package policy

import "strings"

// partitions are the AWS partitions ParseARN accepts.
var partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

const arnResourcePrefix = "cluster-access-policy/"

// KnownPartition reports whether p is an AWS partition an access policy
// ARN may name.
func KnownPartition(p string) bool {
	for _, q := range partitions {
		if p == q {
			return true
		}
	}
	return false
}

// PolicyARN returns the ARN of the access policy name in partition:
// arn:<partition>:eks::aws:cluster-access-policy/<name>.
func PolicyARN(partition, name string) string {
	return "arn:" + partition + ":eks::aws:" + arnResourcePrefix + name
}

// arnParts is an ARN shaped like a cluster access policy ARN:
// arn:<partition>:eks:<region>:<account>:cluster-access-policy/<name>.
type arnParts struct {
	partition, region, account, name string
}

// splitPolicyARN checks the loose shape
//
//	arn:<partition>:eks:<region>:<account>:cluster-access-policy/<name>
//
// where partition is non-empty, partition, region and account use only
// [a-z0-9-] (region and account may be empty) and name is [A-Za-z0-9]+.
func splitPolicyARN(arn string) (arnParts, bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[2] != "eks" || !strings.HasPrefix(f[5], arnResourcePrefix) {
		return arnParts{}, false
	}
	p := arnParts{partition: f[1], region: f[3], account: f[4], name: f[5][len(arnResourcePrefix):]}
	if p.partition == "" || !lowerAlnumDash(p.partition) || !lowerAlnumDash(p.region) ||
		!lowerAlnumDash(p.account) || !validPolicyName(p.name) {
		return arnParts{}, false
	}
	return p, true
}

// ParseARN checks that arn has the canonical access policy ARN format
//
//	arn:<partition>:eks::aws:cluster-access-policy/<Name>
//
// with an empty region, the literal account "aws", partition one of aws,
// aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc, and
// Name made of [A-Za-z0-9]+. It returns the partition and name, or ok=false
// (and empty strings) when the format is not that. Whether a policy of that
// name exists is not checked: see Lookup.
func ParseARN(arn string) (partition, name string, ok bool) {
	p, ok := splitPolicyARN(arn)
	if !ok || !KnownPartition(p.partition) || p.region != "" || p.account != "aws" {
		return "", "", false
	}
	return p.partition, p.name, true
}

// Lookup resolves a policy ARN the way AssociateAccessPolicy does on a
// server in partition (normally "aws"; "" means "aws").
//
// EKS tells two failures apart, and so does Lookup:
//
//   - formatOK=false ("The policyArn parameter format is not valid", 400):
//     the string is not shaped like an EKS cluster access policy ARN at all,
//     i.e. it is not arn:<partition>:eks:<region>:<account>:cluster-access-policy/<Name>
//     with <partition> non-empty, <partition>, <region> and <account> made
//     of [a-z0-9-] (region and account may be empty) and <Name> made of
//     [A-Za-z0-9]+. An IAM policy ARN (arn:aws:iam::aws:policy/X), a random
//     string, another eks resource type, an empty name or a name with other
//     characters are format errors.
//   - formatOK=true, found=false ("The specified policyArn could not be
//     found.", 404): the shape holds but the ARN names no policy here: a
//     typo'd or unknown name, a partition other than the server's (known or
//     not), a non-empty region, or an account field other than "aws" (e.g.
//     arn:aws:eks:::cluster-access-policy/X, account empty).
//
// Otherwise it returns the catalogued policy (shared; do not mutate), which
// may be one that ListAccessPolicies does not report (Policy.Listed false).
// ParseARN is stricter than formatOK: it accepts only the canonical form.
func Lookup(arn, partition string) (p *Policy, formatOK, found bool) {
	if partition == "" {
		partition = "aws"
	}
	parts, ok := splitPolicyARN(arn)
	if !ok {
		return nil, false, false
	}
	if parts.partition != partition || parts.region != "" || parts.account != "aws" {
		return nil, true, false
	}
	p, found = ByName(parts.name)
	return p, true, found
}

// validPolicyName reports whether s is a non-empty [A-Za-z0-9]+.
func validPolicyName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// lowerAlnumDash reports whether s uses only [a-z0-9-] (s may be empty).
func lowerAlnumDash(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
