package access

import (
	"context"
	"errors"

	"github.com/eksaccess/eksaccess/internal/policy"
)

// CreateAccessEntryInput is a CreateAccessEntry request.
type CreateAccessEntryInput struct {
	ClusterName        string            `json:"-"`
	PrincipalARN       string            `json:"principalArn"`
	KubernetesGroups   []string          `json:"kubernetesGroups"`
	Tags               map[string]string `json:"tags"`
	ClientRequestToken string            `json:"clientRequestToken"`
	Username           *string           `json:"username"`
	Type               *string           `json:"type"`
}

// UpdateAccessEntryInput is an UpdateAccessEntry request: given members replace the entry's.
type UpdateAccessEntryInput struct {
	ClusterName        string    `json:"-"`
	PrincipalARN       string    `json:"-"`
	KubernetesGroups   *[]string `json:"kubernetesGroups"`
	ClientRequestToken string    `json:"clientRequestToken"`
	Username           *string   `json:"username"`
}

// PrincipalResolver finds the IAM unique id of a principal. It returns ErrInvalidPrincipal's
// error when the principal does not exist. A nil resolver (open mode) accepts every ARN.
type PrincipalResolver func(ctx context.Context, p Principal, arn string) (principalID string, err error)

// SetPrincipalResolver installs the IAM lookup used by CreateAccessEntry.
func (s *Service) SetPrincipalResolver(r PrincipalResolver) { s.resolve = r }

// CreateAccessEntry creates an access entry for an IAM principal.
func (s *Service) CreateAccessEntry(ctx context.Context, c Caller, in CreateAccessEntryInput) (*AccessEntry, error) {
	typ := TypeStandard
	if in.Type != nil && *in.Type != "" {
		typ = *in.Type
	}
	if !entryTypes[typ] {
		return nil, errInvalidType(typ)
	}
	p, ok := ParsePrincipalARN(in.PrincipalARN)
	if !ok || p.Partition != c.Partition() {
		return nil, errPrincipalFormat()
	}
	if p.ServiceLinked() {
		return nil, errServiceLinkedRole()
	}
	if nodeTypes[typ] {
		if p.Kind != "role" {
			return nil, errNodeTypeNeedsRole()
		}
		if p.Account != c.Account {
			return nil, errNodeTypeSameAccount()
		}
	}
	username, groups := defaultIdentity(typ, p, in.PrincipalARN)
	if in.Username != nil && *in.Username != "" {
		if err := validateUsername(*in.Username); err != nil {
			return nil, err
		}
		if typ != TypeStandard {
			return nil, errUsernameNotAllowed(typ)
		}
		username = *in.Username
	}
	if in.KubernetesGroups != nil {
		if err := validateGroups(in.KubernetesGroups); err != nil {
			return nil, err
		}
		if typ != TypeStandard && len(in.KubernetesGroups) > 0 {
			return nil, errGroupsNotAllowed(typ)
		}
		if typ == TypeStandard {
			groups = append([]string{}, in.KubernetesGroups...)
		}
	}
	if err := ValidateTags(in.Tags); err != nil {
		return nil, err
	}
	var principalID string
	if s.resolve != nil {
		id, err := s.resolve(ctx, p, in.PrincipalARN)
		if err != nil {
			return nil, err
		}
		principalID = id
	}

	hashed := in
	hashed.ClientRequestToken = ""
	hash, err := requestHash("CreateAccessEntry", in.ClientRequestToken, hashed) // before the write is queued (see CreateCluster)
	if err != nil {
		return nil, err
	}
	var out *AccessEntry
	err = s.update(ctx, func(tx Tx) error {
		cl, err := apiCluster(tx, c, in.ClusterName)
		if err != nil {
			return err
		}
		now := s.nowMillis()
		out, err = idempotentHashed(tx, c, "CreateAccessEntry", in.ClusterName, in.ClientRequestToken, hash, now, func() (*AccessEntry, error) {
			e := &AccessEntry{
				ClusterID:        cl.ID,
				ClusterName:      cl.Name,
				PrincipalARN:     in.PrincipalARN,
				ARN:              entryARN(cl, p),
				Type:             typ,
				Username:         username,
				KubernetesGroups: groups,
				Tags:             cloneTags(in.Tags),
				CreatedAt:        now,
				ModifiedAt:       now,
				PrincipalID:      principalID,
			}
			if err := tx.InsertAccessEntry(e); err != nil {
				if errors.Is(err, ErrAlreadyExists) {
					return nil, errEntryInUse(cl.Name)
				}
				return nil, err
			}
			return e, nil
		})
		return err
	})
	return out, err
}

// entry loads an access entry of an API-mode cluster or answers EKS's not-found error.
// Errors come in apiCluster's order: no cluster, then a cluster without access entries, then
// no entry.
func entry(tx Tx, c Caller, clusterName, principalARN string) (*Cluster, *AccessEntry, error) {
	cl, e, err := tx.GetClusterEntry(ClusterKey{c.Account, c.Region, clusterName}, principalARN)
	switch {
	case cl == nil && errors.Is(err, ErrNotFound):
		return nil, nil, errClusterNotFound(clusterName)
	case cl == nil:
		return nil, nil, err
	case !usesAccessEntries(cl.AuthenticationMode):
		return nil, nil, errModeNotAPI(clusterName)
	case errors.Is(err, ErrNotFound):
		return nil, nil, errEntryNotFound(clusterName)
	case err != nil:
		return nil, nil, err
	}
	return cl, e, nil
}

// DescribeAccessEntry returns an access entry.
func (s *Service) DescribeAccessEntry(ctx context.Context, c Caller, clusterName, principalARN string) (*AccessEntry, error) {
	var out *AccessEntry
	err := s.viewOneStatement(ctx, func(tx Tx) error { // entry() is one GetClusterEntry
		var err error
		_, out, err = entry(tx, c, clusterName, principalARN)
		return err
	})
	return out, err
}

// ListAccessEntries lists the principal ARNs of a cluster's entries in byte order, optionally
// only those with policyARN associated.
func (s *Service) ListAccessEntries(ctx context.Context, c Caller, clusterName, policyARN string, p Page) (arns []string, next string, err error) {
	if policyARN != "" {
		if _, formatOK, _ := policy.Lookup(policyARN, c.Partition()); !formatOK {
			return nil, "", errPolicyFormat()
		}
	}
	err = s.view(ctx, func(tx Tx) error {
		cl, err := apiCluster(tx, c, clusterName)
		if err != nil {
			return err
		}
		arns, next, err = page(p, func(p Page) ([]string, error) { return tx.ListAccessEntries(cl.ID, policyARN, p) }, ident)
		return err
	})
	return arns, next, err
}

// UpdateAccessEntry replaces an entry's username and/or Kubernetes groups.
func (s *Service) UpdateAccessEntry(ctx context.Context, c Caller, in UpdateAccessEntryInput) (*AccessEntry, error) {
	if in.Username != nil {
		if err := validateUsername(*in.Username); err != nil {
			return nil, err
		}
	}
	if in.KubernetesGroups != nil {
		if err := validateGroups(*in.KubernetesGroups); err != nil {
			return nil, err
		}
	}
	hashed := in
	hashed.ClientRequestToken = ""
	var out *AccessEntry
	err := s.update(ctx, func(tx Tx) error {
		_, e, err := entry(tx, c, in.ClusterName, in.PrincipalARN)
		if err != nil {
			return err
		}
		now := s.nowMillis()
		out, err = idempotent(tx, c, "UpdateAccessEntry", in.ClusterName+"/"+in.PrincipalARN, in.ClientRequestToken, hashed, now, func() (*AccessEntry, error) {
			if e.Type != TypeStandard && (in.Username != nil || (in.KubernetesGroups != nil && len(*in.KubernetesGroups) > 0)) {
				return nil, errOnlyStandard()
			}
			if in.Username != nil {
				e.Username = *in.Username
			}
			if in.KubernetesGroups != nil && e.Type == TypeStandard {
				e.KubernetesGroups = append([]string{}, *in.KubernetesGroups...)
			}
			e.ModifiedAt = now
			if err := tx.UpdateAccessEntry(e); err != nil {
				return nil, err
			}
			return e, nil
		})
		return err
	})
	return out, err
}

// DeleteAccessEntry deletes an entry and its policy associations in one transaction.
func (s *Service) DeleteAccessEntry(ctx context.Context, c Caller, clusterName, principalARN string) error {
	return s.update(ctx, func(tx Tx) error {
		_, e, err := entry(tx, c, clusterName, principalARN)
		if err != nil {
			return err
		}
		return tx.DeleteAccessEntry(e.Key())
	})
}
