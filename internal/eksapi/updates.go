package eksapi

import (
	"github.com/eksaccess/eksaccess/internal/access"
)

// updateJSON is the Update structure of the EKS model. params and errors are always sent,
// as lists ([] when empty), as EKS does.
type updateJSON struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	Type      string            `json:"type"`
	Params    []updateParamJSON `json:"params"`
	CreatedAt epoch             `json:"createdAt"`
	Errors    []errorDetailJSON `json:"errors"`
}

type updateParamJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type errorDetailJSON struct {
	ErrorCode    string   `json:"errorCode"`
	ErrorMessage string   `json:"errorMessage"`
	ResourceIDs  []string `json:"resourceIds"`
}

func toUpdateJSON(u *access.Update) updateJSON {
	out := updateJSON{
		ID: u.ID, Status: u.Status, Type: u.Type, CreatedAt: epoch(u.CreatedAt),
		Params: make([]updateParamJSON, 0, len(u.Params)),
		Errors: make([]errorDetailJSON, 0, len(u.Errors)),
	}
	for _, p := range u.Params {
		out.Params = append(out.Params, updateParamJSON(p))
	}
	for _, e := range u.Errors {
		out.Errors = append(out.Errors, errorDetailJSON{ErrorCode: e.ErrorCode, ErrorMessage: e.ErrorMessage, ResourceIDs: listOr(e.ResourceIDs)})
	}
	return out
}

type updateOutput struct {
	Update updateJSON `json:"update"`
}

func (a *API) updateFilter(r *request) (access.UpdateFilter, error) {
	q, err := r.query()
	if err != nil {
		return access.UpdateFilter{}, err
	}
	return access.UpdateFilter{NodegroupName: q.Get("nodegroupName"), AddonName: q.Get("addonName"), CapabilityName: q.Get("capabilityName")}, nil
}

func (a *API) describeUpdate(r *request) (any, error) {
	f, err := a.updateFilter(r)
	if err != nil {
		return nil, err
	}
	u, err := a.svc.DescribeUpdate(r.Context(), r.Caller, r.PathValue("name"), r.PathValue("updateId"), f)
	if err != nil {
		return nil, err
	}
	return updateOutput{toUpdateJSON(u)}, nil
}

type listUpdatesOutput struct {
	UpdateIDs []string `json:"updateIds"`
	NextToken *string  `json:"nextToken,omitempty"`
}

func (a *API) listUpdates(r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	f, err := a.updateFilter(r)
	if err != nil {
		return nil, err
	}
	ids, next, err := a.svc.ListUpdates(r.Context(), r.Caller, r.PathValue("name"), f, p)
	if err != nil {
		return nil, err
	}
	return listUpdatesOutput{UpdateIDs: listOr(ids), NextToken: r.token(next)}, nil
}

func (a *API) updateClusterConfig(r *request) (any, error) {
	var in access.UpdateClusterConfigInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	in.Name = r.PathValue("name")
	u, err := a.svc.UpdateClusterConfig(r.Context(), r.Caller, in)
	if err != nil {
		return nil, err
	}
	return updateOutput{toUpdateJSON(u)}, nil
}
