package access

import (
	"context"
	"errors"
)

// Sentinel errors every Store returns; the domain maps them to EKS errors.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	// ErrUnavailable wraps failures to reach the database; the API answers 503.
	ErrUnavailable = errors.New("store unavailable")
)

// Store is what the domain needs from persistence. Every operation runs in a transaction:
// Update for read-write work, View for reads. A function that returns an error rolls the
// transaction back, so a failed request never leaves a half-written record.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// OneStatementViewer is implemented by stores that can run a read of a single statement
// without a transaction around it: one statement reads one consistent snapshot by itself, so
// the BEGIN and ROLLBACK a View adds are pure cost. fn must make one Tx call that runs one
// statement (GetClusterEntry); a second statement, or any write, fails.
type OneStatementViewer interface {
	ViewOneStatement(ctx context.Context, fn func(Tx) error) error
}

// Tx is one transaction. Methods return ErrNotFound / ErrAlreadyExists as documented.
type Tx interface {
	// Clusters.
	GetCluster(key ClusterKey) (*Cluster, error)
	// GetClusterSummary is GetCluster without the cluster's tags and spec (left nil and
	// zero): the columns access-entry operations read, without decoding two JSON documents.
	GetClusterSummary(key ClusterKey) (*Cluster, error)
	// GetClusterEntry reads a cluster's summary (as GetClusterSummary) and one of its access
	// entries in one query: ErrNotFound with a nil cluster when the cluster does not exist,
	// ErrNotFound with the cluster when it has no entry for principalARN.
	GetClusterEntry(key ClusterKey, principalARN string) (*Cluster, *AccessEntry, error)
	InsertCluster(c *Cluster) error // ErrAlreadyExists on (account, region, name)
	UpdateCluster(c *Cluster) error // by ID; ErrNotFound
	DeleteCluster(id string) error  // deletes the cluster's entries and associations too
	ListClusters(account, region string, p Page) ([]string, error)

	// Access entries.
	GetAccessEntry(key EntryKey) (*AccessEntry, error)
	// GetEntryAccess reads an access entry and all its policy associations (ordered by
	// policy ARN) in one query; ErrNotFound when there is no such entry.
	GetEntryAccess(key EntryKey) (*AccessEntry, []Association, error)
	InsertAccessEntry(e *AccessEntry) error // ErrAlreadyExists on (cluster, principal)
	UpdateAccessEntry(e *AccessEntry) error // ErrNotFound
	DeleteAccessEntry(key EntryKey) error   // deletes its associations too; ErrNotFound
	// ListAccessEntries lists principal ARNs in byte order; a non-empty policyARN keeps only
	// entries with that policy associated.
	ListAccessEntries(clusterID, policyARN string, p Page) ([]string, error)

	// Policy associations.
	PutAssociation(a *Association) error // insert or replace (entry, policy)
	GetAssociation(key EntryKey, policyARN string) (*Association, error)
	DeleteAssociation(key EntryKey, policyARN string) error // ErrNotFound
	// ListAssociations lists an entry's associations ordered by policy ARN.
	ListAssociations(key EntryKey, p Page) ([]Association, error)

	// Idempotency records for clientRequestToken.
	GetIdempotency(key IdempotencyKey) (*IdempotencyRecord, error) // ErrNotFound
	PutIdempotency(r *IdempotencyRecord) error

	// Identity provider configs, updates, tags (see identityproviders.go, updates.go, tags.go).

	// GetClusterByID loads a cluster by its surrogate id; ErrNotFound.
	GetClusterByID(id string) (*Cluster, error)
	// GetAccessEntryByARN finds a cluster's access entry by its accessEntryArn; ErrNotFound.
	GetAccessEntryByARN(clusterID, arn string) (*AccessEntry, error)

	GetIdentityProviderConfig(clusterID, name string) (*IdentityProviderConfig, error) // ErrNotFound
	InsertIdentityProviderConfig(c *IdentityProviderConfig) error                      // ErrAlreadyExists on (cluster, name)
	UpdateIdentityProviderConfig(c *IdentityProviderConfig) error                      // status and tags; ErrNotFound
	DeleteIdentityProviderConfig(clusterID, name string) error                         // ErrNotFound
	// ListIdentityProviderConfigs lists a cluster's configs ordered by name.
	ListIdentityProviderConfigs(clusterID string, p Page) ([]IdentityProviderConfig, error)

	// InsertUpdate stores a new update. ErrAlreadyExists when the id exists or when the update
	// is InProgress and the cluster already has an InProgress update.
	InsertUpdate(u *Update) error
	GetUpdate(clusterID, id string) (*Update, error) // ErrNotFound
	// InProgressUpdate returns the cluster's InProgress update; ErrNotFound if there is none.
	InProgressUpdate(clusterID string) (*Update, error)
	// ListUpdates lists a cluster's updates ordered by UpdateListKey (creation order).
	ListUpdates(clusterID string, p Page) ([]Update, error)
	// DueUpdates lists InProgress updates of every cluster with DueAt <= now, earliest first.
	DueUpdates(now Millis, limit int) ([]Update, error)
	// NextDueAt is the earliest DueAt of all InProgress updates; ok is false if there is none.
	NextDueAt() (due Millis, ok bool, err error)
	// CompleteUpdate moves an InProgress update to status with errs. It changes nothing and
	// returns ErrNotFound unless the update is still InProgress (a conditional UPDATE … WHERE
	// status = 'InProgress'), so that exactly one worker completes an update.
	CompleteUpdate(id, status string, errs []UpdateError) error

	// Bulk reads for the webhooks' in-memory index.

	// AllClusters lists every cluster of every account and region.
	AllClusters() ([]Cluster, error)
	// ClusterAccess loads all of a cluster's access entries (by principal ARN) and all their
	// policy associations (by principal ARN, then policy ARN).
	ClusterAccess(clusterID string) ([]AccessEntry, []Association, error)

	// Last-used records of access entries and associations (activity.go).
	ActivityTx
}

// Association is an access policy associated with an access entry, with its scope.
type Association struct {
	ClusterID    string   `json:"clusterId"`
	PrincipalARN string   `json:"principalArn"`
	PolicyARN    string   `json:"policyArn"`
	ScopeType    string   `json:"scopeType"`
	Namespaces   []string `json:"namespaces"`
	AssociatedAt Millis   `json:"associatedAt"`
	ModifiedAt   Millis   `json:"modifiedAt"`
}

// IdempotencyKey identifies a clientRequestToken use: per account, region, operation and the
// resource the operation addresses (cluster name, or cluster/principal).
type IdempotencyKey struct {
	Account, Region, Operation, Resource, Token string
}

// IdempotencyRecord is the first response to a token: the request's hash and its result.
type IdempotencyRecord struct {
	Key         IdempotencyKey
	RequestHash string
	Result      []byte
	CreatedAt   Millis
}
