// Package eksapi is the EKS rest-json (2017-11-01) wire layer: routes, request decoding,
// response and error encoding, exactly as AWS puts them on the wire.
package eksapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/eksapi/model"
	"github.com/eksaccess/eksaccess/internal/identity"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// MaxBodyBytes bounds request bodies.
const MaxBodyBytes = 1 << 20

// API serves the EKS operations.
type API struct {
	svc     *access.Service
	authn   identity.Authenticator
	authz   Authorizer // nil: every authenticated call is allowed (open mode)
	log     *slog.Logger
	metrics *metrics
	answers answerCache // DescribeCluster's, encoded (answers.go)
}

// Options configures the API.
type Options struct {
	Authenticator identity.Authenticator // default identity.Open{}
	Authorizer    Authorizer             // IAM authorization of each call; nil allows all (authz.go)
	Logger        *slog.Logger
	Registerer    prometheus.Registerer // nil: no metrics
}

// New returns the EKS API over svc.
func New(svc *access.Service, o Options) *API {
	a := &API{svc: svc, authn: o.Authenticator, authz: o.Authorizer, log: o.Logger}
	if a.authn == nil {
		a.authn = identity.Open{}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.metrics = newMetrics(o.Registerer)
	return a
}

// Register adds the EKS routes to mux. Go's ServeMux matches percent-encoded path labels
// segment by segment and PathValue returns them decoded, as the EKS wire format needs.
func (a *API) Register(mux *http.ServeMux) {
	mux.Handle("POST /clusters", a.op("CreateCluster", a.createCluster))
	mux.Handle("GET /clusters", a.op("ListClusters", a.listClusters))
	mux.Handle("GET /clusters/{name}", a.op("DescribeCluster", a.describeCluster))
	mux.Handle("DELETE /clusters/{name}", a.op("DeleteCluster", a.deleteCluster))

	mux.Handle("POST /clusters/{name}/access-entries", a.op("CreateAccessEntry", a.createAccessEntry))
	mux.Handle("GET /clusters/{name}/access-entries", a.op("ListAccessEntries", a.listAccessEntries))
	mux.Handle("GET /clusters/{name}/access-entries/{principalArn}", a.op("DescribeAccessEntry", a.describeAccessEntry))
	mux.Handle("POST /clusters/{name}/access-entries/{principalArn}", a.op("UpdateAccessEntry", a.updateAccessEntry))
	mux.Handle("DELETE /clusters/{name}/access-entries/{principalArn}", a.op("DeleteAccessEntry", a.deleteAccessEntry))

	mux.Handle("POST /clusters/{name}/access-entries/{principalArn}/access-policies", a.op("AssociateAccessPolicy", a.associateAccessPolicy))
	mux.Handle("GET /clusters/{name}/access-entries/{principalArn}/access-policies", a.op("ListAssociatedAccessPolicies", a.listAssociatedAccessPolicies))
	mux.Handle("DELETE /clusters/{name}/access-entries/{principalArn}/access-policies/{policyArn}", a.op("DisassociateAccessPolicy", a.disassociateAccessPolicy))
	mux.Handle("GET /access-policies", a.op("ListAccessPolicies", a.listAccessPolicies))

	mux.Handle("POST /clusters/{name}/identity-provider-configs/associate", a.op("AssociateIdentityProviderConfig", a.associateIdentityProviderConfig))
	mux.Handle("POST /clusters/{name}/identity-provider-configs/disassociate", a.op("DisassociateIdentityProviderConfig", a.disassociateIdentityProviderConfig))
	mux.Handle("POST /clusters/{name}/identity-provider-configs/describe", a.op("DescribeIdentityProviderConfig", a.describeIdentityProviderConfig))
	mux.Handle("GET /clusters/{name}/identity-provider-configs", a.op("ListIdentityProviderConfigs", a.listIdentityProviderConfigs))
	mux.Handle("POST /clusters/{name}/update-config", a.op("UpdateClusterConfig", a.updateClusterConfig))
	mux.Handle("GET /clusters/{name}/updates", a.op("ListUpdates", a.listUpdates))
	mux.Handle("GET /clusters/{name}/updates/{updateId}", a.op("DescribeUpdate", a.describeUpdate))
	mux.Handle("POST /tags/{resourceArn...}", a.op("TagResource", a.tagResource))
	mux.Handle("DELETE /tags/{resourceArn...}", a.op("UntagResource", a.untagResource))
	mux.Handle("GET /tags/{resourceArn...}", a.op("ListTagsForResource", a.listTagsForResource))

	mux.Handle("/", a.op("Unknown", func(r *request) (any, error) {
		return nil, ErrUnknownOperation(r.Request)
	}))
}

// ErrUnknownOperation answers a request that names no EKS operation.
func ErrUnknownOperation(r *http.Request) *access.Error {
	return access.NewError(access.CodeUnknownOperation, fmt.Sprintf("No operation matches %s %s", r.Method, r.URL.EscapedPath()))
}

// WriteError renders e as the EKS API renders its errors (for refusals made before a request
// reaches an operation).
func WriteError(w http.ResponseWriter, e *access.Error) { writeError(w, e) }

// OwnHandler serves an operation of eksaccess's own: the caller is authenticated and
// authorized; errors (*access.Error) are rendered as EKS errors.
type OwnHandler func(ctx context.Context, c access.Caller, r *http.Request) (any, error)

// HandleOwn registers an operation of eksaccess's own (outside the EKS API's paths) that goes
// through the same authentication, IAM authorization (action on the cluster that the {name}
// path label names), error rendering, metrics and logs as the EKS operations.
func (a *API) HandleOwn(mux *http.ServeMux, pattern, name, action string, h OwnHandler) {
	mux.Handle(pattern, a.opWith(name, action, nil, func(r *request) (any, error) { return h(r.Context(), r.Caller, r.Request) }))
}

// request is one API call being served.
type request struct {
	*http.Request
	Caller access.Caller
	// Body is the request body; once validate has checked it against the model, only the
	// members the operation's input shape knows.
	Body []byte
	ID   string
	Op   string // the operation name
	// entry is the access entry that authorizing DescribeAccessEntry read (to name the
	// resource); the operation answers it rather than reading it again.
	entry *access.AccessEntry
	// action is the IAM action of an operation of eksaccess's own (HandleOwn); "" is eks:<Op>.
	action string
	// resource, when set (HandleOwnOn), names the resource the action is authorized on.
	resource func(r *http.Request, c access.Caller) string
}

type handlerFunc func(r *request) (any, error)

func (a *API) op(name string, h handlerFunc) http.Handler { return a.opWith(name, "", nil, h) }

func (a *API) opWith(name, action string, resource func(*http.Request, access.Caller) string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		start := time.Now()
		id := uuid.NewString()
		w.Header().Set("x-amzn-RequestId", id)
		req := &request{Request: hr, ID: id, Op: name, action: action, resource: resource}
		status, code := a.serve(w, req, name, h)
		d := time.Since(start)
		a.metrics.observe(name, code, d)
		a.log.LogAttrs(hr.Context(), slog.LevelInfo, "request",
			slog.String("operation", name), slog.Int("status", status), slog.String("code", code),
			slog.Duration("duration", d), slog.String("request_id", id),
			slog.String("account", req.Caller.Account), slog.String("region", req.Caller.Region),
			slog.String("method", hr.Method), slog.String("path", hr.URL.EscapedPath()))
	})
}

// serve runs the handler and writes its answer; it never lets a panic reach the client.
func (a *API) serve(w http.ResponseWriter, r *request, name string, h handlerFunc) (status int, code string) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("panic serving request", "operation", name, "request_id", r.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			status, code = writeError(w, access.NewError(access.CodeServer, "An internal error occurred. Request id: "+r.ID))
		}
	}()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Request.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return writeError(w, access.NewError(access.CodeRequestTooLarge, fmt.Sprintf("Request body exceeds the limit of %d bytes", MaxBodyBytes)))
		}
		return writeError(w, access.NewError(access.CodeSerialization, "Could not read the request body: "+err.Error()))
	}
	r.Body = body
	if !utf8.ValidString(r.URL.Path) {
		return writeError(w, errNotUTF8("request path"))
	}
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && !identity.ValidUTF8Values(q) {
		return writeError(w, errNotUTF8("query string"))
	}
	caller, err := a.authn.Authenticate(r.Request, body)
	if err != nil {
		return a.writeErr(w, r, name, err)
	}
	r.Caller = caller
	if err := a.validate(r); err != nil {
		return a.writeErr(w, r, name, err)
	}
	if err := a.authorize(r, name); err != nil {
		return a.writeErr(w, r, name, err)
	}
	out, err := h(r)
	if err != nil {
		return a.writeErr(w, r, name, err)
	}
	b, ok := out.(encoded)
	if !ok {
		if b, err = json.Marshal(out); err != nil {
			return a.writeErr(w, r, name, err)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return http.StatusOK, "OK"
}

func (a *API) writeErr(w http.ResponseWriter, r *request, name string, err error) (int, string) {
	var ae *access.Error
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, access.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		a.log.Warn("store unavailable", "operation", name, "request_id", r.ID, "error", err)
		ae = access.ErrServiceUnavailable()
	case errors.Is(err, context.Canceled):
		ae = access.NewError(access.CodeClient, "The request was canceled by the client.")
	default:
		a.log.Error("internal error", "operation", name, "request_id", r.ID, "error", err)
		ae = access.NewError(access.CodeServer, "An internal error occurred. Request id: "+r.ID)
	}
	return writeError(w, ae)
}

// writeError renders an EKS error: status, x-amzn-ErrorType, and {"message"} plus modeled members.
func writeError(w http.ResponseWriter, e *access.Error) (int, string) {
	body := map[string]string{"message": e.Message}
	if e.ClusterName != "" {
		body["clusterName"] = e.ClusterName
	}
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("x-amzn-ErrorType", e.Code)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.Status)
	w.Write(b)
	return e.Status, e.Code
}

// decode reads the JSON body into v. An empty body is an empty object. Type mismatches and
// syntax errors are SerializationExceptions naming the member.
func (r *request) decode(v any) error {
	if len(strings.TrimSpace(string(r.Body))) == 0 {
		return nil
	}
	if !validJSONText(r.Body) {
		return errNotUTF8("request body")
	}
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	if err := dec.Decode(v); err != nil {
		return serializationError(err)
	}
	if dec.More() {
		return access.NewError(access.CodeSerialization, "Unexpected content after the JSON request body")
	}
	if _, err := dec.Token(); err != io.EOF {
		return access.NewError(access.CodeSerialization, "Unexpected content after the JSON request body")
	}
	return nil
}

func serializationError(err error) error {
	// Wrong member types are found by validate (validate.go) on the generic decode; the typed
	// decodes after it see only members of the model's types.
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return access.NewError(access.CodeSerialization, fmt.Sprintf("The request body is not valid JSON: %v (at byte %d)", se, se.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return access.NewError(access.CodeSerialization, "The request body is not valid JSON: unexpected end of input")
	}
	var ae *access.Error
	if errors.As(err, &ae) {
		return ae
	}
	return access.NewError(access.CodeSerialization, "The request body could not be parsed: "+err.Error())
}

// errWrongType: a member of the wrong JSON type (want "a list", got "string").
func errWrongType(member, want, got string) *access.Error {
	return access.NewError(access.CodeSerialization, fmt.Sprintf("Invalid value for member %q: expected %s, got %s", member, want, got))
}

func errNotObject(got string) *access.Error {
	return access.NewError(access.CodeSerialization, "The request body must be a JSON object, not "+got)
}

// validationCode is the exception the operation declares for invalid input.
func (r *request) validationCode() string {
	if op := model.EKS().Op(r.Op); op != nil {
		return op.ValidationError()
	}
	return access.CodeInvalidParameter
}

// query returns the request's query parameters, refusing malformed encodings.
func (r *request) query() (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, access.NewError(r.validationCode(), fmt.Sprintf("The query string is malformed: %v", err))
	}
	return q, nil
}

// page reads maxResults (its range checked by validate) and nextToken.
func (r *request) page() (access.Page, error) {
	q, err := r.query()
	if err != nil {
		return access.Page{}, err
	}
	var p access.Page
	if s := q.Get("maxResults"); s != "" {
		p.Limit, _ = strconv.Atoi(s)
	}
	if t := q.Get("nextToken"); t != "" {
		after, ok := r.decodeToken(t)
		if !ok {
			return p, access.ErrNextToken(r.validationCode())
		}
		p.After = after
	}
	return p, nil
}

const tokenPrefix = "eksaccess.v1:"

// token makes an opaque nextToken from the last key of a page, bound to the operation.
func (r *request) token(after string) *string {
	if after == "" {
		return nil
	}
	t := base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + r.Op + ":" + after))
	return &t
}

// decodeToken returns the key a nextToken of this operation carries.
func (r *request) decodeToken(t string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	prefix := tokenPrefix + r.Op + ":"
	if err != nil || !strings.HasPrefix(string(b), prefix) || len(b) == len(prefix) {
		return "", false
	}
	return string(b[len(prefix):]), true
}

// epoch renders access.Millis as EKS timestamps: epoch seconds, a JSON number.
type epoch access.Millis

func (e epoch) MarshalJSON() ([]byte, error) { return []byte(access.Millis(e).EpochSeconds()), nil }

func strOr(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func listOr(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
