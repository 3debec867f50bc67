package sqlstore

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"

	"github.com/eksaccess/eksaccess/internal/access"
)

// A read decodes the same stored JSON texts again and again (a cluster's spec on every
// DescribeCluster, an entry's groups and tags on every DescribeAccessEntry). decodeCache keeps
// the values decoded from recent texts, keyed by the text itself: the same text always decodes
// to the same value, so an entry never goes stale, and no write needs to invalidate it. Every
// caller gets its own copy (clone), which it may change.
type decodeCache[T any] struct {
	mu    sync.Mutex
	max   int
	m     map[string]T
	clone func(T) T
}

func newDecodeCache[T any](max int, clone func(T) T) *decodeCache[T] {
	return &decodeCache[T]{max: max, m: map[string]T{}, clone: clone}
}

// decode unmarshals text into *dst as json.Unmarshal does, from the cache when it can.
func (d *decodeCache[T]) decode(text string, dst *T) error {
	d.mu.Lock()
	v, ok := d.m[text]
	d.mu.Unlock()
	if ok {
		*dst = d.clone(v)
		return nil
	}
	var out T
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return err
	}
	d.mu.Lock()
	if len(d.m) >= d.max {
		clear(d.m) // bounded: start over rather than keep texts no read asks for
	}
	d.m[text] = d.clone(out)
	d.mu.Unlock()
	*dst = out
	return nil
}

var (
	specCache    = newDecodeCache(1024, access.ClusterSpec.Clone)
	tagsCache    = newDecodeCache(4096, maps.Clone[map[string]string])
	stringsCache = newDecodeCache(4096, slices.Clone[[]string])
)
