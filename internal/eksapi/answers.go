package eksapi

import (
	"encoding/json"
	"sync"

	"github.com/eksaccess/eksaccess/internal/access"
)

// encoded is an answer already encoded as JSON: serve writes it as it is.
type encoded []byte

// answerCache keeps DescribeCluster's encoded answers by cluster id and revision: the answer
// is a function of the cluster's row alone, and every change of that row bumps its revision
// (UpdateCluster on both engines; a deleted and re-created cluster has a new id), so a kept
// answer is never stale and no write has to invalidate it. The id is a random UUID found
// through the caller's own account and region, so no caller reads another's answer. Bounded:
// when full it starts over.
type answerCache struct {
	mu sync.Mutex
	m  map[answerKey][]byte
}

type answerKey struct {
	id       string
	revision int64
}

const answerCacheMax = 1024

// cluster returns c's DescribeCluster answer, encoded once per revision.
func (a *answerCache) cluster(c *access.Cluster) (encoded, error) {
	k := answerKey{c.ID, c.Revision}
	a.mu.Lock()
	b, ok := a.m[k]
	a.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := json.Marshal(clusterJSON(c))
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.m == nil || len(a.m) >= answerCacheMax {
		a.m = map[answerKey][]byte{}
	}
	a.m[k] = b
	a.mu.Unlock()
	return b, nil
}
