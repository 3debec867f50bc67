package access

import (
	"errors"

	"github.com/eksaccess/eksaccess/internal/policy"
)

// clusterAdminPolicy is the policy EKS associates with the cluster creator's entry.
const clusterAdminPolicy = "AmazonEKSClusterAdminPolicy"

// recordCreator remembers on a new cluster who created it, when the caller's IAM identity is
// verified (or known from the identities file in open mode). Callers without a known principal
// (open mode, a key in no identities file) get no creator entry.
func recordCreator(cl *Cluster, c Caller) {
	if !cl.BootstrapAdmin || c.PrincipalARN == "" {
		return
	}
	if _, ok := ParsePrincipalARN(c.PrincipalARN); !ok {
		return // root or a federated user cannot be an access entry principal
	}
	cl.Spec.CreatorPrincipalARN = c.PrincipalARN
	cl.Spec.CreatorPrincipalID = c.PrincipalID
}

// createCreatorEntry creates the creator's STANDARD entry with AmazonEKSClusterAdminPolicy at
// cluster scope, as EKS does when a cluster is created in (or switched to) an API mode with
// bootstrapClusterCreatorAdminPermissions. An existing entry for the principal is left alone.
func createCreatorEntry(tx Tx, cl *Cluster, now Millis) error {
	arn := cl.Spec.CreatorPrincipalARN
	if arn == "" || !usesAccessEntries(cl.AuthenticationMode) {
		return nil
	}
	p, ok := ParsePrincipalARN(arn)
	if !ok {
		return nil
	}
	username, groups := defaultIdentity(TypeStandard, p, arn)
	e := &AccessEntry{
		ClusterID:        cl.ID,
		ClusterName:      cl.Name,
		PrincipalARN:     arn,
		ARN:              entryARN(cl, p),
		Type:             TypeStandard,
		Username:         username,
		KubernetesGroups: groups,
		Tags:             map[string]string{},
		CreatedAt:        now,
		ModifiedAt:       now,
		PrincipalID:      cl.Spec.CreatorPrincipalID,
	}
	if err := tx.InsertAccessEntry(e); err != nil {
		if errors.Is(err, ErrAlreadyExists) {
			return nil
		}
		return err
	}
	return tx.PutAssociation(&Association{
		ClusterID: cl.ID, PrincipalARN: arn,
		PolicyARN: policy.PolicyARN(PartitionOf(cl.Region), clusterAdminPolicy),
		ScopeType: string(policy.ScopeCluster), Namespaces: []string{},
		AssociatedAt: now, ModifiedAt: now,
	})
}

// entryARN is an access entry's ARN: the principal's path is left out.
func entryARN(cl *Cluster, p Principal) string {
	return "arn:" + p.Partition + ":eks:" + cl.Region + ":" + cl.Account + ":access-entry/" + cl.Name + "/" + p.Kind + "/" + p.Account + "/" + p.Name + "/" + newUUID()
}
