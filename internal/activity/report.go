package activity

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Epoch is a time as the EKS API puts it on the wire: epoch seconds, a JSON number (0: never,
// omitted with omitempty).
type Epoch access.Millis

// MarshalJSON renders epoch seconds with milliseconds.
func (e Epoch) MarshalJSON() ([]byte, error) { return []byte(access.Millis(e).EpochSeconds()), nil }

// Time is e as a time.Time (zero for 0).
func (e Epoch) Time() time.Time {
	if e == 0 {
		return time.Time{}
	}
	return access.Millis(e).Time()
}

// Scope is an association's access scope.
type Scope struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces"`
}

// EntryActivity is an access entry with its last use and its associations' last use.
type EntryActivity struct {
	PrincipalARN        string                `json:"principalArn"`
	AccessEntryARN      string                `json:"accessEntryArn"`
	Type                string                `json:"type"`
	Username            string                `json:"username"`
	KubernetesGroups    []string              `json:"kubernetesGroups"`
	CreatedAt           Epoch                 `json:"createdAt"`
	LastAuthenticatedAt Epoch                 `json:"lastAuthenticatedAt,omitempty"`
	LastAllowedAt       Epoch                 `json:"lastAllowedAt,omitempty"`
	LastAllowedBy       string                `json:"lastAllowedBy,omitempty"`
	Associations        []AssociationActivity `json:"associations"`
	Tags                map[string]string     `json:"-"`
}

// LastUsedAt is the later of the last authentication and the last allowed request.
func (e *EntryActivity) LastUsedAt() Epoch { return max(e.LastAuthenticatedAt, e.LastAllowedAt) }

// AssociationActivity is one associated access policy with its last allowed request.
type AssociationActivity struct {
	PolicyARN     string `json:"policyArn"`
	AccessScope   Scope  `json:"accessScope"`
	AssociatedAt  Epoch  `json:"associatedAt"`
	LastAllowedAt Epoch  `json:"lastAllowedAt,omitempty"`
}

// Entries combines a cluster's access entries (in principal ARN order) with their last use.
func (r *Recorder) Entries(ctx context.Context, cl *access.Cluster) ([]EntryActivity, error) {
	var entries []access.AccessEntry
	var assocs []access.Association
	if err := r.cfg.Store.View(ctx, func(tx access.Tx) error {
		var err error
		entries, assocs, err = tx.ClusterAccess(cl.ID)
		return err
	}); err != nil {
		return nil, err
	}
	used, err := r.ClusterLastUsed(ctx, cl.ID)
	if err != nil {
		return nil, err
	}
	byPrincipal := map[string][]access.Association{}
	for _, a := range assocs {
		byPrincipal[a.PrincipalARN] = append(byPrincipal[a.PrincipalARN], a)
	}
	out := make([]EntryActivity, 0, len(entries))
	for i := range entries {
		out = append(out, Combine(&entries[i], byPrincipal[entries[i].PrincipalARN], used[entries[i].ARN]))
	}
	return out, nil
}

// Combine is one entry with its associations and last use (u may be nil: never used).
func Combine(e *access.AccessEntry, as []access.Association, u *LastUsed) EntryActivity {
	ea := EntryActivity{PrincipalARN: e.PrincipalARN, AccessEntryARN: e.ARN, Type: e.Type, Username: e.Username,
		KubernetesGroups: nonNil(e.KubernetesGroups), CreatedAt: Epoch(e.CreatedAt), Associations: []AssociationActivity{}, Tags: e.Tags}
	if u != nil {
		ea.LastAuthenticatedAt, ea.LastAllowedAt, ea.LastAllowedBy = Epoch(u.Authenticated), Epoch(u.Allowed), u.AllowedPolicy
	}
	for _, a := range as {
		aa := AssociationActivity{PolicyARN: a.PolicyARN, AccessScope: Scope{Type: a.ScopeType, Namespaces: nonNil(a.Namespaces)}, AssociatedAt: Epoch(a.AssociatedAt)}
		if u != nil {
			aa.LastAllowedAt = Epoch(u.Policies[a.PolicyARN])
		}
		ea.Associations = append(ea.Associations, aa)
	}
	return ea
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Unused is the unused-access report of a cluster: entries not used (neither authenticated
// nor allowed) and associations that allowed nothing since Since, the never-used ones among
// them with NeverUsed set.
type Unused struct {
	ClusterName   string              `json:"clusterName"`
	Days          int                 `json:"days"`
	Since         Epoch               `json:"since"`
	AccessEntries []UnusedEntry       `json:"accessEntries"`
	Associations  []UnusedAssociation `json:"associations"`
}

// UnusedEntry is an access entry of the unused-access report.
type UnusedEntry struct {
	PrincipalARN   string `json:"principalArn"`
	AccessEntryARN string `json:"accessEntryArn"`
	Type           string `json:"type"`
	CreatedAt      Epoch  `json:"createdAt"`
	LastUsedAt     Epoch  `json:"lastUsedAt,omitempty"`
	NeverUsed      bool   `json:"neverUsed"`
}

// UnusedAssociation is an association of the unused-access report.
type UnusedAssociation struct {
	PrincipalARN  string `json:"principalArn"`
	PolicyARN     string `json:"policyArn"`
	AccessScope   Scope  `json:"accessScope"`
	AssociatedAt  Epoch  `json:"associatedAt"`
	LastAllowedAt Epoch  `json:"lastAllowedAt,omitempty"`
	NeverUsed     bool   `json:"neverUsed"`
}

// MaxDays bounds the days of the unused-access report.
const MaxDays = 3650

// UnusedReport lists what a cluster's entries have not used for days days.
func (r *Recorder) UnusedReport(ctx context.Context, cl *access.Cluster, days int) (*Unused, error) {
	entries, err := r.Entries(ctx, cl)
	if err != nil {
		return nil, err
	}
	since := Epoch(r.cfg.Now().Add(-time.Duration(days) * 24 * time.Hour).UnixMilli())
	return unusedOf(cl.Name, days, since, entries), nil
}

func unusedOf(cluster string, days int, since Epoch, entries []EntryActivity) *Unused {
	u := &Unused{ClusterName: cluster, Days: days, Since: since, AccessEntries: []UnusedEntry{}, Associations: []UnusedAssociation{}}
	for i := range entries {
		e := &entries[i]
		if last := e.LastUsedAt(); last < since {
			u.AccessEntries = append(u.AccessEntries, UnusedEntry{PrincipalARN: e.PrincipalARN, AccessEntryARN: e.AccessEntryARN, Type: e.Type,
				CreatedAt: e.CreatedAt, LastUsedAt: last, NeverUsed: last == 0})
		}
		for _, a := range e.Associations {
			if a.LastAllowedAt < since {
				u.Associations = append(u.Associations, UnusedAssociation{PrincipalARN: e.PrincipalARN, PolicyARN: a.PolicyARN, AccessScope: a.AccessScope,
					AssociatedAt: a.AssociatedAt, LastAllowedAt: a.LastAllowedAt, NeverUsed: a.LastAllowedAt == 0})
			}
		}
	}
	return u
}

// UnmarshalJSON reads epoch seconds (clients of the API).
func (e *Epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*e = Epoch(math.Round(f * 1000))
	return nil
}
