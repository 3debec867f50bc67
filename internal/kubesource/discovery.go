package kubesource

import (
	"sort"
	"strings"

	"k8s.io/client-go/discovery"
)

// APIResource is one resource the cluster serves (its preferred version).
type APIResource struct {
	Group      string   `json:"apiGroup"`
	Resource   string   `json:"resource"`
	Namespaced bool     `json:"namespaced"`
	Verbs      []string `json:"verbs"`
}

// discover lists the cluster's preferred resources, subresources left out. A partial failure
// (an aggregated API down) returns what was discovered with the error.
func discover(d discovery.DiscoveryInterface) ([]APIResource, error) {
	lists, err := d.ServerPreferredResources()
	var out []APIResource
	for _, l := range lists {
		group := l.GroupVersion
		if i := strings.IndexByte(group, '/'); i >= 0 {
			group = group[:i]
		} else {
			group = "" // "v1": the core group
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			out = append(out, APIResource{Group: group, Resource: r.Name, Namespaced: r.Namespaced, Verbs: r.Verbs})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Resource < out[j].Resource
	})
	return out, err
}
