package access

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of s, which its caller may change.
func (s ClusterSpec) Clone() ClusterSpec {
	s.VPC.SubnetIDs = slices.Clone(s.VPC.SubnetIDs)
	s.VPC.SecurityGroupIDs = slices.Clone(s.VPC.SecurityGroupIDs)
	s.VPC.PublicAccessCIDRs = slices.Clone(s.VPC.PublicAccessCIDRs)
	s.KubernetesNetwork = cloneObject(s.KubernetesNetwork)
	s.Logging = cloneObject(s.Logging)
	s.Extra = cloneObject(s.Extra)
	return s
}

// Clone returns a deep copy of c (nil stays nil).
func (c *Cluster) Clone() *Cluster {
	if c == nil {
		return nil
	}
	out := *c
	out.Tags = maps.Clone(c.Tags)
	out.Spec = c.Spec.Clone()
	return &out
}

// Clone returns a deep copy of e (nil stays nil).
func (e *AccessEntry) Clone() *AccessEntry {
	if e == nil {
		return nil
	}
	out := *e
	out.KubernetesGroups = slices.Clone(e.KubernetesGroups)
	out.Tags = maps.Clone(e.Tags)
	return &out
}

// cloneObject deep-copies a decoded JSON object (nil stays nil).
func cloneObject(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneObject(x)
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v // strings, numbers, booleans, nil: immutable
}
