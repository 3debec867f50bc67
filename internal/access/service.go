package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Service carries out the EKS access-management operations. Each operation validates its input,
// then reads and writes the store in one transaction.
type Service struct {
	store   Store
	now     func() time.Time
	resolve PrincipalResolver
	updates updateSettings // cluster updates: duration and worker wake-up (updates.go)
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Service) nowMillis() Millis { return MillisOf(s.now()) }

func newUUID() string { return uuid.NewString() }

// DefaultPageSize is the page size when a request gives no maxResults.
const DefaultPageSize = 100

func (p Page) limit() int {
	if p.Limit <= 0 || p.Limit > DefaultPageSize {
		return DefaultPageSize
	}
	return p.Limit
}

// page fetches one more item than asked to learn whether a next page exists.
func page[T any](p Page, fetch func(Page) ([]T, error), keyOf func(T) string) ([]T, string, error) {
	n := p.limit()
	items, err := fetch(Page{After: p.After, Limit: n + 1})
	if err != nil {
		return nil, "", err
	}
	if len(items) > n {
		items = items[:n]
		return items, keyOf(items[n-1]), nil
	}
	return items, "", nil
}

func ident(s string) string { return s }

// idempotent runs do once per clientRequestToken: a repeat with the same token and the same
// request returns the first result; the same token with a different request is an error.
// input must not contain the token itself. Runs inside the caller's transaction.
func idempotent[T any](tx Tx, c Caller, op, resource, token string, input any, now Millis, do func() (T, error)) (T, error) {
	hash, err := requestHash(op, token, input)
	if err != nil {
		var zero T
		return zero, err
	}
	return idempotentHashed(tx, c, op, resource, token, hash, now, do)
}

// requestHash is the hash an idempotency record keeps of a request (input, without its
// token); "" when the request has no token.
func requestHash(op, token string, input any) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := json.Marshal(input)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte(op+"\x00"), b...))
	return hex.EncodeToString(sum[:]), nil
}

// idempotentHashed is idempotent with the request's hash made ahead (requestHash), outside the
// transaction.
func idempotentHashed[T any](tx Tx, c Caller, op, resource, token, hash string, now Millis, do func() (T, error)) (T, error) {
	var zero T
	if token == "" {
		return do()
	}
	key := IdempotencyKey{Account: c.Account, Region: c.Region, Operation: op, Resource: resource, Token: token}
	rec, err := tx.GetIdempotency(key)
	switch {
	case err == nil:
		if rec.RequestHash != hash {
			return zero, errIdempotencyMismatch()
		}
		var out T
		if err := json.Unmarshal(rec.Result, &out); err != nil {
			return zero, err
		}
		return out, nil
	case !errors.Is(err, ErrNotFound):
		return zero, err
	}
	out, err := do()
	if err != nil {
		return zero, err
	}
	res, err := json.Marshal(out)
	if err != nil {
		return zero, err
	}
	if err := tx.PutIdempotency(&IdempotencyRecord{Key: key, RequestHash: hash, Result: res, CreatedAt: now}); err != nil {
		return zero, err
	}
	return out, nil
}

// cluster loads a cluster or answers EKS's not-found error.
func cluster(tx Tx, c Caller, name string) (*Cluster, error) {
	cl, err := tx.GetCluster(ClusterKey{c.Account, c.Region, name})
	if errors.Is(err, ErrNotFound) {
		return nil, errClusterNotFound(name)
	}
	return cl, err
}

// apiCluster loads a cluster that serves access-entry operations. Its Tags and Spec are not
// loaded (GetClusterSummary): callers use its identity, region and authentication mode only.
func apiCluster(tx Tx, c Caller, name string) (*Cluster, error) {
	cl, err := tx.GetClusterSummary(ClusterKey{c.Account, c.Region, name})
	if errors.Is(err, ErrNotFound) {
		return nil, errClusterNotFound(name)
	}
	if err != nil {
		return nil, err
	}
	if !usesAccessEntries(cl.AuthenticationMode) {
		return nil, errModeNotAPI(name)
	}
	return cl, nil
}

func (s *Service) update(ctx context.Context, fn func(Tx) error) error {
	return s.store.Update(ctx, fn)
}
func (s *Service) view(ctx context.Context, fn func(Tx) error) error { return s.store.View(ctx, fn) }

// viewOneStatement is view for a fn that runs one statement (see OneStatementViewer).
func (s *Service) viewOneStatement(ctx context.Context, fn func(Tx) error) error {
	if v, ok := s.store.(OneStatementViewer); ok {
		return v.ViewOneStatement(ctx, fn)
	}
	return s.store.View(ctx, fn)
}
