package identity

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/google/uuid"
)

// STSVersion is the only STS API version.
const STSVersion = "2011-06-15"

const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

// IsSTSRequest reports whether r is an STS query-API call: POST / with a form body, or GET /
// with an Action (or a presigned X-Amz-Credential scoped to sts) in the query. EKS has no
// operation on "/", so the two APIs share a listener without ambiguity.
func IsSTSRequest(r *http.Request) bool {
	if r.URL.Path != "/" {
		return false
	}
	switch r.Method {
	case http.MethodPost:
		ct := r.Header.Get("Content-Type")
		return strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") || strings.Contains(r.Header.Get("Authorization"), "/sts/aws4_request")
	case http.MethodGet:
		q := r.URL.Query()
		return q.Get("Action") != "" || strings.Contains(q.Get("X-Amz-Credential"), "/sts/")
	}
	return false
}

// STS serves the STS query API (GetCallerIdentity, AssumeRole) over the identity store.
type STS struct {
	store    *Store
	verifier *Verifier
	log      *slog.Logger
}

// NewSTS returns the STS API of sigv4 mode.
func NewSTS(a *SigV4, log *slog.Logger) *STS {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &STS{store: a.Store, verifier: a.Verifier(), log: log}
}

type stsError struct {
	status        int
	code, message string
}

func (e *stsError) Error() string { return e.code + ": " + e.message }

func stsErr(status int, code, msg string) *stsError { return &stsError{status, code, msg} }

func validationErr(format string, args ...any) *stsError {
	return stsErr(400, "ValidationError", fmt.Sprintf(format, args...))
}

// stsAuthCodes renders authentication failures in the STS protocol.
var stsAuthCodes = map[string]struct{ code, msg string }{
	access.CodeMissingAuthToken:   {"MissingAuthenticationToken", "Request is missing Authentication Token"},
	access.CodeUnrecognizedClient: {"InvalidClientTokenId", ""},
	access.CodeInvalidSignature:   {"SignatureDoesNotMatch", ""},
	access.CodeExpiredToken:       {"ExpiredToken", ""},
	codeIncompleteSig:             {"IncompleteSignature", ""},
	access.CodeAccessDenied:       {"AccessDenied", ""},
}

func toSTSError(err error) *stsError {
	var se *stsError
	if errors.As(err, &se) {
		return se
	}
	var ae *access.Error
	if errors.As(err, &ae) {
		if m, ok := stsAuthCodes[ae.Code]; ok {
			msg := ae.Message
			if m.msg != "" {
				msg = m.msg
			}
			return stsErr(ae.Status, m.code, msg)
		}
		return stsErr(ae.Status, ae.Code, ae.Message)
	}
	return stsErr(500, "InternalFailure", "An internal error occurred.")
}

// ServeHTTP implements http.Handler.
func (s *STS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", id)
	action, out, err := s.serve(r)
	status, code := http.StatusOK, "OK"
	if err != nil {
		se := toSTSError(err)
		status, code = se.status, se.code
		writeXML(w, status, errorResponse{Error: errorBody{Type: senderOrReceiver(status), Code: se.code, Message: se.message}, RequestID: id})
	} else {
		out.setRequestID(id)
		writeXML(w, http.StatusOK, out)
	}
	s.log.Info("request", "api", "sts", "operation", action, "status", status, "code", code, "request_id", id)
}

func senderOrReceiver(status int) string {
	if status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, _ := xml.Marshal(v)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

type stsResponse interface{ setRequestID(string) }

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	XMLNS     string    `xml:"xmlns,attr,omitempty"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	XMLNS   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	Meta responseMetadata `xml:"ResponseMetadata"`
}

func (r *getCallerIdentityResponse) setRequestID(id string) { r.Meta.RequestID = id }

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	XMLNS   string   `xml:"xmlns,attr"`
	Result  struct {
		AssumedRoleUser struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
		} `xml:"Credentials"`
	} `xml:"AssumeRoleResult"`
	Meta responseMetadata `xml:"ResponseMetadata"`
}

func (r *assumeRoleResponse) setRequestID(id string) { r.Meta.RequestID = id }

func (s *STS) serve(r *http.Request) (string, stsResponse, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16+1))
	if err != nil { // a client that stopped sending (the listener's read deadline) or went away
		return "", nil, stsErr(400, "IncompleteBody", "The request body could not be read in full")
	}
	if len(body) > 1<<16 {
		return "", nil, stsErr(413, "RequestEntityTooLarge", "Request body too large")
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", nil, stsErr(400, "MalformedQueryString", "The query string is malformed")
	}
	if !ValidUTF8Values(params) {
		return "", nil, stsErr(400, "MalformedQueryString", "The query string is not valid UTF-8")
	}
	if r.Method == http.MethodPost && len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", nil, stsErr(400, "MalformedQueryString", "The request body is not a valid form")
		}
		if !ValidUTF8Values(form) {
			return "", nil, stsErr(400, "MalformedQueryString", "The request body is not valid UTF-8")
		}
		for k, v := range form {
			params[k] = v
		}
	}
	action := params.Get("Action")
	p, _, err := s.verifier.Verify(r, body, "sts")
	if err != nil {
		return action, nil, err
	}
	if action == "" {
		return action, nil, stsErr(400, "MissingAction", "Missing Action")
	}
	if v := params.Get("Version"); v != STSVersion {
		if v == "" {
			return action, nil, stsErr(400, "MissingParameter", "The request must contain the parameter Version")
		}
		return action, nil, stsErr(400, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, v))
	}
	switch action {
	case "GetCallerIdentity":
		out := &getCallerIdentityResponse{XMLNS: stsNS}
		out.Result.Arn, out.Result.UserID, out.Result.Account = p.ARN, p.UserID, p.Account
		return action, out, nil
	case "AssumeRole":
		out, err := s.assumeRole(p, params)
		return action, out, err
	}
	return action, nil, stsErr(400, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, STSVersion))
}

// ValidUTF8Values reports whether every key and value of a decoded query or form is valid
// UTF-8: input that is not would be stored (or compared) as something else than was sent.
func ValidUTF8Values(v url.Values) bool {
	for k, vs := range v {
		if !utf8.ValidString(k) {
			return false
		}
		for _, s := range vs {
			if !utf8.ValidString(s) {
				return false
			}
		}
	}
	return true
}

var sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]*$`)

func (s *STS) assumeRole(caller *Principal, q url.Values) (stsResponse, error) {
	roleARN, name := q.Get("RoleArn"), q.Get("RoleSessionName")
	var problems []string
	if roleARN == "" {
		problems = append(problems, "Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	} else if len(roleARN) < 20 || len(roleARN) > 2048 {
		problems = append(problems, fmt.Sprintf("Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", roleARN))
	}
	switch {
	case name == "":
		problems = append(problems, "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	case len(name) < 2:
		problems = append(problems, fmt.Sprintf("Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2", name))
	case len(name) > 64:
		problems = append(problems, fmt.Sprintf("Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64", name))
	case !sessionNameRe.MatchString(name):
		problems = append(problems, fmt.Sprintf("Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", name))
	}
	duration := 3600
	if ds := q.Get("DurationSeconds"); ds != "" {
		n, err := strconv.Atoi(ds)
		switch {
		case err != nil:
			return nil, stsErr(400, "ValidationError", fmt.Sprintf("Value '%s' for parameter DurationSeconds is invalid", ds))
		case n < 900:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", n))
		case n > 43200:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200", n))
		}
		duration = n
	}
	if len(problems) > 0 {
		word := "error"
		if len(problems) > 1 {
			word = "errors"
		}
		return nil, validationErr("%d validation %s detected: %s", len(problems), word, strings.Join(problems, "; "))
	}
	for _, k := range []string{"Policy", "PolicyArns.member.1.arn", "SerialNumber", "TokenCode", "Tags.member.1.Key", "TransitiveTagKeys.member.1", "SourceIdentity", "ProvidedContexts.member.1.ProviderArn"} {
		if q.Get(k) != "" {
			return nil, stsErr(400, "ValidationError", "eksaccess does not support the AssumeRole parameter "+strings.SplitN(k, ".", 2)[0])
		}
	}
	d := s.store.Directory()
	role := d.RoleByARN(roleARN)
	if role == nil {
		// a role ARN without its path still names the role: names are unique in an account
		if acct, rname, ok := splitRoleARN(roleARN); ok {
			if r := d.roleByAccountName(acct, rname); r != nil && strings.HasSuffix(roleARN, ":role/"+rname) {
				role = r
			}
		}
	}
	deny := ErrNotAuthorized(caller.ARN, "sts:AssumeRole", roleARN)
	if role == nil || !trusts(role, caller) {
		return nil, deny
	}
	if caller.Session != nil && duration > 3600 {
		return nil, validationErr("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > role.MaxSession {
		return nil, validationErr("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	sess := s.store.issue(role, name, time.Duration(duration)*time.Second)
	if err := s.store.share(sess); err != nil {
		return nil, err
	}
	out := &assumeRoleResponse{XMLNS: stsNS}
	out.Result.AssumedRoleUser.Arn = AssumedRoleARN(role.Account, role.Name, name)
	out.Result.AssumedRoleUser.AssumedRoleID = role.ID + ":" + name
	c := &out.Result.Credentials
	c.AccessKeyID, c.SecretAccessKey, c.SessionToken = sess.AccessKeyID, sess.Secret, sess.Token
	c.Expiration = sess.Expires.UTC().Format(time.RFC3339)
	return out, nil
}

func splitRoleARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	res := parts[5]
	return parts[4], res[strings.LastIndexByte(res, '/')+1:], true
}

// trusts decides whether caller may assume role. A trust entry naming the caller (its user ARN,
// its role ARN for a role session, or its session ARN) suffices within the role's account; an
// account's root, or any cross-account principal, also needs the caller's own policies to allow
// sts:AssumeRole on the role, as IAM requires.
func trusts(role *Role, caller *Principal) bool {
	root := "arn:" + Partition + ":iam::" + caller.Account + ":root"
	allowedByIdentity := Evaluate(caller.Policies, "sts:AssumeRole", role.ARN) == Allowed
	if Evaluate(caller.Policies, "sts:AssumeRole", role.ARN) == ExplicitDeny {
		return false
	}
	for _, t := range role.Trust {
		switch t {
		case caller.IAMARN, caller.ARN:
			if caller.Account == role.Account || allowedByIdentity {
				return true
			}
		case root:
			if allowedByIdentity {
				return true
			}
		}
	}
	return false
}
