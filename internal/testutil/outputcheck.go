package testutil

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/eksaccess/eksaccess/internal/eksapi"
	"github.com/eksaccess/eksaccess/internal/eksapi/model"
)

// outputChecker checks every successful EKS response a test client receives against its
// operation's output shape in the EKS model (eksapi.CheckOutput): no unknown member, no
// null, the right types and enum values. A response that breaks it fails the test.
type outputChecker struct {
	t    testing.TB
	next http.RoundTripper
}

func (c outputChecker) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	op := OperationOf(req.Method, req.URL.EscapedPath())
	if op == "" {
		return resp, nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return resp, err
	}
	if err := eksapi.CheckOutput(op, b); err != nil {
		c.t.Errorf("%s %s: the response breaks the EKS model: %v\n%s", req.Method, req.URL.EscapedPath(), err, b)
	}
	return resp, nil
}

type opRoute struct {
	method        string
	exact, greedy *regexp.Regexp
	name          string
}

var (
	routesOnce sync.Once
	routes     []opRoute
)

// OperationOf names the EKS operation a request's method and escaped path address, from the
// model's HTTP bindings; "" when none does. A URI's last label also matches unencoded
// slashes when no operation matches otherwise (/tags/arn:aws:eks:...:cluster/name).
func OperationOf(method, path string) string {
	routesOnce.Do(func() {
		for name, op := range model.EKS().Operations {
			uri, _, _ := strings.Cut(op.HTTP.RequestURI, "?")
			label := regexp.MustCompile(`\\\{[^}]+\\\}`)
			quoted := regexp.QuoteMeta(uri)
			exact := label.ReplaceAllString(quoted, `[^/]+`)
			greedy := exact
			if i := strings.LastIndex(exact, `[^/]+`); i >= 0 && strings.HasSuffix(exact, `[^/]+`) {
				greedy = exact[:i] + `.+`
			}
			routes = append(routes, opRoute{op.HTTP.Method, regexp.MustCompile("^" + exact + "$"), regexp.MustCompile("^" + greedy + "$"), name})
		}
	})
	for _, greedy := range []bool{false, true} {
		for _, r := range routes {
			re := r.exact
			if greedy {
				re = r.greedy
			}
			if r.method == method && re.MatchString(path) {
				return r.name
			}
		}
	}
	return ""
}
