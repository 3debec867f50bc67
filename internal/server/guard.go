package server

import (
	"mime"
	"net"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/eksapi"
	"github.com/eksaccess/eksaccess/internal/identity"
	"github.com/google/uuid"
)

// Timeouts are the listener's deadlines (docs/security.md). Each is sized for the slowest
// legitimate client: a 1 MiB request body (the largest the API reads) within Read is 17 KiB/s;
// Write starts when the headers are read, so it covers the body, the operation and the answer.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers; Read the whole request, body included.
	ReadHeader, Read time.Duration
	// Write bounds everything after the headers: body, operation and response.
	Write time.Duration
	// Idle bounds a keep-alive connection waiting for its next request.
	Idle time.Duration
}

// DefaultTimeouts are the deadlines `eksaccess serve` uses.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second, Write: 90 * time.Second, Idle: 60 * time.Second}

// withDefaults fills in the zero deadlines.
func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts
	if t.ReadHeader > 0 {
		d.ReadHeader = t.ReadHeader
	}
	if t.Read > 0 {
		d.Read = t.Read
	}
	if t.Write > 0 {
		d.Write = t.Write
	}
	if t.Idle > 0 {
		d.Idle = t.Idle
	}
	return d
}

// Timeouts are the deadlines the listener serves with.
func (s *Server) Timeouts() Timeouts {
	return Timeouts{ReadHeader: s.http.ReadHeaderTimeout, Read: s.http.ReadTimeout, Write: s.http.WriteTimeout, Idle: s.http.IdleTimeout}
}

// The refusals of guard, in one place.
var (
	errBrowser = func() *access.Error {
		return access.NewError(access.CodeAccessDenied, "eksaccess does not serve web browsers on this path: requests with an Origin header, or a Sec-Fetch-Site other than same-origin or none, are refused (AWS clients send neither)")
	}
	errHost = func() *access.Error {
		return access.NewError(access.CodeAccessDenied, "The Host header names neither a loopback address, the listen address, nor an --endpoint-hosts name: eksaccess refuses it (DNS rebinding)")
	}
	errContentType = func() *access.Error {
		return access.NewError(access.CodeBadRequest, "Content-Type form, multipart or text/plain is not accepted by the EKS API: AWS clients send application/json")
	}
	errQueryCredentials = func() *access.Error {
		return access.NewError(access.CodeBadRequest, "Credentials in the query string are accepted only on a presigned GET request")
	}
)

// guard refuses what no AWS client sends before any handler sees it:
//   - paths that are not clean (//clusters, dot segments): Go's ServeMux would answer them with
//     an HTML redirect; they get the API's UnknownOperationException instead;
//   - requests from web browsers (an Origin header of another origin, or Sec-Fetch-Site other
//     than same-origin or none), in every mode;
//   - in open mode, which trusts any caller that reaches it, also a Host that is neither a
//     loopback name, the listen address, nor an --endpoint-hosts name (DNS rebinding); bodies
//     of the content types a page can post cross-site without a preflight (form, multipart,
//     text/plain) to the rest-json API; and credentials in the query string of anything but a
//     presigned GET.
//
// In sigv4 mode the signature covers the Host header and a page cannot sign, so Host is not
// checked there.
func (s *Server) guard(next http.Handler) http.Handler {
	open := s.cfg.Auth == AuthOpen
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (open || s.cfg.AllowAnyHost) && !s.hostAllowed(r.Host) {
			deny(w, errHost())
			return
		}
		if fromBrowser(r, s.cfg.AllowAnyHost && len(s.cfg.EndpointHosts) == 0) {
			deny(w, errBrowser())
			return
		}
		if p := r.URL.Path; r.Method != http.MethodConnect && p != cleanPath(p) {
			deny(w, eksapi.ErrUnknownOperation(r))
			return
		}
		if open {
			sts := identity.IsSTSRequest(r)
			if !sts && r.ContentLength != 0 && simpleContentType(r.Header.Get("Content-Type")) {
				deny(w, errContentType())
				return
			}
			if r.Method != http.MethodGet && identity.HasQueryAuth(r.URL.RawQuery) {
				deny(w, errQueryCredentials())
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// deny answers a refusal as the API answers its errors, with a request id.
func deny(w http.ResponseWriter, e *access.Error) {
	w.Header().Set("x-amzn-RequestId", uuid.NewString())
	eksapi.WriteError(w, e)
}

// fromBrowser reports whether a request comes from a web page of another origin. AWS SDKs
// and kube-apiserver send neither Origin nor Sec-Fetch-*; a browser sends Origin on every
// cross-origin request and Sec-Fetch-Site on every request. anyOrigin refuses same-origin
// requests too: when any Host is accepted, a DNS-rebinding page is "same-origin".
func fromBrowser(r *http.Request, anyOrigin bool) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "none" && (anyOrigin || site != "same-origin") {
		return true
	}
	origins := r.Header.Values("Origin")
	if len(origins) == 0 {
		return false
	}
	if anyOrigin || len(origins) > 1 {
		return true
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return !strings.EqualFold(origins[0], scheme+r.Host)
}

// simpleContentType reports whether ct is one of the types a web page may post to another
// origin without a CORS preflight.
func simpleContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// hostAllowed reports whether a Host header names this server: a loopback name or address
// (any port: port forwards change it), the listen address, or an --endpoint-hosts name. With
// AllowAnyHost, any Host is accepted unless --endpoint-hosts names some.
func (s *Server) hostAllowed(host string) bool {
	host = strings.ToLower(host)
	for _, h := range s.cfg.EndpointHosts {
		h = strings.ToLower(h)
		if h == host || !strings.Contains(strings.TrimPrefix(h, "["), ":") && h == hostOnly(host) {
			return true
		}
	}
	if s.cfg.AllowAnyHost {
		return len(s.cfg.EndpointHosts) == 0
	}
	return loopbackHost(host, s.Addr())
}

// loopbackHost reports whether a Host header names localhost, a loopback IP or the IP of
// listenAddr: the names a client on this machine reaches a loopback listener by. Any other
// name reaching a loopback listener is a browser whose page rebound a DNS name to it.
func loopbackHost(host, listenAddr string) bool {
	h := hostOnly(strings.ToLower(host))
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	if ip == nil {
		return false
	}
	lh, _, _ := net.SplitHostPort(listenAddr)
	return ip.IsLoopback() || ip.Equal(net.ParseIP(lh))
}

// hostOnly is the host of host[:port], without IPv6 brackets.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// cleanPath is the path Go's ServeMux would redirect to (it keeps a trailing slash).
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}
