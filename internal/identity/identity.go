// Package identity answers "who is calling": it reads the SigV4 credential scope of a request
// and, in sigv4 mode, verifies the signature against the identities eksaccess knows.
package identity

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Authenticator turns a request (and its already-read body) into a caller.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte) (access.Caller, error)
}

// Credential is the parsed Credential of a SigV4 Authorization header or X-Amz-Credential.
type Credential struct {
	AccessKeyID string
	Date        string
	Region      string
	Service     string
}

var accountRe = regexp.MustCompile(`^[0-9]{12}$`)

// DefaultAccount is the account of callers whose access key id is not an account number.
const DefaultAccount = "000000000000"

// ParseCredential parses "AKID/20230530/us-west-2/eks/aws4_request".
func ParseCredential(s string) (Credential, bool) {
	p := strings.Split(s, "/")
	if len(p) != 5 || p[0] == "" || len(p[1]) != 8 || p[2] == "" || p[3] == "" || p[4] != "aws4_request" {
		return Credential{}, false
	}
	return Credential{AccessKeyID: p[0], Date: p[1], Region: p[2], Service: p[3]}, true
}

// AuthHeader is a parsed "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…" header.
type AuthHeader struct {
	Credential    Credential
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization parses a SigV4 Authorization header.
func ParseAuthorization(h string) (AuthHeader, error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != "AWS4-HMAC-SHA256" {
		return AuthHeader{}, errIncomplete("Authorization header requires the AWS4-HMAC-SHA256 algorithm.")
	}
	var out AuthHeader
	var haveCred, haveSigned, haveSig bool
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return AuthHeader{}, errIncomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters separated by commas.")
		}
		switch k {
		case "Credential":
			c, ok := ParseCredential(v)
			if !ok {
				return AuthHeader{}, errIncomplete("Credential should be scoped to a valid region, service and date: " + v)
			}
			out.Credential, haveCred = c, true
		case "SignedHeaders":
			out.SignedHeaders, haveSigned = strings.Split(v, ";"), true
		case "Signature":
			out.Signature, haveSig = v, true
		}
	}
	if !haveCred || !haveSigned || !haveSig {
		return AuthHeader{}, errIncomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
	}
	return out, nil
}

func errIncomplete(msg string) *access.Error {
	e := access.NewError("IncompleteSignatureException", msg)
	e.Status = http.StatusForbidden
	return e
}

// ErrMissingToken is AWS's answer to an unsigned request.
func ErrMissingToken() *access.Error {
	return access.NewError(access.CodeMissingAuthToken, "Missing Authentication Token")
}

// RequestCredential finds the credential of a signed request (header or presigned query).
func RequestCredential(r *http.Request) (Credential, error) {
	if err := checkOneAuth(r); err != nil {
		return Credential{}, err
	}
	if h := r.Header.Get("Authorization"); h != "" {
		a, err := ParseAuthorization(h)
		if err != nil {
			return Credential{}, err
		}
		return a.Credential, nil
	}
	if q := r.URL.Query().Get("X-Amz-Credential"); q != "" {
		c, ok := ParseCredential(q)
		if !ok {
			return Credential{}, errIncomplete("X-Amz-Credential should be scoped to a valid region, service and date: " + q)
		}
		return c, nil
	}
	return Credential{}, ErrMissingToken()
}

// AccountOf is the account open mode assigns to an access key id: the key itself when it is
// a 12-digit account number, else DefaultAccount.
func AccountOf(accessKeyID string) string {
	if accountRe.MatchString(accessKeyID) {
		return accessKeyID
	}
	return DefaultAccount
}

// Open trusts the credential scope without verifying signatures. It is meant for local use;
// the server refuses to run it on a non-loopback address.
//
// With a Store (an identities file given in open mode), a caller whose access key is a
// long-term key of the file is that user, unverified; other callers have no principal.
type Open struct {
	Store *Store
}

// Authenticate implements Authenticator.
func (o Open) Authenticate(r *http.Request, _ []byte) (access.Caller, error) {
	c, err := RequestCredential(r)
	if err != nil {
		return access.Caller{}, err
	}
	if o.Store != nil {
		if k, ok := o.Store.Directory().keys[c.AccessKeyID]; ok {
			u := k.user
			return access.Caller{Account: u.Account, Region: c.Region, AccessKeyID: c.AccessKeyID,
				PrincipalARN: u.ARN, SessionARN: u.ARN, PrincipalID: u.ID}, nil
		}
	}
	return access.Caller{Account: AccountOf(c.AccessKeyID), Region: c.Region, AccessKeyID: c.AccessKeyID}, nil
}
