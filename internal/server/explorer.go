package server

import (
	"context"
	"net/http"
	"net/url"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/eksapi"
	"github.com/eksaccess/eksaccess/internal/explain"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
)

// ExplorerPrefix starts the paths of the access explorer's read-only JSON API.
const ExplorerPrefix = "/eksaccess/v1/"

// IAM actions of the explorer's API, authorized on the cluster ARN in --auth sigv4.
const (
	ActionExplainAccess   = "eksaccess:ExplainAccess"
	ActionWhoCan          = "eksaccess:WhoCan"
	ActionGetAccessMatrix = "eksaccess:GetAccessMatrix"
)

// registerExplorer adds the explorer's endpoints. The cluster is the caller's (account and
// region of its credentials), so no other account's clusters or principals are reachable.
func (s *Server) registerExplorer(api *eksapi.API, mux *http.ServeMux, wh *kubeauth.Webhooks) {
	x := explain.New(explain.Sources{Webhooks: wh, Kube: s.kube})
	s.explainer = x
	// handle registers one endpoint: its query parsed, on the caller's cluster of that name.
	handle := func(path, op, action string, answer func(context.Context, access.ClusterKey, url.Values) (any, error)) {
		api.HandleOwn(mux, "GET "+ExplorerPrefix+"clusters/{name}/"+path, op, action,
			func(ctx context.Context, c access.Caller, r *http.Request) (any, error) {
				q, err := url.ParseQuery(r.URL.RawQuery)
				if err != nil {
					return nil, access.InvalidParameter("The query string is malformed: %v", err)
				}
				return answer(ctx, access.ClusterKey{Account: c.Account, Region: c.Region, Name: r.PathValue("name")}, q)
			})
	}
	handle("explain", "ExplainAccess", ActionExplainAccess, func(ctx context.Context, k access.ClusterKey, q url.Values) (any, error) {
		return x.Explain(ctx, k, explain.ParseExplainQuery(q))
	})
	handle("who-can", "WhoCan", ActionWhoCan, func(ctx context.Context, k access.ClusterKey, q url.Values) (any, error) {
		return x.WhoCan(ctx, k, explain.ParseWhoCanQuery(q))
	})
	handle("access-matrix", "GetAccessMatrix", ActionGetAccessMatrix, func(ctx context.Context, k access.ClusterKey, q url.Values) (any, error) {
		return x.AccessMatrix(ctx, k, explain.ParseMatrixQuery(q))
	})
}

// Explainer is the access explorer (explain, who-can, access matrix).
func (s *Server) Explainer() *explain.Explainer { return s.explainer }
