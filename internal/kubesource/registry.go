// Package kubesource holds per-cluster Kubernetes sources: the aws-auth ConfigMap and the RBAC
// objects (Roles, ClusterRoles with aggregation, RoleBindings, ClusterRoleBindings) watched with
// client-go informers, and API discovery for the access matrix's resource list.
package kubesource

import (
	"sync"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Registry holds the source of each cluster that has one.
type Registry struct {
	mu    sync.RWMutex
	byKey map[access.ClusterKey]*Source
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byKey: map[access.ClusterKey]*Source{}} }

// Source is one cluster's Kubernetes source.
type Source struct {
	Cluster access.ClusterKey
}

// Get returns a cluster's source, or nil.
func (r *Registry) Get(k access.ClusterKey) *Source {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byKey[k]
}
