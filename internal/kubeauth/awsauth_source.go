package kubeauth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

// AWSAuthSource is where a cluster's aws-auth ConfigMap is read from.
type AWSAuthSource struct {
	Cluster access.ClusterKey
	// Kind is "kubeconfig" (watch kube-system/aws-auth of the cluster the kubeconfig's current
	// context names) or "file" (a ConfigMap manifest, re-read when it changes).
	Kind string
	Path string
}

// ParseAWSAuthSource parses ACCOUNT/REGION/CLUSTER=kubeconfig:PATH or …=file:PATH.
func ParseAWSAuthSource(s string) (AWSAuthSource, error) {
	bad := func(why string) (AWSAuthSource, error) {
		return AWSAuthSource{}, fmt.Errorf("aws-auth source %q: %s (want ACCOUNT/REGION/CLUSTER=kubeconfig:PATH or ACCOUNT/REGION/CLUSTER=file:PATH)", s, why)
	}
	cluster, src, ok := strings.Cut(s, "=")
	if !ok {
		return bad("no '='")
	}
	parts := strings.Split(cluster, "/")
	if len(parts) != 3 || !accountIDRe.MatchString(parts[0]) || parts[1] == "" || parts[2] == "" {
		return bad("the cluster must be ACCOUNT/REGION/NAME")
	}
	kind, path, ok := strings.Cut(src, ":")
	if !ok || (kind != "kubeconfig" && kind != "file") || path == "" {
		return bad("the source must be kubeconfig:PATH or file:PATH")
	}
	return AWSAuthSource{Cluster: access.ClusterKey{Account: parts[0], Region: parts[1], Name: parts[2]}, Kind: kind, Path: path}, nil
}

func clusterLabel(k access.ClusterKey) string { return k.Account + "/" + k.Region + "/" + k.Name }

// Run keeps the cluster's mapping in a current until ctx ends. A file source is read at once
// (an unreadable or invalid file at start is an error) and polled every interval; a
// kubeconfig source lists and watches the ConfigMap, reconnecting as client-go informers do.
func (src AWSAuthSource) Run(ctx context.Context, a *AWSAuth, log *slog.Logger, interval time.Duration) error {
	switch src.Kind {
	case "file":
		return src.runFile(ctx, a, log, interval)
	case "kubeconfig":
		return src.runWatch(ctx, a, log)
	}
	return fmt.Errorf("aws-auth source kind %q", src.Kind)
}

func (src AWSAuthSource) runFile(ctx context.Context, a *AWSAuth, log *slog.Logger, interval time.Duration) error {
	var last []byte
	read := func() error {
		b, err := os.ReadFile(src.Path)
		if err != nil {
			return err
		}
		if last != nil && bytes.Equal(b, last) {
			return nil
		}
		last = b
		m, err := ParseAWSAuthFile(src.Path, b)
		if err != nil {
			a.Invalid(src.Cluster, err)
			return err
		}
		a.Set(src.Cluster, m)
		log.Info("aws-auth loaded", "cluster", clusterLabel(src.Cluster), "file", src.Path, "mappings", m.Len())
		return nil
	}
	if err := read(); err != nil {
		return fmt.Errorf("aws-auth of %s: %w", clusterLabel(src.Cluster), err) // err names the file
	}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := read(); err != nil {
					log.Error("aws-auth file not loaded; the last good mapping stays in force", "cluster", clusterLabel(src.Cluster), "file", src.Path, "error", err)
				}
			}
		}
	}()
	return nil
}

func (src AWSAuthSource) runWatch(ctx context.Context, a *AWSAuth, log *slog.Logger) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", src.Path)
	if err != nil {
		return fmt.Errorf("aws-auth kubeconfig %s of %s: %w", src.Path, clusterLabel(src.Cluster), err)
	}
	// The core group's client alone: the full clientset would link every API group's client.
	core, err := corev1client.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("aws-auth kubeconfig %s of %s: %w", src.Path, clusterLabel(src.Cluster), err)
	}
	lw := cache.NewListWatchFromClient(core.RESTClient(), "configmaps", "kube-system", fields.OneTermEqualSelector("metadata.name", "aws-auth"))
	apply := func(obj any) {
		cm, ok := obj.(*corev1.ConfigMap)
		if !ok || cm.Name != "aws-auth" {
			return
		}
		m, err := ParseAWSAuth(cm.Data)
		if err != nil {
			a.Invalid(src.Cluster, err)
			log.Error("aws-auth ConfigMap is invalid; the last good mapping stays in force", "cluster", clusterLabel(src.Cluster), "resourceVersion", cm.ResourceVersion, "error", err)
			return
		}
		a.Set(src.Cluster, m)
		log.Info("aws-auth loaded", "cluster", clusterLabel(src.Cluster), "resourceVersion", cm.ResourceVersion, "mappings", m.Len())
	}
	_, informer := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: lw,
		ObjectType:    &corev1.ConfigMap{},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    apply,
			UpdateFunc: func(_, obj any) { apply(obj) },
			DeleteFunc: func(any) {
				a.Set(src.Cluster, nil)
				log.Info("aws-auth ConfigMap deleted: it maps nobody", "cluster", clusterLabel(src.Cluster))
			},
		},
	})
	go informer.Run(ctx.Done())
	return nil
}
