package access

import (
	"context"
	"errors"

	"github.com/eksaccess/eksaccess/internal/policy"
)

// AccessScopeInput is accessScope as a client sends it.
type AccessScopeInput struct {
	Type       *string  `json:"type"`
	Namespaces []string `json:"namespaces"`
}

// AssociateAccessPolicyInput is an AssociateAccessPolicy request.
type AssociateAccessPolicyInput struct {
	ClusterName  string            `json:"-"`
	PrincipalARN string            `json:"-"`
	PolicyARN    string            `json:"policyArn"`
	AccessScope  *AccessScopeInput `json:"accessScope"`
}

// autoNodePolicy is the one policy EC2 (Auto Mode node) entries accept.
const autoNodePolicy = "AmazonEKSAutoNodePolicy"

// resolvePolicy checks a policy ARN: format first (400), then the catalogue (404).
func resolvePolicy(arn, partition string) (*policy.Policy, error) {
	p, formatOK, found := policy.Lookup(arn, partition)
	if !formatOK {
		return nil, errPolicyFormat()
	}
	if !found {
		return nil, errPolicyNotFound()
	}
	return p, nil
}

// validateScope applies the scope rules the model cannot say (it requires accessScope and
// limits type to cluster and namespace).
func validateScope(in *AccessScopeInput) (string, []string, error) {
	if in.Type == nil || *in.Type == "" {
		return "", nil, MissingParameter("accessScope.type")
	}
	if typ := *in.Type; typ != string(policy.ScopeNamespace) {
		if len(in.Namespaces) > 0 {
			return "", nil, errScopeClusterNamespaces()
		}
		return typ, []string{}, nil
	}
	if len(in.Namespaces) == 0 {
		return "", nil, errScopeNeedsNamespace()
	}
	seen := make(map[string]bool, len(in.Namespaces))
	out := make([]string, 0, len(in.Namespaces))
	for _, ns := range in.Namespaces {
		if !policy.ValidNamespacePattern(ns) {
			return "", nil, errScopeNamespace(ns)
		}
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	return *in.Type, out, nil
}

// AssociateAccessPolicy associates a policy with an entry, or replaces the scope of an
// existing association (associatedAt kept, modifiedAt moved).
func (s *Service) AssociateAccessPolicy(ctx context.Context, c Caller, in AssociateAccessPolicyInput) (*Association, error) {
	pol, err := resolvePolicy(in.PolicyARN, c.Partition())
	if err != nil {
		return nil, err
	}
	scopeType, namespaces, err := validateScope(in.AccessScope)
	if err != nil {
		return nil, err
	}
	var out *Association
	err = s.update(ctx, func(tx Tx) error {
		_, e, err := entry(tx, c, in.ClusterName, in.PrincipalARN)
		if err != nil {
			return err
		}
		if pol.ServiceLinkedRoleOnly {
			return errPolicyServiceLinkedOnly()
		}
		if e.Type != TypeStandard && !(e.Type == TypeEC2 && pol.Name == autoNodePolicy) {
			return errOnlyStandard()
		}
		now := s.nowMillis()
		a := &Association{
			ClusterID: e.ClusterID, PrincipalARN: e.PrincipalARN, PolicyARN: in.PolicyARN,
			ScopeType: scopeType, Namespaces: namespaces, AssociatedAt: now, ModifiedAt: now,
		}
		if old, err := tx.GetAssociation(e.Key(), in.PolicyARN); err == nil {
			a.AssociatedAt = old.AssociatedAt
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := tx.PutAssociation(a); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}

// DisassociateAccessPolicy removes a policy from an entry.
func (s *Service) DisassociateAccessPolicy(ctx context.Context, c Caller, clusterName, principalARN, policyARN string) error {
	// The model declares no InvalidParameterException here: a malformed ARN names no policy.
	if _, formatOK, _ := policy.Lookup(policyARN, c.Partition()); !formatOK {
		return errPolicyNotFound()
	}
	return s.update(ctx, func(tx Tx) error {
		_, e, err := entry(tx, c, clusterName, principalARN)
		if err != nil {
			return err
		}
		err = tx.DeleteAssociation(e.Key(), policyARN)
		if errors.Is(err, ErrNotFound) {
			return errAssociationNotFound(clusterName)
		}
		return err
	})
}

// ListAssociatedAccessPolicies lists an entry's associations ordered by policy ARN.
func (s *Service) ListAssociatedAccessPolicies(ctx context.Context, c Caller, clusterName, principalARN string, p Page) (as []Association, next string, err error) {
	err = s.view(ctx, func(tx Tx) error {
		_, e, err := entry(tx, c, clusterName, principalARN)
		if err != nil {
			return err
		}
		as, next, err = page(p, func(p Page) ([]Association, error) { return tx.ListAssociations(e.Key(), p) },
			func(a Association) string { return a.PolicyARN })
		return err
	})
	return as, next, err
}

// AccessPolicy is one entry of ListAccessPolicies.
type AccessPolicy struct{ Name, ARN string }

// ListAccessPolicies lists the catalogue sorted by name, with ARNs in the caller's partition.
func (s *Service) ListAccessPolicies(_ context.Context, c Caller, p Page) ([]AccessPolicy, string, error) {
	all := policy.List()
	return page(p, func(p Page) ([]AccessPolicy, error) {
		var out []AccessPolicy
		for _, pol := range all {
			if pol.Name > p.After && len(out) < p.Limit {
				out = append(out, AccessPolicy{Name: pol.Name, ARN: policy.PolicyARN(c.Partition(), pol.Name)})
			}
		}
		return out, nil
	}, func(a AccessPolicy) string { return a.Name })
}
