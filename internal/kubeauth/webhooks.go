package kubeauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/policy"
	"github.com/prometheus/client_golang/prometheus"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
)

// UIDPrefix starts the uid of every identity the token-review webhook authenticates, as
// aws-iam-authenticator does: aws-iam-authenticator:<account>:<principal id>.
const UIDPrefix = "aws-iam-authenticator:"

// Extra keys of authenticated identities.
const (
	ExtraARN                      = "arn"
	ExtraCanonicalARN             = "canonicalArn"
	ExtraSessionName              = "sessionName"
	ExtraAccessKeyID              = "accessKeyId"
	ExtraPrincipalID              = "principalId"
	ExtraAuthenticatorPrincipalID = "sigs.k8s.io/aws-iam-authenticator/principalId"
)

// Webhooks serves the TokenReview and SubjectAccessReview webhooks of every cluster.
type Webhooks struct {
	Index  *Index
	Tokens *TokenVerifier
	Log    *slog.Logger
	// OIDC verifies tokens of the clusters' identity provider configs; nil refuses them.
	OIDC *OIDC
	// AWSAuth holds the aws-auth mappings of CONFIG_MAP and API_AND_CONFIG_MAP clusters; nil
	// maps nobody through aws-auth.
	AWSAuth *AWSAuth

	latency  *prometheus.HistogramVec
	refusals *prometheus.CounterVec
}

// NewWebhooks builds the webhooks and registers their metrics.
func NewWebhooks(ix *Index, tv *TokenVerifier, log *slog.Logger, reg prometheus.Registerer) *Webhooks {
	w := &Webhooks{Index: ix, Tokens: tv, Log: log,
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eksaccess_webhook_request_duration_seconds",
			Help:    "Webhook latency by webhook (authenticate, authorize) and result (authenticated, unauthenticated, allowed, no_opinion, error).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"webhook", "result"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eksaccess_token_review_refusals_total",
			Help: "Tokens refused by the token-review webhook, by reason.",
		}, []string{"reason"}),
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if reg != nil {
		reg.MustRegister(w.latency, w.refusals)
	}
	return w
}

// Register adds the webhook routes: the path names the cluster.
func (w *Webhooks) Register(mux *http.ServeMux, guard func(http.Handler) http.Handler) {
	if guard == nil {
		guard = func(h http.Handler) http.Handler { return h }
	}
	mux.Handle("POST /kubernetes/{account}/{region}/{cluster}/authenticate", guard(http.HandlerFunc(w.authenticate)))
	mux.Handle("POST /kubernetes/{account}/{region}/{cluster}/authorize", guard(http.HandlerFunc(w.authorize)))
}

func clusterKey(r *http.Request) access.ClusterKey {
	return access.ClusterKey{Account: r.PathValue("account"), Region: r.PathValue("region"), Name: r.PathValue("cluster")}
}

// review is the common envelope of TokenReview and SubjectAccessReview in v1 and v1beta1,
// decoded in one pass with its spec.
type review[S any] struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       S      `json:"spec"`
}

// bufPool holds request and response buffers of the webhooks (they run for every Kubernetes
// request, so they should not allocate what they can reuse).
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readReview decodes a review with fast (fastTokenReview, fastSAR), else with encoding/json.
func readReview[S any](r *http.Request, group, kind string, fast func([]byte, *review[S]) bool) (*review[S], error) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, 1<<20)); err != nil {
		return nil, err
	}
	var rv review[S]
	if !fast(buf.Bytes(), &rv) {
		rv = review[S]{}
		if err := json.Unmarshal(buf.Bytes(), &rv); err != nil {
			return nil, err
		}
	}
	if rv.Kind != kind || (rv.APIVersion != group+"/v1" && rv.APIVersion != group+"/v1beta1") {
		return nil, errors.New("want " + kind + " of " + group + "/v1 or v1beta1, got " + rv.Kind + " " + rv.APIVersion)
	}
	return &rv, nil
}

// writeAnswer answers the JSON that appendAnswer appends, in one write with its Content-Length.
func writeAnswer(rw http.ResponseWriter, appendAnswer func([]byte) []byte) {
	p := answerPool.Get().(*[]byte)
	b := appendAnswer((*p)[:0])
	h := rw.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	rw.Write(b)
	*p = b
	answerPool.Put(p)
}

var answerPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// tokenReviewStatus is TokenReview.status; v1 and v1beta1 share its JSON form.
type tokenReviewStatus struct {
	Authenticated bool              `json:"authenticated"`
	User          *authnv1.UserInfo `json:"user,omitempty"`
	Audiences     []string          `json:"audiences,omitempty"`
	Error         string            `json:"error,omitempty"`
}

func (w *Webhooks) authenticate(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rv, err := readReview(r, "authentication.k8s.io", "TokenReview", fastTokenReview)
	if err != nil {
		w.latency.WithLabelValues("authenticate", "error").Observe(time.Since(start).Seconds())
		http.Error(rw, "bad TokenReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	spec := &rv.Spec
	key := clusterKey(r)
	res := w.review(r.Context(), key, spec.Token)
	st := tokenReviewStatus{}
	result := "authenticated"
	if res.user != nil {
		st.Authenticated, st.User, st.Audiences = true, res.user, spec.Audiences
		if res.entry != nil && res.entry.usage != nil {
			touch(res.entry.usage.Authenticated, start.UnixMilli())
		}
	} else {
		result = "unauthenticated"
		st.Error = res.detail
		w.refusals.WithLabelValues(res.reason).Inc()
		w.Log.Info("token refused", "cluster", key.Name, "account", key.Account, "reason", res.reason, "detail", res.detail)
	}
	writeAnswer(rw, func(b []byte) []byte { return appendTokenReviewAnswer(b, rv.APIVersion, &st) })
	if rec := w.Index.rec; rec != nil {
		d := &Decision{Time: start, Webhook: WebhookAuthenticate, Cluster: key, Principal: res.principal, Allowed: res.user != nil, Result: result}
		if res.user != nil {
			d.Username, d.Groups, d.Reason = res.user.Username, res.user.Groups, res.via
			if d.Principal == "" {
				d.Principal = res.user.Username
			}
		} else {
			d.Reason = res.reason
			if safeDetail[res.reason] {
				d.Reason += ": " + res.detail
			}
		}
		if res.entry != nil {
			d.EntryARN = res.entry.ARN
		}
		rec.Record(d)
	}
	w.latency.WithLabelValues("authenticate", result).Observe(time.Since(start).Seconds())
}

// safeDetail lists the refusal reasons whose detail can be recorded: the others (malformed
// tokens, STS answers, JWT parse errors) may quote what the token carried.
var safeDetail = map[string]bool{"unknown_cluster": true, "not_mapped": true, "expired": true, "unknown_key": true,
	"bad_signature": true, "reserved_prefix": true, "unknown_issuer": true, "unknown_sts_host": true}

// reviewResult is what authenticating a token found: the user (nil when refused, with the
// refusal's metric reason and detail), the IAM principal's ARN when the token named one, the
// access entry that mapped it, and how it was mapped.
type reviewResult struct {
	user           *authnv1.UserInfo
	reason, detail string
	principal      string
	entry          *entryView
	via            string
}

func refused(reason, detail string) reviewResult {
	return reviewResult{reason: reason, detail: detail}
}

// review authenticates a token for a cluster.
// `k8s-aws-v1.` tokens name an IAM principal, mapped by its access entry (API and
// API_AND_CONFIG_MAP clusters) or else by the cluster's aws-auth ConfigMap (API_AND_CONFIG_MAP
// and CONFIG_MAP clusters); other JWTs are verified against the cluster's ACTIVE OIDC identity
// provider configs.
func (w *Webhooks) review(ctx context.Context, key access.ClusterKey, token string) reviewResult {
	view := w.Index.cluster(key)
	if view == nil {
		return refused("unknown_cluster", "no cluster "+key.Name+" in account "+key.Account+" region "+key.Region)
	}
	if !strings.HasPrefix(token, TokenPrefix) {
		if w.OIDC != nil && LooksLikeJWT(token) {
			user, err := w.OIDC.Authenticate(ctx, view.oidc, token)
			if err != nil {
				return refusalOf(err)
			}
			return reviewResult{user: user, via: "mapped by an OIDC identity provider config"}
		}
		return refused("malformed", "neither an "+TokenPrefix+" token nor an OIDC JWT")
	}
	id, err := w.Tokens.Verify(ctx, token, key.Name)
	if err != nil {
		return refusalOf(err)
	}
	res := w.mapIAM(key, view, id)
	res.principal = id.ARN
	return res
}

// mapIAM maps a verified IAM identity to its Kubernetes user.
func (w *Webhooks) mapIAM(key access.ClusterKey, view *clusterView, id *Identity) reviewResult {
	canonical := id.CanonicalARN
	if p, ok := access.ParsePrincipalARN(canonical); ok {
		canonical = p.PathlessARN()
	}
	m := w.mapPrincipal(view, key, id.PrincipalID, canonical, id.ARN, id.Account, false)
	if m.Via == "" {
		return refused("not_mapped", m.Reason)
	}
	res := renderUser(m.Username, m.Groups, id)
	res.entry = m.Entry
	switch m.Via {
	case MappedByAccessEntry:
		res.via = "mapped by its access entry" // Decision.EntryARN names it
	case MappedByCreator:
		res.via = "mapped as the creator of a CONFIG_MAP cluster"
	case MappedByAWSAuth:
		res.via = "mapped by the aws-auth ConfigMap"
	}
	return res
}

// Mapping sources (PrincipalMapping.Via).
const (
	MappedByAccessEntry = "access-entry"
	MappedByCreator     = "cluster-creator"
	MappedByAWSAuth     = "aws-auth"
)

// PrincipalMapping is how an IAM principal maps on a cluster, before its templates are rendered.
type PrincipalMapping struct {
	// Via is MappedByAccessEntry, MappedByCreator or MappedByAWSAuth; "" when not mapped.
	Via string
	// Username and Groups are templates (see render).
	Username string
	Groups   []string
	// Entry is the access entry (Via MappedByAccessEntry).
	Entry *EntryView
	// Reason is the token-review webhook's refusal detail when not mapped.
	Reason string
}

// mapPrincipal maps an IAM principal (canonical: its path-less user or role ARN; arn: as the
// caller presented it) as the token-review webhook does: by its access entry (API and
// API_AND_CONFIG_MAP clusters), else as the creator of a CONFIG_MAP cluster, else by the
// cluster's aws-auth ConfigMap (API_AND_CONFIG_MAP and CONFIG_MAP clusters). byARN matches
// entries and the creator by ARN alone (the explorer, which has no unique id to present).
func (w *Webhooks) mapPrincipal(view *clusterView, key access.ClusterKey, principalID, canonical, arn, account string, byARN bool) PrincipalMapping {
	if view.usesAccessEntries() {
		e := view.entryFor(principalID, canonical)
		if byARN {
			e = view.entryByARN(canonical)
		}
		if e != nil {
			return PrincipalMapping{Via: MappedByAccessEntry, Username: e.Username, Groups: e.Groups, Entry: e}
		}
	}
	if !view.usesConfigMap() {
		return PrincipalMapping{Reason: "identity is not mapped: no access entry for " + arn}
	}
	if view.isCreator(principalID, canonical) || byARN && view.creator != nil && strings.EqualFold(view.creator.PrincipalARN, canonical) {
		return PrincipalMapping{Via: MappedByCreator, Username: view.creator.Username, Groups: view.creator.Groups}
	}
	m := w.AWSAuth.get(key)
	if m == nil {
		why := "no aws-auth ConfigMap is loaded for this cluster"
		if view.usesAccessEntries() {
			why = "no access entry for " + arn + ", and " + why
		}
		return PrincipalMapping{Reason: "identity is not mapped: " + why}
	}
	mp, ok := m.lookup(canonical, account)
	if !ok {
		why := "aws-auth maps neither " + canonical + " nor account " + account
		if view.usesAccessEntries() {
			why = "no access entry for " + arn + ", and " + why
		}
		return PrincipalMapping{Reason: "identity is not mapped: " + why}
	}
	return PrincipalMapping{Via: MappedByAWSAuth, Username: mp.Username, Groups: mp.Groups}
}

// refusalOf splits a verification error into its metric reason and detail.
func refusalOf(err error) reviewResult {
	var te *tokenError
	if errors.As(err, &te) {
		return refused(te.Reason, te.Detail)
	}
	return refused("error", err.Error())
}

func renderUser(username string, groups []string, id *Identity) reviewResult {
	user, err := render(username, groups, id)
	if err != nil {
		return refused("reserved_prefix", err.Error())
	}
	return reviewResult{user: user}
}

// renderer fills in the templates of one identity.
type renderer struct {
	id *Identity
}

// expand renders one username or group template.
func (rn *renderer) expand(tpl string) (string, error) {
	if !strings.Contains(tpl, "{{") {
		return tpl, nil // nothing rendered, so no reserved prefix can come from a value
	}
	if strings.Contains(tpl, "{{EC2PrivateDNSName}}") {
		return "", errors.New("{{EC2PrivateDNSName}} cannot be resolved: eksaccess does not call EC2")
	}
	out := rn.replace(tpl)
	// A reserved prefix may be in the template (system:node:…) but must not come from a
	// rendered value (a session named "system").
	if p, reserved := access.ReservedPrefix(out); reserved && !strings.HasPrefix(tpl, p) {
		return "", errors.New("rendered name " + out + " begins with the reserved prefix " + p)
	}
	return out, nil
}

// replace replaces each placeholder of tpl, left to right, as a strings.Replacer of the
// placeholders would (no placeholder is a prefix of another, so at most one matches at a
// position; replaced text is not scanned again).
func (rn *renderer) replace(tpl string) string {
	id := rn.id
	var b strings.Builder
	b.Grow(len(tpl) + 32)
	for {
		i := strings.Index(tpl, "{{")
		if i < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		b.WriteString(tpl[:i])
		tpl = tpl[i:]
		switch {
		case strings.HasPrefix(tpl, "{{AccountID}}"):
			b.WriteString(id.Account)
			tpl = tpl[len("{{AccountID}}"):]
		case strings.HasPrefix(tpl, "{{SessionName}}"):
			b.WriteString(strings.ReplaceAll(id.SessionName, "@", "-"))
			tpl = tpl[len("{{SessionName}}"):]
		case strings.HasPrefix(tpl, "{{SessionNameRaw}}"):
			b.WriteString(id.SessionName)
			tpl = tpl[len("{{SessionNameRaw}}"):]
		case strings.HasPrefix(tpl, "{{AccessKeyID}}"):
			b.WriteString(id.AccessKeyID)
			tpl = tpl[len("{{AccessKeyID}}"):]
		default:
			b.WriteByte('{')
			tpl = tpl[1:]
		}
	}
}

// render fills in the username and group templates of an access entry or aws-auth mapping.
func render(usernameTpl string, groupTpls []string, id *Identity) (*authnv1.UserInfo, error) {
	rn := renderer{id: id}
	username, err := rn.expand(usernameTpl)
	if err != nil {
		return nil, err
	}
	groups := make([]string, 0, len(groupTpls))
	for _, g := range groupTpls {
		rg, err := rn.expand(g)
		if err != nil {
			return nil, err
		}
		groups = append(groups, rg)
	}
	extra := map[string]authnv1.ExtraValue{
		ExtraARN:                      {id.ARN},
		ExtraCanonicalARN:             {id.CanonicalARN},
		ExtraSessionName:              {id.SessionName},
		ExtraAccessKeyID:              {id.AccessKeyID},
		ExtraPrincipalID:              {id.PrincipalID},
		ExtraAuthenticatorPrincipalID: {id.PrincipalID},
	}
	return &authnv1.UserInfo{Username: username, UID: UIDPrefix + id.Account + ":" + id.PrincipalID, Groups: groups, Extra: extra}, nil
}

// groupAuthenticated is the group kube-apiserver adds to every authenticated user.
const groupAuthenticated = "system:authenticated"

// issuedTo reports whether the user name and groups of a review are exactly those the
// token-review webhook issues for entry e and the identity its uid and extra describe. A
// request that impersonates another user name (kubectl --as, with the real uid and extra
// copied) or adds or drops groups is not an identity eksaccess authenticated.
func issuedTo(e *entryView, account, principalID string, s *authzv1.SubjectAccessReviewSpec) bool {
	if account == "" || account != e.Account { // the uid names the principal's own account
		return false
	}
	id := Identity{Account: account, PrincipalID: principalID, ARN: extraOne(s.Extra, ExtraARN),
		SessionName: extraOne(s.Extra, ExtraSessionName), AccessKeyID: extraOne(s.Extra, ExtraAccessKeyID)}
	for _, k := range []string{ExtraARN, ExtraCanonicalARN, ExtraSessionName, ExtraAccessKeyID} {
		if len(s.Extra[k]) != 1 {
			return false
		}
	}
	if v, ok := s.Extra[ExtraAuthenticatorPrincipalID]; ok && (len(v) != 1 || v[0] != principalID) {
		return false
	}
	rn := renderer{id: &id}
	if name, err := rn.expand(e.Username); err != nil || name != s.User {
		return false
	}
	rendered := make([]string, 0, len(e.Groups))
	for _, tpl := range e.Groups {
		g, err := rn.expand(tpl)
		if err != nil {
			return false
		}
		rendered = append(rendered, g)
	}
	for _, g := range s.Groups {
		if g != groupAuthenticated && !slices.Contains(rendered, g) {
			return false
		}
	}
	for _, g := range rendered {
		if !slices.Contains(s.Groups, g) {
			return false
		}
	}
	return true
}

// sarSpec covers SubjectAccessReviewSpec of v1 (groups) and v1beta1 (group).
type sarSpec struct {
	authzv1.SubjectAccessReviewSpec
	GroupV1beta1 []string `json:"group,omitempty"`
}

type sarStatus struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
}

func (w *Webhooks) authorize(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rv, err := readReview(r, "authorization.k8s.io", "SubjectAccessReview", fastSAR)
	if err != nil {
		w.latency.WithLabelValues("authorize", "error").Observe(time.Since(start).Seconds())
		http.Error(rw, "bad SubjectAccessReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	spec := &rv.Spec
	if spec.Groups == nil {
		spec.Groups = spec.GroupV1beta1 // v1beta1 names the member "group"
	}
	key := clusterKey(r)
	var req policy.Request
	if ra := spec.ResourceAttributes; ra != nil {
		req = policy.Request{Verb: ra.Verb, ResourceRequest: true, APIGroup: ra.Group, Resource: ra.Resource,
			Subresource: ra.Subresource, Name: ra.Name, Namespace: ra.Namespace}
	} else if nr := spec.NonResourceAttributes; nr != nil {
		req = policy.Request{Verb: nr.Verb, Path: nr.Path}
	}
	st, e, d := w.decide(key, &spec.SubjectAccessReviewSpec, &req)
	result := "no_opinion"
	if st.Allowed {
		result = "allowed"
		if e != nil && e.usage != nil && d.Association >= 0 && d.Association < len(e.usage.Allowed) {
			touch(e.usage.Allowed[d.Association], start.UnixMilli())
		}
	}
	writeAnswer(rw, func(b []byte) []byte { return appendSARAnswer(b, rv.APIVersion, st) })
	if rec := w.Index.rec; rec != nil {
		groups := spec.Groups
		if len(groups) == 0 {
			groups = spec.GroupV1beta1
		}
		dr := &Decision{Time: start, Webhook: WebhookAuthorize, Cluster: key, Principal: spec.User, Username: spec.User, Groups: groups,
			Request: &req, Allowed: st.Allowed, Result: result, Reason: st.Reason}
		if v := spec.Extra[ExtraARN]; len(v) == 1 && v[0] != "" {
			dr.Principal = v[0]
		}
		if e != nil {
			dr.EntryARN = e.ARN
			if st.Allowed && d.Association >= 0 && d.Association < len(e.policyARNs) {
				dr.Policy = e.policyARNs[d.Association]
			}
		}
		rec.Record(dr)
	}
	w.latency.WithLabelValues("authorize", result).Observe(time.Since(start).Seconds())
}

// decide evaluates the access policies of the entry behind an identity this webhook
// authenticated: uid, extra, user name and groups all as the token-review webhook issued them
// (issuedTo). It allows or has no opinion; it never denies. It returns the entry that decided
// (nil when none) and the evaluator's decision.
func (w *Webhooks) decide(key access.ClusterKey, s *authzv1.SubjectAccessReviewSpec, req *policy.Request) (sarStatus, *entryView, policy.Decision) {
	account, principalID, ok := strings.Cut(strings.TrimPrefix(s.UID, UIDPrefix), ":")
	if !strings.HasPrefix(s.UID, UIDPrefix) || !ok || principalID == "" || !extraIs(s.Extra, ExtraPrincipalID, principalID) {
		return sarStatus{Reason: "eksaccess: not an IAM identity authenticated by eksaccess; no opinion"}, nil, policy.Decision{Association: -1}
	}
	view := w.Index.cluster(key)
	if view == nil || !view.usesAccessEntries() {
		return sarStatus{Reason: "eksaccess: cluster does not use access entries; no opinion"}, nil, policy.Decision{Association: -1}
	}
	canonical := ""
	if v := s.Extra[ExtraCanonicalARN]; len(v) == 1 {
		canonical = v[0]
		if p, ok := access.ParsePrincipalARN(canonical); ok {
			canonical = p.PathlessARN()
		}
	}
	e := view.entryFor(principalID, canonical)
	if e == nil {
		return sarStatus{Reason: "eksaccess: no access entry for " + canonical + "; no opinion"}, nil, policy.Decision{Association: -1}
	}
	if !issuedTo(e, account, principalID, s) {
		return sarStatus{Reason: "eksaccess: user name or groups are not those eksaccess issued for " + canonical + " (impersonated?); no opinion"}, nil, policy.Decision{Association: -1}
	}
	d := e.Policies.Authorize(req)
	return sarStatus{Allowed: d.Allowed, Reason: "eksaccess: " + d.Reason()}, e, d
}

// extraOne is the single value of an extra key, "" when absent or repeated.
func extraOne(extra map[string]authzv1.ExtraValue, key string) string {
	if v := extra[key]; len(v) == 1 {
		return v[0]
	}
	return ""
}

func extraIs(extra map[string]authzv1.ExtraValue, key, want string) bool {
	v := extra[key]
	return len(v) == 1 && v[0] == want
}
