package eksapi

// The tagging operations address a resource by its ARN in the path: /tags/{resourceArn}. SDKs
// percent-encode the whole ARN into one segment; the route takes the rest of the path
// ({resourceArn...}) so that a client that leaves the ARN's slashes unencoded is served too.

func (a *API) tagResource(r *request) (any, error) {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if err := a.svc.TagResource(r.Context(), r.Caller, r.PathValue("resourceArn"), in.Tags); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) untagResource(r *request) (any, error) {
	q, err := r.query()
	if err != nil {
		return nil, err
	}
	if err := a.svc.UntagResource(r.Context(), r.Caller, r.PathValue("resourceArn"), q["tagKeys"]); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type listTagsOutput struct {
	Tags map[string]string `json:"tags"`
}

func (a *API) listTagsForResource(r *request) (any, error) {
	tags, err := a.svc.ListTagsForResource(r.Context(), r.Caller, r.PathValue("resourceArn"))
	if err != nil {
		return nil, err
	}
	return listTagsOutput{Tags: strOr(tags)}, nil
}
