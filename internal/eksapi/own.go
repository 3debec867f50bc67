package eksapi

import (
	"net/http"

	"github.com/eksaccess/eksaccess/internal/access"
)

// OwnPrefix starts the paths of eksaccess's own API (outside the EKS API's paths).
const OwnPrefix = "/eksaccess/v1/"

// OwnOperation is an operation of eksaccess's own API. It is served like an EKS operation
// (authenticated, authorized, errors rendered as AWS does, metrics and logs), but authorized
// with an IAM action of eksaccess's own, e.g. eksaccess:ListDecisions.
type OwnOperation struct {
	Name   string // e.g. ListUnusedAccess; the IAM action is "eksaccess:" + Name
	Method string
	Path   string // under OwnPrefix, e.g. "clusters/{name}/unused"
	// Resource names the ARN the action is authorized on, given the caller; nil: the cluster
	// the path's {name} names.
	Resource func(r *http.Request, c access.Caller) string
	Handle   func(r *http.Request, c access.Caller) (any, error)
}

// ClusterARN is the ARN of the caller's cluster name.
func ClusterARN(c access.Caller, name string) string {
	return "arn:" + c.Partition() + ":eks:" + c.Region + ":" + c.Account + ":cluster/" + name
}

// HandleOwn adds an operation of eksaccess's own API to mux.
func (a *API) HandleOwn(mux *http.ServeMux, op OwnOperation) {
	mux.Handle(op.Method+" "+OwnPrefix+op.Path, a.op(op.Name, func(r *request) (any, error) {
		return op.Handle(r.Request, r.Caller)
	}, ownAction(op)))
}

func ownAction(op OwnOperation) func(r *request) (string, string) {
	return func(r *request) (string, string) {
		res := ClusterARN(r.Caller, r.PathValue("name"))
		if op.Resource != nil {
			res = op.Resource(r.Request, r.Caller)
		}
		return "eksaccess:" + op.Name, res
	}
}
