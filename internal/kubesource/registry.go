// Package kubesource holds per-cluster Kubernetes sources: the aws-auth ConfigMap and the RBAC
// objects (Roles, ClusterRoles with aggregation, RoleBindings, ClusterRoleBindings) watched with
// client-go informers, and API discovery for the access matrix's resource list.
//
// A source is named as the --aws-auth flag names it, ACCOUNT/REGION/CLUSTER=kubeconfig:PATH or
// ACCOUNT/REGION/CLUSTER=file:PATH: a kubeconfig source watches aws-auth (unchanged, through
// kubeauth) and RBAC and discovers the API; a file source provides aws-auth only.
package kubesource

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	rbacv1client "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

// Registry holds the source of each cluster that has one.
type Registry struct {
	mu    sync.RWMutex
	byKey map[access.ClusterKey]*Source
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byKey: map[access.ClusterKey]*Source{}} }

// Get returns a cluster's source, or nil.
func (r *Registry) Get(k access.ClusterKey) *Source {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byKey[k]
}

// Put installs a source (tests use it with a snapshot built by Build).
func (r *Registry) Put(s *Source) {
	r.mu.Lock()
	r.byKey[s.Cluster] = s
	r.mu.Unlock()
}

// Source is one cluster's Kubernetes source.
type Source struct {
	Cluster access.ClusterKey
	// Kind and Path are as in the flag (kubeconfig or file).
	Kind, Path string

	rbac      atomic.Pointer[RBAC]
	resources atomic.Pointer[[]APIResource]
}

// NewStatic returns a source that serves a fixed snapshot and resource list (nil: discovery
// unavailable).
func NewStatic(cluster access.ClusterKey, rb *RBAC, resources []APIResource) *Source {
	s := &Source{Cluster: cluster, Kind: "static"}
	s.rbac.Store(rb)
	if resources != nil {
		s.resources.Store(&resources)
	}
	return s
}

// RBAC returns the current snapshot; nil when the source has no RBAC (a file source) or has not
// synced yet.
func (s *Source) RBAC() *RBAC {
	if s == nil {
		return nil
	}
	return s.rbac.Load()
}

// Resources returns the discovered API resources; nil before discovery succeeded.
func (s *Source) Resources() []APIResource {
	if s == nil {
		return nil
	}
	if p := s.resources.Load(); p != nil {
		return *p
	}
	return nil
}

// Start parses spec, starts its aws-auth source (kubeauth, as the webhooks always did) and, for
// a kubeconfig source, the RBAC informers and API discovery; it registers the source. They run
// until ctx ends.
func (r *Registry) Start(ctx context.Context, spec string, a *kubeauth.AWSAuth, log *slog.Logger, poll time.Duration) (*Source, error) {
	as, err := kubeauth.ParseAWSAuthSource(spec)
	if err != nil {
		return nil, err
	}
	if r.Get(as.Cluster) != nil {
		return nil, fmt.Errorf("--aws-auth: cluster %s/%s/%s has two sources", as.Cluster.Account, as.Cluster.Region, as.Cluster.Name)
	}
	if err := as.Run(ctx, a, log, poll); err != nil {
		return nil, err
	}
	s := &Source{Cluster: as.Cluster, Kind: as.Kind, Path: as.Path}
	if as.Kind == "kubeconfig" {
		if err := s.watch(ctx, log); err != nil {
			return nil, err
		}
	}
	r.Put(s)
	return s, nil
}

func label(k access.ClusterKey) string { return k.Account + "/" + k.Region + "/" + k.Name }

// listed is the informer's cached objects of type T.
func listed[T any](inf cache.SharedIndexInformer) []T {
	var out []T
	for _, o := range inf.GetStore().List() {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// stripManagedFields is an informer transform that drops metadata.managedFields.
func stripManagedFields(obj any) (any, error) {
	if a, err := meta.Accessor(obj); err == nil {
		a.SetManagedFields(nil)
	}
	return obj, nil
}

// watch starts the RBAC informers (the snapshot is rebuilt, debounced, after changes) and the
// periodic API discovery.
func (s *Source) watch(ctx context.Context, log *slog.Logger) error {
	bad := func(err error) error { return fmt.Errorf("kubeconfig %s of %s: %w", s.Path, label(s.Cluster), err) }
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Path)
	if err != nil {
		return bad(err)
	}
	// The RBAC group's client and discovery alone: the full clientset and its informer factory
	// would link every API group's client, informer and lister (about 220 packages).
	rbacClient, err := rbacv1client.NewForConfig(cfg)
	if err != nil {
		return bad(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return bad(err)
	}
	informer := func(resource string, obj runtime.Object) cache.SharedIndexInformer {
		lw := cache.NewListWatchFromClient(rbacClient.RESTClient(), resource, metav1.NamespaceAll, fields.Everything())
		inf := cache.NewSharedIndexInformer(lw, obj, 0, cache.Indexers{})
		// managedFields are dropped from the cached objects: the explorer never reads them.
		inf.SetTransform(stripManagedFields)
		return inf
	}
	roles, croles := informer("roles", &rbacv1.Role{}), informer("clusterroles", &rbacv1.ClusterRole{})
	rbs, crbs := informer("rolebindings", &rbacv1.RoleBinding{}), informer("clusterrolebindings", &rbacv1.ClusterRoleBinding{})
	informers := []cache.SharedIndexInformer{roles, croles, rbs, crbs}
	dirty := make(chan struct{}, 1)
	poke := func() {
		select {
		case dirty <- struct{}{}:
		default:
		}
	}
	h := cache.ResourceEventHandlerFuncs{AddFunc: func(any) { poke() }, UpdateFunc: func(_, _ any) { poke() }, DeleteFunc: func(any) { poke() }}
	for _, inf := range informers {
		if _, err := inf.AddEventHandler(h); err != nil {
			return err
		}
	}
	var synced []cache.InformerSynced
	for _, inf := range informers {
		synced = append(synced, inf.HasSynced)
		go inf.Run(ctx.Done())
	}
	build := func() {
		rb := Build(Objects{Roles: listed[*rbacv1.Role](roles), ClusterRoles: listed[*rbacv1.ClusterRole](croles),
			RoleBindings: listed[*rbacv1.RoleBinding](rbs), ClusterRoleBindings: listed[*rbacv1.ClusterRoleBinding](crbs)})
		s.rbac.Store(rb)
		log.Debug("RBAC snapshot rebuilt", "cluster", label(s.Cluster), "objects", rb.Objects)
	}
	go func() {
		if !cache.WaitForCacheSync(ctx.Done(), synced...) {
			return
		}
		build()
		log.Info("RBAC source synced", "cluster", label(s.Cluster), "objects", s.RBAC().Objects)
		for {
			select {
			case <-ctx.Done():
				return
			case <-dirty:
				// Coalesce bursts (kubectl apply of many objects) into one rebuild.
				select {
				case <-ctx.Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
				build()
			}
		}
	}()
	go func() {
		for {
			if res, err := discover(disc); err != nil {
				log.Warn("API discovery incomplete", "cluster", label(s.Cluster), "error", err)
				if res != nil {
					s.resources.Store(&res)
				}
			} else {
				s.resources.Store(&res)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Minute):
			}
		}
	}()
	return nil
}
