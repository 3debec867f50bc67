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
	query := func(r *http.Request) (url.Values, error) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, access.InvalidParameter("The query string is malformed: %v", err)
		}
		return q, nil
	}
	key := func(c access.Caller, r *http.Request) access.ClusterKey {
		return access.ClusterKey{Account: c.Account, Region: c.Region, Name: r.PathValue("name")}
	}
	api.HandleOwn(mux, "GET "+ExplorerPrefix+"clusters/{name}/explain", "ExplainAccess", ActionExplainAccess,
		func(ctx context.Context, c access.Caller, r *http.Request) (any, error) {
			q, err := query(r)
			if err != nil {
				return nil, err
			}
			return x.Explain(ctx, key(c, r), explain.ParseExplainQuery(q))
		})
	api.HandleOwn(mux, "GET "+ExplorerPrefix+"clusters/{name}/who-can", "WhoCan", ActionWhoCan,
		func(ctx context.Context, c access.Caller, r *http.Request) (any, error) {
			q, err := query(r)
			if err != nil {
				return nil, err
			}
			return x.WhoCan(ctx, key(c, r), explain.ParseWhoCanQuery(q))
		})
	api.HandleOwn(mux, "GET "+ExplorerPrefix+"clusters/{name}/access-matrix", "GetAccessMatrix", ActionGetAccessMatrix,
		func(ctx context.Context, c access.Caller, r *http.Request) (any, error) {
			q, err := query(r)
			if err != nil {
				return nil, err
			}
			return x.AccessMatrix(ctx, key(c, r), explain.ParseMatrixQuery(q))
		})
}

// Explainer is the access explorer (explain, who-can, access matrix).
func (s *Server) Explainer() *explain.Explainer { return s.explainer }
