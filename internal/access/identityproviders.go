package access

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// OIDC identity provider configs. Associating one starts an AssociateIdentityProviderConfig
// update: the config exists at once with status CREATING and becomes ACTIVE when the update
// completes; disassociating an ACTIVE config sets it DELETING and the completed update deletes
// it (Describe then answers 404). Configs work in every authentication mode.
//
// Choices where EKS's behaviour is not public:
//   - ListIdentityProviderConfigs lists configs of every status, ordered by name.
//   - A name must be 1..100 characters of [A-Za-z0-9._-], starting alphanumeric.
//   - The issuer URL must parse, be https with a host, and carry no query or fragment; it must
//     differ from the cluster's own OIDC issuer (confirmed) and from the issuers of the
//     cluster's other configs (the user guide says providers must be unique).
//   - A cluster takes up to 10 configs on Kubernetes ≥ 1.32 and one before (user guide); over
//     that limit: InvalidRequestException. The 12 KB combined-size quota is not enforced.
//   - Optional members that the client omits are omitted in Describe (EKS's defaults, such as
//     usernameClaim "sub", are not materialised: Terraform marks these ForceNew, not Computed).
//   - Optional members sent as empty strings are refused.
//   - DisassociateIdentityProviderConfig's update param value is "[]" (as observed).

// Config statuses (configStatus enum of the model).
const (
	ConfigCreating = "CREATING"
	ConfigActive   = "ACTIVE"
	ConfigDeleting = "DELETING"
)

// IdPTypeOIDC is the only identity provider config type.
const IdPTypeOIDC = "oidc"

// OIDCConfig is the OIDC part of an identity provider config. Empty optional members are absent.
type OIDCConfig struct {
	IssuerURL      string            `json:"issuerUrl"`
	ClientID       string            `json:"clientId"`
	UsernameClaim  string            `json:"usernameClaim,omitempty"`
	UsernamePrefix string            `json:"usernamePrefix,omitempty"`
	GroupsClaim    string            `json:"groupsClaim,omitempty"`
	GroupsPrefix   string            `json:"groupsPrefix,omitempty"`
	RequiredClaims map[string]string `json:"requiredClaims,omitempty"`
}

// IdentityProviderConfig is an identity provider config of a cluster.
type IdentityProviderConfig struct {
	ClusterID   string            `json:"clusterId"`
	ClusterName string            `json:"clusterName"`
	Type        string            `json:"type"`
	Name        string            `json:"name"`
	ARN         string            `json:"arn"`
	OIDC        OIDCConfig        `json:"oidc"`
	Tags        map[string]string `json:"tags"`
	Status      string            `json:"status"`
	CreatedAt   Millis            `json:"createdAt"`
}

// OIDCConfigInput is OidcIdentityProviderConfigRequest.
type OIDCConfigInput struct {
	IdentityProviderConfigName string            `json:"identityProviderConfigName"`
	IssuerURL                  string            `json:"issuerUrl"`
	ClientID                   string            `json:"clientId"`
	UsernameClaim              *string           `json:"usernameClaim"`
	UsernamePrefix             *string           `json:"usernamePrefix"`
	GroupsClaim                *string           `json:"groupsClaim"`
	GroupsPrefix               *string           `json:"groupsPrefix"`
	RequiredClaims             map[string]string `json:"requiredClaims"`
}

// AssociateIdentityProviderConfigInput is an AssociateIdentityProviderConfig request.
type AssociateIdentityProviderConfigInput struct {
	ClusterName        string            `json:"-"`
	OIDC               *OIDCConfigInput  `json:"oidc"`
	Tags               map[string]string `json:"tags"`
	ClientRequestToken string            `json:"clientRequestToken"`
}

// AssociateIdentityProviderConfigOutput is the update started and the config's tags.
type AssociateIdentityProviderConfigOutput struct {
	Update *Update           `json:"update"`
	Tags   map[string]string `json:"tags"`
}

// IdentityProviderConfigRef is the IdentityProviderConfig structure: {type, name}.
type IdentityProviderConfigRef struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// DisassociateIdentityProviderConfigInput is a DisassociateIdentityProviderConfig request.
type DisassociateIdentityProviderConfigInput struct {
	ClusterName            string                     `json:"-"`
	IdentityProviderConfig *IdentityProviderConfigRef `json:"identityProviderConfig"`
	ClientRequestToken     string                     `json:"clientRequestToken"`
}

var idpNameRe = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9._-]{0,99}$`)

// validateOIDC applies the user guide's rules to an OIDC config request (the model's, such
// as the required members and the requiredClaims lengths, were checked by the wire layer).
func validateOIDC(in *OIDCConfigInput) (OIDCConfig, *Error) {
	if !idpNameRe.MatchString(in.IdentityProviderConfigName) {
		return OIDCConfig{}, errIdPName(in.IdentityProviderConfigName)
	}
	if !validIssuerURL(in.IssuerURL) {
		return OIDCConfig{}, errIdPIssuerURL(in.IssuerURL)
	}
	if in.ClientID == "" {
		return OIDCConfig{}, errIdPEmptyMember("oidc.clientId")
	}
	out := OIDCConfig{IssuerURL: in.IssuerURL, ClientID: in.ClientID}
	for _, m := range []struct {
		name string
		in   *string
		out  *string
	}{
		{"usernameClaim", in.UsernameClaim, &out.UsernameClaim},
		{"usernamePrefix", in.UsernamePrefix, &out.UsernamePrefix},
		{"groupsClaim", in.GroupsClaim, &out.GroupsClaim},
		{"groupsPrefix", in.GroupsPrefix, &out.GroupsPrefix},
	} {
		if m.in == nil {
			continue
		}
		if *m.in == "" {
			return OIDCConfig{}, errIdPEmptyMember(m.name)
		}
		if strings.HasSuffix(m.name, "Prefix") && strings.Contains(*m.in, "system:") {
			return OIDCConfig{}, errIdPPrefixReserved(m.name)
		}
		*m.out = *m.in
	}
	if len(in.RequiredClaims) > 0 {
		out.RequiredClaims = make(map[string]string, len(in.RequiredClaims))
		for k, v := range in.RequiredClaims {
			out.RequiredClaims[k] = v
		}
	}
	return out, nil
}

func validIssuerURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil &&
		u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" && !strings.Contains(s, "#")
}

func sameIssuer(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

// maxIdPConfigs is how many identity provider configs a cluster of this version takes.
func maxIdPConfigs(version string) int {
	if minor, ok := strings.CutPrefix(version, "1."); ok {
		if n, err := strconv.Atoi(minor); err == nil && n < 32 {
			return 1
		}
	}
	return 10
}

func validateConfigRef(ref *IdentityProviderConfigRef) *Error {
	switch { // the model requires identityProviderConfig with type and name
	case ref.Name == "":
		return errIdPEmptyMember("identityProviderConfig.name")
	case ref.Type != IdPTypeOIDC:
		return errIdPType(ref.Type)
	}
	return nil
}

// AssociateIdentityProviderConfig associates an OIDC identity provider with a cluster.
func (s *Service) AssociateIdentityProviderConfig(ctx context.Context, c Caller, in AssociateIdentityProviderConfigInput) (*AssociateIdentityProviderConfigOutput, error) {
	oidc, verr := validateOIDC(in.OIDC)
	if verr != nil {
		return nil, verr
	}
	if err := ValidateTags(in.Tags); err != nil {
		return nil, err
	}
	name := in.OIDC.IdentityProviderConfigName
	hashed := in
	hashed.ClientRequestToken = ""
	var out *AssociateIdentityProviderConfigOutput
	err := s.update(ctx, func(tx Tx) error {
		cl, err := cluster(tx, c, in.ClusterName)
		if err != nil {
			return err
		}
		now := s.nowMillis()
		out, err = idempotent(tx, c, "AssociateIdentityProviderConfig", in.ClusterName, in.ClientRequestToken, hashed, now, func() (*AssociateIdentityProviderConfigOutput, error) {
			if sameIssuer(oidc.IssuerURL, cl.Spec.OIDCIssuer) {
				return nil, errIdPIssuerIsClusterIssuer(cl.Name)
			}
			existing, err := tx.ListIdentityProviderConfigs(cl.ID, Page{Limit: 1000})
			if err != nil {
				return nil, err
			}
			for _, e := range existing {
				if e.Name == name {
					return nil, errIdPConfigExists(cl.Name, name)
				}
			}
			for _, e := range existing {
				if sameIssuer(e.OIDC.IssuerURL, oidc.IssuerURL) {
					return nil, errIdPIssuerInUse(cl.Name, oidc.IssuerURL)
				}
			}
			if max := maxIdPConfigs(cl.Spec.Version); len(existing) >= max {
				return nil, errIdPLimit(cl.Name, max)
			}
			value, _ := json.Marshal([]IdentityProviderConfigRef{{Type: IdPTypeOIDC, Name: name}})
			u, err := s.startUpdate(tx, cl, UpdateTypeAssociateIdP,
				[]UpdateParam{{Type: ParamIdentityProviderConfig, Value: string(value)}},
				UpdateChange{IdentityProviderConfig: name}, now)
			if err != nil {
				return nil, err
			}
			cfg := &IdentityProviderConfig{
				ClusterID:   cl.ID,
				ClusterName: cl.Name,
				Type:        IdPTypeOIDC,
				Name:        name,
				ARN:         "arn:" + c.Partition() + ":eks:" + cl.Region + ":" + cl.Account + ":identityproviderconfig/" + cl.Name + "/" + IdPTypeOIDC + "/" + name + "/" + newUUID(),
				OIDC:        oidc,
				Tags:        cloneTags(in.Tags),
				Status:      ConfigCreating,
				CreatedAt:   now,
			}
			if err := tx.InsertIdentityProviderConfig(cfg); err != nil {
				if errors.Is(err, ErrAlreadyExists) {
					return nil, errIdPConfigExists(cl.Name, name)
				}
				return nil, err
			}
			return &AssociateIdentityProviderConfigOutput{Update: u, Tags: cloneTags(in.Tags)}, nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.updated()
	return out, nil
}

// DisassociateIdentityProviderConfig starts removing an ACTIVE identity provider config.
func (s *Service) DisassociateIdentityProviderConfig(ctx context.Context, c Caller, in DisassociateIdentityProviderConfigInput) (*Update, error) {
	if err := validateConfigRef(in.IdentityProviderConfig); err != nil {
		return nil, err
	}
	name := in.IdentityProviderConfig.Name
	hashed := in
	hashed.ClientRequestToken = ""
	var out *Update
	err := s.update(ctx, func(tx Tx) error {
		cl, err := cluster(tx, c, in.ClusterName)
		if err != nil {
			return err
		}
		now := s.nowMillis()
		out, err = idempotent(tx, c, "DisassociateIdentityProviderConfig", in.ClusterName, in.ClientRequestToken, hashed, now, func() (*Update, error) {
			cfg, err := tx.GetIdentityProviderConfig(cl.ID, name)
			if errors.Is(err, ErrNotFound) || (err == nil && cfg.Status != ConfigActive) {
				return nil, errIdPNotAssociated(cl.Name)
			}
			if err != nil {
				return nil, err
			}
			u, err := s.startUpdate(tx, cl, UpdateTypeDisassociateIdP,
				[]UpdateParam{{Type: ParamIdentityProviderConfig, Value: "[]"}},
				UpdateChange{IdentityProviderConfig: name}, now)
			if err != nil {
				return nil, err
			}
			cfg.Status = ConfigDeleting
			if err := tx.UpdateIdentityProviderConfig(cfg); err != nil {
				return nil, err
			}
			return u, nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.updated()
	return out, nil
}

// DescribeIdentityProviderConfig returns an identity provider config.
func (s *Service) DescribeIdentityProviderConfig(ctx context.Context, c Caller, clusterName string, ref *IdentityProviderConfigRef) (*IdentityProviderConfig, error) {
	if err := validateConfigRef(ref); err != nil {
		return nil, err
	}
	var out *IdentityProviderConfig
	err := s.view(ctx, func(tx Tx) error {
		cl, err := cluster(tx, c, clusterName)
		if err != nil {
			return err
		}
		out, err = tx.GetIdentityProviderConfig(cl.ID, ref.Name)
		if errors.Is(err, ErrNotFound) {
			return errIdPConfigNotFound(cl.Name, ref.Type, ref.Name)
		}
		return err
	})
	return out, err
}

// ListIdentityProviderConfigs lists a cluster's identity provider configs ordered by name.
func (s *Service) ListIdentityProviderConfigs(ctx context.Context, c Caller, clusterName string, p Page) (refs []IdentityProviderConfigRef, next string, err error) {
	err = s.view(ctx, func(tx Tx) error {
		cl, err := cluster(tx, c, clusterName)
		if err != nil {
			return err
		}
		cfgs, nx, err := page(p, func(p Page) ([]IdentityProviderConfig, error) { return tx.ListIdentityProviderConfigs(cl.ID, p) },
			func(c IdentityProviderConfig) string { return c.Name })
		if err != nil {
			return err
		}
		refs = make([]IdentityProviderConfigRef, len(cfgs))
		for i, cfg := range cfgs {
			refs[i] = IdentityProviderConfigRef{Type: cfg.Type, Name: cfg.Name}
		}
		next = nx
		return nil
	})
	return refs, next, err
}
