package access

// ActivityRecord is what is known of an access entry's (or one of its associations') last
// use, as stored: times are 0 when never seen. The store merges records by taking the later
// of each time, so replicas that record the same entry never move its last use backwards.
type ActivityRecord struct {
	ClusterID string
	// EntryARN is the access entry's ARN (its UUID tells a re-created entry from the old one).
	EntryARN string
	// PolicyARN is "" for the entry itself, else the associated policy the record is about.
	PolicyARN string
	// AuthenticatedAt is when the entry last authenticated (entry records only).
	AuthenticatedAt Millis
	// AllowedAt is when a request was last allowed: by any associated policy (entry
	// records, AllowedPolicy naming it) or by this association.
	AllowedAt     Millis
	AllowedPolicy string
}

// ActivityTx is the part of Tx that stores last-used records.
type ActivityTx interface {
	// MergeActivity upserts records, keeping the later of the stored and given times (and the
	// AllowedPolicy of the later AllowedAt).
	MergeActivity(recs []ActivityRecord) error
	// ClusterActivity lists a cluster's records ordered by entry ARN, then policy ARN.
	ClusterActivity(clusterID string) ([]ActivityRecord, error)
	// EntriesActivity lists the records of some entries (a page of a cluster's), ordered as
	// ClusterActivity.
	EntriesActivity(clusterID string, entryARNs []string) ([]ActivityRecord, error)
}
