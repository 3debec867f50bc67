package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
)

// AWS SigV4 constants.
const (
	sigAlgorithm  = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
	// MaxSkew is how far x-amz-date may be from the server's clock.
	MaxSkew = 15 * time.Minute
	// MaxPresignExpires is the longest X-Amz-Expires SigV4 allows (7 days).
	MaxPresignExpires = 7 * 24 * 3600
)

// Messages of the authentication errors, as AWS words them.
const (
	msgInvalidToken   = "The security token included in the request is invalid."
	msgExpiredToken   = "The security token included in the request is expired"
	msgBadSignature   = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgMissingToken   = "Missing Authentication Token"
	codeIncompleteSig = "IncompleteSignatureException"
	// msgAmbiguousAuth answers a request that carries more than one signature (two
	// Authorization headers, or a header and a presigned query). S3 words this refusal
	// "Only one auth mechanism allowed; …" (InvalidArgument); EKS's rest-json and STS's query
	// protocols have no such code, so eksaccess answers their SigV4 error for a signature that
	// cannot be taken as given, IncompleteSignatureException (STS: IncompleteSignature), with
	// S3's wording adapted.
	msgAmbiguousAuth = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or a single Authorization header should be specified"
	// msgContentSHA256 answers an x-amz-content-sha256 header that is not the SHA-256 of the
	// body, in S3's words (XAmzContentSHA256Mismatch there). EKS and STS have no such code: the
	// claim is part of what was signed, so it is refused as the signature that does not match,
	// InvalidSignatureException (STS: SignatureDoesNotMatch).
	msgContentSHA256 = "The provided 'x-amz-content-sha256' header does not match what was computed."
)

// queryAuthKeys are the query parameters that carry a presigned signature.
var queryAuthKeys = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Security-Token"}

// HasQueryAuth reports whether a raw query carries any presigned-signature parameter.
func HasQueryAuth(rawQuery string) bool {
	if rawQuery == "" {
		return false
	}
	q, _ := url.ParseQuery(rawQuery)
	for k := range q {
		for _, a := range queryAuthKeys {
			if strings.EqualFold(k, a) {
				return true
			}
		}
	}
	return false
}

// checkOneAuth refuses a request signed more than once: several Authorization headers, or an
// Authorization header and presigned query parameters. Which of the signatures would be the
// caller is ambiguous, so neither is taken.
func checkOneAuth(r *http.Request) error {
	h := r.Header.Values("Authorization")
	if len(h) > 1 || len(h) == 1 && HasQueryAuth(r.URL.RawQuery) {
		return authErr(codeIncompleteSig, msgAmbiguousAuth)
	}
	return nil
}

// checkContentSHA256 refuses an x-amz-content-sha256 header that contradicts the body (any
// value present must be the body's hex SHA-256: EKS and STS do not take UNSIGNED-PAYLOAD).
func checkContentSHA256(r *http.Request, body []byte) error {
	vals := r.Header.Values("X-Amz-Content-Sha256")
	if len(vals) == 0 {
		return nil
	}
	sum := sha256.Sum256(body)
	if len(vals) > 1 || !strings.EqualFold(strings.TrimSpace(vals[0]), hex.EncodeToString(sum[:])) {
		return authErr(access.CodeInvalidSignature, msgContentSHA256)
	}
	return nil
}

func authErr(code, msg string) *access.Error {
	e := access.NewError(code, msg)
	e.Status = http.StatusForbidden
	return e
}

var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// Secrets finds the secret of an access key and the principal it authenticates. token is the
// request's x-amz-security-token ("" when absent). It returns UnrecognizedClientException or
// ExpiredTokenException errors for unknown keys, bad tokens and expired sessions.
type Secrets interface {
	Lookup(accessKeyID, token string, now time.Time) (secret string, p *Principal, err error)
}

// Verifier checks SigV4 signatures (Authorization header and presigned query) of requests.
type Verifier struct {
	Secrets Secrets
	Now     func() time.Time // default time.Now
	// TokenMode verifies presigned URLs as STS does for EKS tokens: valid for 15 minutes after
	// X-Amz-Date whatever X-Amz-Expires says (aws eks get-token presigns with 60 seconds).
	TokenMode bool

	mu   sync.Mutex
	keys map[string][]byte // signing keys by secret, date, region and service
}

// signingKey returns the (cached) signing key. The cache is dropped whole when it grows large;
// keys change daily, so it only ever holds the keys of the active callers.
func (v *Verifier) signingKey(secret string, c Credential) []byte {
	id := secret + "\x00" + c.Date + "\x00" + c.Region + "\x00" + c.Service
	v.mu.Lock()
	k, ok := v.keys[id]
	v.mu.Unlock()
	if ok {
		return k
	}
	k = SigningKey(secret, c.Date, c.Region, c.Service)
	v.mu.Lock()
	if v.keys == nil || len(v.keys) >= 4096 {
		v.keys = map[string][]byte{}
	}
	v.keys[id] = k
	v.mu.Unlock()
	return k
}

// signed is a parsed SigV4 request: header or presigned form.
type signed struct {
	cred          Credential
	signedHeaders string
	signature     string
	amzDate       string
	token         string
	presigned     bool
	expires       int
}

// Verify authenticates r (whose body has been read into body) signed for service and returns
// the principal and the credential scope. Errors are *access.Error with EKS exception names
// (403); STS renders them with its own codes.
func (v *Verifier) Verify(r *http.Request, body []byte, service string) (*Principal, Credential, error) {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if err := checkOneAuth(r); err != nil {
		return nil, Credential{}, err
	}
	s, err := parseSigned(r)
	if err != nil {
		return nil, Credential{}, err
	}
	c := s.cred
	if c.Service != service {
		return nil, c, authErr(access.CodeInvalidSignature, "Credential should be scoped to correct service: '"+service+"'. ")
	}
	if !regionRe.MatchString(c.Region) {
		return nil, c, authErr(access.CodeInvalidSignature, "Credential should be scoped to a valid region. ")
	}
	t, err := time.Parse(amzDateFormat, s.amzDate)
	if err != nil {
		return nil, c, authErr(codeIncompleteSig, "Date must be in ISO-8601 'basic format'. Got '"+s.amzDate+"'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	if c.Date != s.amzDate[:8] {
		return nil, c, authErr(access.CodeInvalidSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+c.Date+"' != '"+s.amzDate[:8]+"', from '"+s.amzDate+"'.")
	}
	if !slices.Contains(strings.Split(s.signedHeaders, ";"), "host") {
		return nil, c, authErr(codeIncompleteSig, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	nowUTC := now.UTC()
	if s.presigned {
		lifetime := time.Duration(s.expires) * time.Second
		if v.TokenMode {
			lifetime = MaxSkew
		}
		if nowUTC.After(t.Add(lifetime)) {
			return nil, c, authErr(access.CodeInvalidSignature, "Request has expired")
		}
		if t.After(nowUTC.Add(MaxSkew)) {
			return nil, c, authErr(access.CodeInvalidSignature, "Signature not yet current: "+s.amzDate+" is still later than "+nowUTC.Add(MaxSkew).Format(amzDateFormat)+" ("+nowUTC.Format(amzDateFormat)+" + 15 min.)")
		}
	} else {
		if t.Before(nowUTC.Add(-MaxSkew)) {
			return nil, c, authErr(access.CodeInvalidSignature, "Signature expired: "+s.amzDate+" is now earlier than "+nowUTC.Add(-MaxSkew).Format(amzDateFormat)+" ("+nowUTC.Format(amzDateFormat)+" - 15 min.)")
		}
		if t.After(nowUTC.Add(MaxSkew)) {
			return nil, c, authErr(access.CodeInvalidSignature, "Signature not yet current: "+s.amzDate+" is still later than "+nowUTC.Add(MaxSkew).Format(amzDateFormat)+" ("+nowUTC.Format(amzDateFormat)+" + 15 min.)")
		}
	}
	secret, p, err := v.Secrets.Lookup(c.AccessKeyID, s.token, now)
	if err != nil {
		return nil, c, err
	}
	if err := checkContentSHA256(r, body); err != nil {
		return nil, c, err
	}
	want := signWithKey(v.signingKey(secret, c), c, s.amzDate, CanonicalRequest(r, body, s.signedHeaders, s.presigned))
	got, err := hex.DecodeString(s.signature)
	if err != nil || !hmac.Equal(want, got) {
		return nil, c, authErr(access.CodeInvalidSignature, msgBadSignature)
	}
	return p, c, nil
}

func parseSigned(r *http.Request) (signed, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		a, err := ParseAuthorization(h)
		if err != nil {
			return signed{}, err
		}
		d := r.Header.Get("X-Amz-Date")
		if d == "" {
			return signed{}, authErr(codeIncompleteSig, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization="+h)
		}
		return signed{cred: a.Credential, signedHeaders: strings.Join(a.SignedHeaders, ";"), signature: a.Signature,
			amzDate: d, token: r.Header.Get("X-Amz-Security-Token")}, nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || q.Get("X-Amz-Credential") == "" && q.Get("X-Amz-Signature") == "" {
		return signed{}, authErr(access.CodeMissingAuthToken, msgMissingToken)
	}
	if q.Get("X-Amz-Algorithm") != sigAlgorithm {
		return signed{}, authErr(codeIncompleteSig, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if q.Get(k) == "" {
			return signed{}, authErr(codeIncompleteSig, "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'. Re-examine the query-string parameters.")
		}
	}
	c, ok := ParseCredential(q.Get("X-Amz-Credential"))
	if !ok {
		return signed{}, authErr(codeIncompleteSig, "X-Amz-Credential should be scoped to a valid region, service and date: "+q.Get("X-Amz-Credential"))
	}
	// Without X-Amz-Expires (the SDKs' presigned GetCallerIdentity) a URL lives 15 minutes.
	exp, err := 900, error(nil)
	if e := q.Get("X-Amz-Expires"); e != "" {
		exp, err = strconv.Atoi(e)
	}
	if err != nil || exp < 1 || exp > MaxPresignExpires {
		return signed{}, authErr(codeIncompleteSig, "X-Amz-Expires must be a number of seconds between 1 and 604800")
	}
	return signed{cred: c, signedHeaders: q.Get("X-Amz-SignedHeaders"), signature: q.Get("X-Amz-Signature"),
		amzDate: q.Get("X-Amz-Date"), token: q.Get("X-Amz-Security-Token"), presigned: true, expires: exp}, nil
}

// CanonicalRequest builds the SigV4 canonical request of r as AWS does for services other than
// S3: the path exactly as sent on the wire, URI-encoded once more (so %3A becomes %253A); the
// query decoded, re-encoded (RFC 3986) and sorted, without X-Amz-Signature when presigned; the
// signed headers, trimmed, with runs of spaces collapsed; and the SHA-256 of the body.
func CanonicalRequest(r *http.Request, body []byte, signedHeaders string, presigned bool) string {
	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := wirePath(r)
	if path == "" {
		path = "/"
	}
	uriEncode(&b, path, false)
	b.WriteByte('\n')
	canonicalQuery(&b, r.URL.RawQuery, presigned)
	b.WriteByte('\n')
	for _, h := range strings.Split(signedHeaders, ";") {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	sum := sha256.Sum256(body)
	var hx [64]byte
	hex.Encode(hx[:], sum[:])
	b.Write(hx[:])
	return b.String()
}

// wirePath is the request path as the client sent it.
func wirePath(r *http.Request) string {
	if u := r.RequestURI; strings.HasPrefix(u, "/") {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			return u[:i]
		}
		return u
	}
	return r.URL.EscapedPath()
}

func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		if r.Host != "" {
			return r.Host
		}
		return r.URL.Host
	case "content-length":
		if r.Header.Get("Content-Length") == "" && r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	}
	vals := r.Header.Values(name)
	if len(vals) == 1 {
		return trimAll(vals[0])
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = trimAll(v)
	}
	return strings.Join(out, ",")
}

// trimAll trims a header value and collapses runs of spaces to one.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

type qpair struct{ k, v string }

func canonicalQuery(b *strings.Builder, raw string, presigned bool) {
	if raw == "" {
		return
	}
	var pairs []qpair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		var ek, ev strings.Builder
		uriEncode(&ek, k, true)
		uriEncode(&ev, v, true)
		pairs = append(pairs, qpair{ek.String(), ev.String()})
	}
	slices.SortFunc(pairs, func(a, b qpair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
}

const upperhex = "0123456789ABCDEF"

// uriEncode writes s percent-encoding every byte but the unreserved ones (and '/' unless encodeSlash).
func uriEncode(b *strings.Builder, s string, encodeSlash bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperhex[c>>4])
		b.WriteByte(upperhex[c&15])
	}
}

// Signature computes the SigV4 signature of a canonical request.
func Signature(secret string, c Credential, amzDate, canonical string) []byte {
	return signWithKey(SigningKey(secret, c.Date, c.Region, c.Service), c, amzDate, canonical)
}

func signWithKey(k []byte, c Credential, amzDate, canonical string) []byte {
	sum := sha256.Sum256([]byte(canonical))
	var hx [64]byte
	hex.Encode(hx[:], sum[:])
	sts := sigAlgorithm + "\n" + amzDate + "\n" + c.Date + "/" + c.Region + "/" + c.Service + "/aws4_request\n" + string(hx[:])
	return hmacSum(k, sts)
}

// SigningKey derives the SigV4 signing key.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, region)
	k = hmacSum(k, service)
	return hmacSum(k, "aws4_request")
}

func hmacSum(key []byte, data string) []byte {
	var h hash.Hash = hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
