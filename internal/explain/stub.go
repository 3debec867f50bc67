package explain

import (
	"context"

	"github.com/eksaccess/eksaccess/internal/access"
)

func (x *Explainer) explain(context.Context, access.ClusterKey, ExplainQuery) (*Explanation, error) {
	return nil, access.NewError(access.CodeServer, "explain: not implemented yet")
}

func (x *Explainer) whoCan(context.Context, access.ClusterKey, WhoCanQuery) (*WhoCanResult, error) {
	return nil, access.NewError(access.CodeServer, "who-can: not implemented yet")
}

func (x *Explainer) matrix(context.Context, access.ClusterKey, MatrixQuery) (*Matrix, error) {
	return nil, access.NewError(access.CodeServer, "access-matrix: not implemented yet")
}
