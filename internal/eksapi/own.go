package eksapi

import (
	"net/http"

	"github.com/eksaccess/eksaccess/internal/access"
)

// ClusterARN is the ARN of a cluster of the caller's account and region.
func ClusterARN(c access.Caller, name string) string {
	return "arn:" + c.Partition() + ":eks:" + c.Region + ":" + c.Account + ":cluster/" + name
}

// HandleOwnOn is HandleOwn for an operation whose resource the path does not name: resource
// gives the ARN the action is authorized on (e.g. the cluster a query parameter names).
func (a *API) HandleOwnOn(mux *http.ServeMux, pattern, name, action string, resource func(r *http.Request, c access.Caller) string, h OwnHandler) {
	mux.Handle(pattern, a.opWith(name, action, resource, func(r *request) (any, error) { return h(r.Context(), r.Caller, r.Request) }))
}
