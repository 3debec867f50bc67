package policy

// Attributes is a Request as eksaccess's own JSON APIs show it (the explorer's queries and
// answers, the decision log): a resource request (Resource set) or a non-resource request (Path
// set), in the SubjectAccessReview's member names.
type Attributes struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Path        string `json:"path,omitempty"`
}

// AttributesOf is r as Attributes.
func AttributesOf(r *Request) Attributes {
	return Attributes{Verb: r.Verb, APIGroup: r.APIGroup, Resource: r.Resource, Subresource: r.Subresource,
		Name: r.Name, Namespace: r.Namespace, Path: r.Path}
}
