package explain

import (
	"context"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/kubesource"
	"github.com/eksaccess/eksaccess/internal/policy"
)

func (x *Explainer) matrix(_ context.Context, cluster access.ClusterKey, q MatrixQuery) (*Matrix, error) {
	s, err := validateSubject(q.Subject)
	if err != nil {
		return nil, err
	}
	if q.Namespace != "" && !namespaceRe.MatchString(q.Namespace) {
		return nil, access.InvalidParameter("The namespace %q is not a valid namespace name (a DNS-1123 label).", truncate(q.Namespace))
	}
	v, err := x.view(cluster)
	if err != nil {
		return nil, err
	}
	w := v.resolve(s)
	m := &Matrix{Cluster: cluster.Name, Namespace: q.Namespace, Identity: w.ident, RBACConsulted: v.rbac != nil, Verbs: MatrixVerbs, Notes: v.notes, Rows: []MatrixRow{}}
	for _, res := range matrixResources(v.src.Resources()) {
		if q.Namespace != "" && !res.Namespaced {
			continue
		}
		row := MatrixRow{Resource: res.Resource, APIGroup: res.Group, Namespaced: res.Namespaced}
		for _, verb := range MatrixVerbs {
			r := policy.Request{Verb: verb, ResourceRequest: true, APIGroup: res.Group, Resource: res.Resource, Namespace: q.Namespace}
			vd := v.decide(&w, &r, false)
			c := MatrixCell{Verb: verb, Allowed: vd.allowed}
			if vd.allowed {
				c.By, c.Grant = vd.by.Summary, vd.by
			}
			row.Cells = append(row.Cells, c)
		}
		m.Rows = append(m.Rows, row)
	}
	return m, nil
}

// matrixResources is the common resources the cluster serves (all of them without discovery).
func matrixResources(discovered []kubesource.APIResource) []kubesource.APIResource {
	if discovered == nil {
		return commonResources
	}
	served := map[string]bool{}
	for _, d := range discovered {
		served[d.Group+"/"+d.Resource] = true
	}
	var out []kubesource.APIResource
	for _, c := range commonResources {
		if served[c.Group+"/"+c.Resource] {
			out = append(out, c)
		}
	}
	return out
}
