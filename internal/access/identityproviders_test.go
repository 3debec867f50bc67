package access

import (
	"strings"
	"testing"
)

func TestValidateOIDC(t *testing.T) {
	t.Parallel()
	base := func() *OIDCConfigInput {
		return &OIDCConfigInput{IdentityProviderConfigName: "my-config", IssuerURL: "https://issuer.example.com", ClientID: "kubernetes"}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*OIDCConfigInput)
		msg    string
	}{
		{"ok", func(*OIDCConfigInput) {}, ""},
		{"path allowed", func(o *OIDCConfigInput) { o.IssuerURL = "https://example.com/realms/k8s" }, ""},
		{"port allowed", func(o *OIDCConfigInput) { o.IssuerURL = "https://example.com:8443" }, ""},
		{"http", func(o *OIDCConfigInput) { o.IssuerURL = "http://example.com" }, "must be an https:// URL"},
		{"query", func(o *OIDCConfigInput) { o.IssuerURL = "https://example.com?x=1" }, "without query"},
		{"empty query", func(o *OIDCConfigInput) { o.IssuerURL = "https://example.com?" }, "without query"},
		{"fragment", func(o *OIDCConfigInput) { o.IssuerURL = "https://example.com#f" }, "without query string or fragment"},
		{"user info", func(o *OIDCConfigInput) { o.IssuerURL = "https://u:p@example.com" }, "issuerUrl"},
		{"no host", func(o *OIDCConfigInput) { o.IssuerURL = "https://" }, "issuerUrl"},
		{"missing issuer", func(o *OIDCConfigInput) { o.IssuerURL = "" }, `issuerUrl "" is invalid`},
		{"missing name", func(o *OIDCConfigInput) { o.IdentityProviderConfigName = "" }, `identityProviderConfigName "" is invalid`},
		{"name with slash", func(o *OIDCConfigInput) { o.IdentityProviderConfigName = "a/b" }, "identityProviderConfigName \"a/b\" is invalid"},
		{"name too long", func(o *OIDCConfigInput) { o.IdentityProviderConfigName = strings.Repeat("a", 101) }, "is invalid"},
		{"name 100", func(o *OIDCConfigInput) { o.IdentityProviderConfigName = strings.Repeat("a", 100) }, ""},
		{"missing client", func(o *OIDCConfigInput) { o.ClientID = "" }, "oidc.clientId"},
		{"system: username prefix", func(o *OIDCConfigInput) { o.UsernamePrefix = sp("system:") }, "usernamePrefix is invalid"},
		{"system: inside groups prefix", func(o *OIDCConfigInput) { o.GroupsPrefix = sp("x-system:") }, "groupsPrefix is invalid"},
		{"system: in a claim is fine", func(o *OIDCConfigInput) { o.GroupsClaim = sp("system:groups") }, ""},
		{"empty username claim", func(o *OIDCConfigInput) { o.UsernameClaim = sp("") }, "usernameClaim is invalid: it must not be empty"},
		{"claim key 63", func(o *OIDCConfigInput) { o.RequiredClaims = map[string]string{strings.Repeat("k", 63): "v"} }, ""},
		{"claim value 253", func(o *OIDCConfigInput) { o.RequiredClaims = map[string]string{"k": strings.Repeat("v", 253)} }, ""},
	} {
		o := base()
		tc.mutate(o)
		_, err := validateOIDC(o)
		if err == nil {
			wantErrMsg(t, tc.name, nil, "", tc.msg)
			continue
		}
		wantErrMsg(t, tc.name, err, CodeInvalidParameter, tc.msg)
	}
	cfg, err := validateOIDC(&OIDCConfigInput{IdentityProviderConfigName: "n", IssuerURL: "https://i", ClientID: "c", UsernameClaim: sp("email")})
	if err != nil || cfg.UsernameClaim != "email" || cfg.GroupsClaim != "" || cfg.RequiredClaims != nil {
		t.Fatalf("validateOIDC kept %+v (%v)", cfg, err)
	}
}

func TestIdentityProviderConfigRules(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]int{"1.29": 1, "1.31": 1, "1.32": 10, "1.34": 10, "": 10} {
		if got := maxIdPConfigs(v); got != want {
			t.Errorf("maxIdPConfigs(%q) = %d, want %d", v, got, want)
		}
	}
	if !sameIssuer("https://a.example.com/", "https://a.example.com") || sameIssuer("https://a.example.com", "https://b.example.com") {
		t.Error("sameIssuer")
	}
	for _, tc := range []struct {
		ref *IdentityProviderConfigRef
		msg string
	}{
		{&IdentityProviderConfigRef{Name: "n"}, `type "" is not supported`},
		{&IdentityProviderConfigRef{Type: "oidc"}, "identityProviderConfig.name is invalid: it must not be empty"},
		{&IdentityProviderConfigRef{Type: "OIDC", Name: "n"}, `type "OIDC" is not supported`},
		{&IdentityProviderConfigRef{Type: "oidc", Name: "n"}, ""},
	} {
		err := validateConfigRef(tc.ref)
		if err == nil {
			wantErrMsg(t, tc.msg, nil, "", tc.msg)
			continue
		}
		wantErrMsg(t, tc.msg, err, CodeInvalidParameter, tc.msg)
	}
	e := errIdPConfigNotFound("c", "oidc", "n")
	if e.Status != 404 || e.Message != "No config found for cluster: c, config type: oidc, config name: n" || e.ClusterName != "c" {
		t.Errorf("not found error: %+v", e)
	}
	if e := errIdPNotAssociated("c"); e.Code != CodeInvalidRequest || !strings.Contains(e.Message, "Identity provider config is not associated with cluster") {
		t.Errorf("not associated error: %+v", e)
	}
	if e := errUpdateInProgress("AssociateIdentityProviderConfig", "c", "u-1"); e.Status != 409 || e.Message != "Cannot AssociateIdentityProviderConfig because cluster c currently has update u-1 in progress" || e.ClusterName != "c" {
		t.Errorf("in progress error: %+v", e)
	}
}
