package access

import (
	"fmt"
	"strings"
)

// Error is an EKS API error: the exception name the wire layer puts in x-amzn-ErrorType, its
// HTTP status, the message, and the modeled members that AWS fills in.
type Error struct {
	Code        string
	Status      int
	Message     string
	ClusterName string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Exception names and their HTTP statuses, as the EKS model declares them.
const (
	CodeInvalidParameter    = "InvalidParameterException"
	CodeInvalidRequest      = "InvalidRequestException"
	CodeResourceNotFound    = "ResourceNotFoundException"
	CodeResourceInUse       = "ResourceInUseException"
	CodeResourceLimit       = "ResourceLimitExceededException"
	CodeServer              = "ServerException"
	CodeServiceUnavailable  = "ServiceUnavailableException"
	CodeBadRequest          = "BadRequestException"
	CodeNotFound            = "NotFoundException"
	CodeSerialization       = "SerializationException"
	CodeClient              = "ClientException"
	CodeUnknownOperation    = "UnknownOperationException"
	CodeRequestTooLarge     = "RequestEntityTooLargeException"
	CodeMissingAuthToken    = "MissingAuthenticationTokenException"
	CodeAccessDenied        = "AccessDeniedException"
	CodeUnrecognizedClient  = "UnrecognizedClientException"
	CodeInvalidSignature    = "InvalidSignatureException"
	CodeExpiredToken        = "ExpiredTokenException"
	CodeThrottling          = "ThrottlingException"
	CodeInternalFailure     = "InternalFailure"
	CodeIdempotencyMismatch = CodeInvalidParameter
)

var statusOf = map[string]int{
	CodeInvalidParameter:   400,
	CodeInvalidRequest:     400,
	CodeResourceNotFound:   404,
	CodeResourceInUse:      409,
	CodeResourceLimit:      400,
	CodeServer:             500,
	CodeServiceUnavailable: 503,
	CodeBadRequest:         400,
	CodeNotFound:           404,
	CodeSerialization:      400,
	CodeClient:             400,
	CodeUnknownOperation:   404,
	CodeRequestTooLarge:    413,
	CodeMissingAuthToken:   403,
	CodeAccessDenied:       403,
	CodeUnrecognizedClient: 403,
	CodeInvalidSignature:   403,
	CodeExpiredToken:       403,
	CodeThrottling:         429,
	CodeInternalFailure:    500,
}

// NewError builds an error with the status of its exception.
func NewError(code, msg string) *Error {
	st, ok := statusOf[code]
	if !ok {
		st = 400
	}
	return &Error{Code: code, Status: st, Message: msg}
}

// ErrServiceUnavailable answers a request the database cannot serve now (503). // chosen
func ErrServiceUnavailable() *Error {
	return NewError(CodeServiceUnavailable, "The service is unavailable. Try again later.")
}

func newErrorf(code, format string, args ...any) *Error {
	return NewError(code, fmt.Sprintf(format, args...))
}

func (e *Error) withCluster(name string) *Error { e.ClusterName = name; return e }

// InvalidParameter is an InvalidParameterException with the given message.
func InvalidParameter(format string, args ...any) *Error {
	return newErrorf(CodeInvalidParameter, format, args...)
}

// Every EKS error message lives below, once. Messages marked "chosen" are ours where AWS's
// wording is not public (see the list of choices in docs/reference.md).

func errClusterNotFound(name string) *Error {
	return newErrorf(CodeResourceNotFound, "No cluster found for name: %s.", name).withCluster(name)
}

func errClusterExists(name string) *Error {
	return newErrorf(CodeResourceInUse, "Cluster already exists with name: %s", name).withCluster(name)
}

func errModeNotAPI(cluster string) *Error {
	return NewError(CodeInvalidRequest, "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.").withCluster(cluster)
}

func errEntryInUse(cluster string) *Error {
	return NewError(CodeResourceInUse, "The specified access entry resource is already in use on this cluster.").withCluster(cluster)
}

func errEntryNotFound(cluster string) *Error {
	return NewError(CodeResourceNotFound, "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.").withCluster(cluster)
}

func errPrincipalFormat() *Error {
	return NewError(CodeInvalidParameter, "The principalArn parameter format is not valid")
}

// ErrInvalidPrincipal is returned when principalArn names no existing IAM principal.
func ErrInvalidPrincipal() *Error {
	return NewError(CodeInvalidParameter, "The specified principalArn is invalid: invalid principal.")
}

func errServiceLinkedRole() *Error {
	return NewError(CodeInvalidParameter, "The caller is not allowed to modify access entries with a principalArn value of a Service Linked Role")
}

const nodeTypesList = "[EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX, EC2]"

func errNodeTypeNeedsRole() *Error {
	return InvalidParameter("AccessEntry principalArn must be IAM role when using types %s", nodeTypesList)
}

func errNodeTypeSameAccount() *Error {
	return InvalidParameter("AccessEntry principalArn must be from the same account as the cluster when using types %s", nodeTypesList)
}

func errUsernameNotAllowed(typ string) *Error {
	return InvalidParameter("The specified username is invalid: setting username is not allowed when the type is %q", typ)
}

func errGroupsNotAllowed(typ string) *Error {
	return InvalidParameter("The specified kubernetesGroups is invalid: setting kubernetesGroups is not allowed when the type is %q", typ)
}

func errUsernamePrefix(prefix string) *Error {
	return InvalidParameter("The username must not begin with %s", prefix)
}

// chosen
func errUsernameSessionColon() *Error {
	return InvalidParameter("The specified username is invalid: {{SessionName}} and {{SessionNameRaw}} must be preceded by a colon (:) in the username")
}

// chosen
func errUsernameEmpty() *Error {
	return InvalidParameter("The specified username is invalid: the username must not be empty")
}

func errGroupPrefix(group, prefix string) *Error {
	return InvalidParameter("The kubernetes group name %s is invalid, it cannot start with %s", group, prefix)
}

// chosen
func errGroupEmpty() *Error {
	return InvalidParameter("The kubernetes group name is invalid, it must not be empty")
}

// chosen
func errInvalidType(typ string) *Error {
	return InvalidParameter("The specified type %q is invalid. Valid types are [STANDARD, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX, EC2, HYPERPOD_LINUX]", typ)
}

func errOnlyStandard() *Error {
	return InvalidParameter("This operation can only be performed on Access Entries with a type of \"STANDARD\".")
}

func errBootstrapConfigMap() *Error {
	return InvalidParameter("bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP")
}

func errClientTokenLength() *Error {
	return InvalidParameter("The client request token parameter must be between 33 and 126 characters.")
}

// chosen
func errIdempotencyMismatch() *Error {
	return InvalidParameter("The clientRequestToken has already been used for a request with different parameters. Use a new clientRequestToken for a different request.")
}

// MissingParameter reports a member the domain needs that the request lacks (chosen).
func MissingParameter(name string) *Error { return ErrRequired(CodeInvalidParameter, name) }

// chosen
func errRoleARN(arn string) *Error {
	return InvalidParameter("The specified roleArn %q is not a valid IAM role ARN", arn)
}

// chosen
func errVersion(v string) *Error {
	return InvalidParameter("The specified Kubernetes version %q is not supported", v)
}

// Requests that break their operation's input shape in the EKS model (the validator in
// internal/eksapi). code is the exception the operation declares for them
// (model.Operation.ValidationError); member is the member's path, e.g. logging.clusterLogging[0].types[1].

// ErrRequired: a required member is missing (chosen).
func ErrRequired(code, member string) *Error {
	return newErrorf(code, "The request must contain the parameter %s", member)
}

// ErrEnum: a value outside the member's enum (chosen).
func ErrEnum(code, member, value string, valid []string) *Error {
	return newErrorf(code, "The specified %s %q is invalid. Valid values are [%s]", member, value, strings.Join(valid, ", "))
}

// ErrPattern: a string that does not match the member's pattern; EKS's wording for names.
func ErrPattern(code, member, pattern string) *Error {
	return newErrorf(code, "The parameter %s contains invalid characters. It should conform to the regular expression \"%s\"", member, pattern)
}

// ErrBounds: a length, count or number outside the member's min/max (chosen). unit is
// "characters", "items" or "entries", or "" for a number. min or max may be nil.
func ErrBounds(code, member, unit string, min, max *float64) *Error {
	var rng string
	var last int64 // the number the unit follows
	switch {
	case min != nil && max != nil:
		rng, last = fmt.Sprintf("between %d and %d", int64(*min), int64(*max)), int64(*max)
	case min != nil:
		rng, last = fmt.Sprintf("at least %d", int64(*min)), int64(*min)
	default:
		rng, last = fmt.Sprintf("at most %d", int64(*max)), int64(*max)
	}
	if unit == "" {
		return newErrorf(code, "%s must be %s", member, rng)
	}
	if one, ok := singularUnits[unit]; ok && last == 1 { // "at most 1 item", "at least 1 entry"
		unit = one
	}
	return newErrorf(code, "%s must have %s %s", member, rng, unit)
}

var singularUnits = map[string]string{"characters": "character", "items": "item", "entries": "entry"}

// ErrNotNumber: a query-string member of a numeric shape that is not a number (chosen).
func ErrNotNumber(code, member, value string) *Error {
	return newErrorf(code, "The specified %s %q is not a valid number", member, value)
}

// ErrNextToken is returned for a nextToken this server did not issue (chosen).
func ErrNextToken(code string) *Error {
	return NewError(code, "The nextToken provided is invalid")
}

// ErrIncludeValue: ListClusters' include takes only "all" (the model's documentation; chosen wording).
func ErrIncludeValue(value string) *Error {
	return ErrEnum(CodeInvalidParameter, "include", value, []string{"all"})
}

func errTooManyTags() *Error {
	return InvalidParameter("The number of tags must not exceed 50")
}

func errTagReserved(k string) *Error {
	return InvalidParameter("Tag key %q is invalid: the aws: prefix is reserved for AWS use", k)
}

// reservedPrefixes are the username and group prefixes EKS reserves.
var reservedPrefixes = []string{"system:", "eks:", "aws:", "amazon:", "iam:"}

// ReservedPrefix reports the reserved prefix s begins with, if any: usernames and Kubernetes
// groups of access entries may not begin with one, nor may the names the webhook renders.
func ReservedPrefix(s string) (string, bool) {
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(s, p) {
			return p, true
		}
	}
	return "", false
}

// Access policies and associations.

func errPolicyFormat() *Error {
	return InvalidParameter("The policyArn parameter format is not valid")
}

func errPolicyNotFound() *Error {
	return NewError(CodeResourceNotFound, "The specified policyArn could not be found.")
}

func errPolicyServiceLinkedOnly() *Error {
	return InvalidParameter("The specified policyArn can only be associated with service-linked roles")
}

func errScopeClusterNamespaces() *Error {
	return InvalidParameter("accessScope should not include namespaces if the type is not set as namespace")
}

func errScopeNeedsNamespace() *Error {
	return InvalidParameter("At least 1 namespace must be provided if the type is set as namespace")
}

// chosen
func errScopeNamespace(ns string) *Error {
	return InvalidParameter("The namespace %q in accessScope is invalid: use a Kubernetes namespace name, optionally ending with a single * wildcard", ns)
}

// chosen
func errAssociationNotFound(cluster string) *Error {
	return NewError(CodeResourceNotFound, "The specified policyArn is not associated with this access entry.").withCluster(cluster)
}

// Identity provider configs, updates, tags.

// errDeleteUpdateInProgress: EKS's wording (public issue threads, e.g. aws/containers-roadmap#1511).
func errDeleteUpdateInProgress(cluster string) *Error {
	return newErrorf(CodeResourceInUse, "Cannot delete because cluster %s currently has an update in progress", cluster).withCluster(cluster)
}

// errDeletionProtected: the exception is EKS's (user guide, "Protect EKS clusters from
// accidental deletion"); the wording is chosen.
func errDeletionProtected(cluster string) *Error {
	return newErrorf(CodeInvalidRequest, "Cannot delete cluster %s because deletion protection is enabled. Disable deletion protection with UpdateClusterConfig first.", cluster).withCluster(cluster)
}

func errUpdateInProgress(updateType, cluster, updateID string) *Error {
	return newErrorf(CodeResourceInUse, "Cannot %s because cluster %s currently has update %s in progress", updateType, cluster, updateID).withCluster(cluster)
}

func errUnsupportedModeUpdate(cluster, from, to string) *Error {
	return InvalidParameter("Unsupported authentication mode update from %s to %s", from, to).withCluster(cluster)
}

func errOnlyOneUpdateType(cluster string) *Error {
	return InvalidParameter("Only one type of update can be allowed.").withCluster(cluster)
}

// chosen
func errNothingToUpdate(cluster string) *Error {
	return InvalidParameter("The request must contain one of the parameters resourcesVpcConfig, logging, accessConfig, upgradePolicy, zonalShiftConfig, computeConfig, kubernetesNetworkConfig, storageConfig, remoteNetworkConfig, deletionProtection or controlPlaneScalingConfig").withCluster(cluster)
}

// errNoChangesNeeded: confirmed for "logging config"; the same wording is used (chosen) for
// the other kinds of cluster update.
func errNoChangesNeeded(cluster, what string) *Error {
	return InvalidParameter("No changes needed for the %s provided", what).withCluster(cluster)
}

func errEndpointNoChange(cluster string, private, public bool, cidrs []string) *Error {
	return InvalidParameter("Cluster is already at the desired configuration with endpointPrivateAccess: %t , endpointPublicAccess: %t, and Public Endpoint Restrictions: [%s]", private, public, strings.Join(cidrs, ", ")).withCluster(cluster)
}

// chosen
func errEndpointAllDisabled(cluster string) *Error {
	return InvalidParameter("The cluster endpoint must keep public access, private access or both enabled: endpointPublicAccess and endpointPrivateAccess cannot both be false").withCluster(cluster)
}

// chosen
func errInvalidCIDR(member, cidr string) *Error {
	return InvalidParameter("The specified %s value %q is not a valid IPv4 CIDR block", member, cidr)
}

// chosen
func errTooFewSubnets(cluster string) *Error {
	return InvalidParameter("Subnets specified must be at least two, in different Availability Zones").withCluster(cluster)
}

func errInvalidValue(member, value string, valid []string) *Error {
	return ErrEnum(CodeInvalidParameter, member, value, valid)
}

// chosen
func errAutoModeMismatch(cluster string) *Error {
	return InvalidParameter("To enable or disable EKS Auto Mode, computeConfig.enabled, kubernetesNetworkConfig.elasticLoadBalancing.enabled and storageConfig.blockStorage.enabled must all be set to the same value").withCluster(cluster)
}

// chosen
func errImmutableMember(cluster, member string) *Error {
	return InvalidParameter("%s cannot be changed after the cluster is created", member).withCluster(cluster)
}

// chosen
func errNodeRoleRequired(cluster string) *Error {
	return InvalidParameter("computeConfig.nodeRoleArn is required when computeConfig.nodePools is not empty").withCluster(cluster)
}

// chosen
func errUpdateNotFound(cluster, id string) *Error {
	return newErrorf(CodeResourceNotFound, "No update found for ID: %s", id).withCluster(cluster)
}

// chosen (moto's wording)
func errNodegroupNotFound(cluster, name string) *Error {
	return newErrorf(CodeResourceNotFound, "No node group found for name: %s.", name).withCluster(cluster)
}

// chosen
func errAddonNotFound(cluster, name string) *Error {
	return newErrorf(CodeResourceNotFound, "No addon: %s found in cluster: %s", name, cluster).withCluster(cluster)
}

// chosen
func errCapabilityNotFound(cluster, name string) *Error {
	return newErrorf(CodeResourceNotFound, "No capability found for name: %s.", name).withCluster(cluster)
}

func errIdPConfigNotFound(cluster, typ, name string) *Error {
	return newErrorf(CodeResourceNotFound, "No config found for cluster: %s, config type: %s, config name: %s", cluster, typ, name).withCluster(cluster)
}

func errIdPNotAssociated(cluster string) *Error {
	return newErrorf(CodeInvalidRequest, "Identity provider config is not associated with cluster %s", cluster).withCluster(cluster)
}

// chosen
func errIdPConfigExists(cluster, name string) *Error {
	return newErrorf(CodeResourceInUse, "An identity provider config with name %s is already associated with cluster %s", name, cluster).withCluster(cluster)
}

func errIdPIssuerIsClusterIssuer(cluster string) *Error {
	return InvalidParameter("Incorrect Identity Provider URL configuration. The Identity Provider URL cannot be same as OpenID Connect (OIDC) issuer URL").withCluster(cluster)
}

// chosen
func errIdPIssuerURL(url string) *Error {
	return InvalidParameter("The specified issuerUrl %q is invalid: it must be an https:// URL with a host and without query string or fragment", url)
}

// chosen
func errIdPIssuerInUse(cluster, url string) *Error {
	return InvalidParameter("The specified issuerUrl %s is already used by another identity provider config of cluster %s", url, cluster).withCluster(cluster)
}

// chosen
func errIdPPrefixReserved(member string) *Error {
	return InvalidParameter("The specified %s is invalid: it must not contain system:", member)
}

// chosen
func errIdPType(typ string) *Error {
	return InvalidParameter("The specified identity provider config type %q is not supported. Valid types are [oidc]", typ)
}

// chosen
func errIdPName(name string) *Error {
	return InvalidParameter("The specified identityProviderConfigName %q is invalid: it must be 1 to 100 characters, start with an alphanumeric character and contain only alphanumeric characters, hyphens, underscores and periods", name)
}

// chosen
func errIdPEmptyMember(member string) *Error {
	return InvalidParameter("The specified %s is invalid: it must not be empty", member)
}

// chosen
func errIdPLimit(cluster string, max int) *Error {
	return newErrorf(CodeInvalidRequest, "Cluster %s already has the maximum number of identity provider configs (%d) for its Kubernetes version", cluster, max).withCluster(cluster)
}

// chosen
func errTagResourceARN(arn string) *Error {
	return newErrorf(CodeBadRequest, "The specified resourceArn %q is not a valid Amazon EKS resource ARN", arn)
}

// chosen (moto says "Resource was not found")
func errTagResourceNotFound(arn string) *Error {
	return newErrorf(CodeNotFound, "Resource was not found: %s", arn)
}

// asBadRequest renders a tag-rule error as the tagging operations declare it.
func asBadRequest(e *Error) *Error {
	if e == nil {
		return nil
	}
	return &Error{Code: CodeBadRequest, Status: statusOf[CodeBadRequest], Message: e.Message, ClusterName: e.ClusterName}
}
