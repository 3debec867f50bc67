package access

import (
	"context"
	"errors"
	"strings"
)

// Tagging (TagResource, UntagResource, ListTagsForResource) of clusters, access entries and
// identity provider configs, addressed by ARN. The tags are those that the Describe operations
// return. Tagging works whatever the cluster's status or authentication mode.
//
// Choices where EKS's behaviour is not public:
//   - Every tag-rule error is a BadRequestException (the only client error the tagging
//     operations declare), with the wording of the create operations' tag rules.
//   - An ARN that does not parse as arn:<partition>:eks:<region>:<account>:<resource> is a
//     BadRequestException; a well-formed ARN that names no resource of this caller (another
//     account, region or partition, a deleted or never-created resource, or a resource type
//     this server does not have such as nodegroup or addon) is a NotFoundException
//     `Resource was not found: <arn>`.
//   - Keys with the reserved aws: prefix can be neither added nor removed, and do not count
//     against the 50-tag limit (model documentation).
//   - Untagging a key the resource does not have is not an error.

// taggable is a resource's tags and how to save them.
type taggable struct {
	tags map[string]string
	save func(map[string]string) error
}

// findTaggable loads the resource an ARN names, for the caller.
func findTaggable(tx Tx, c Caller, arn string) (*taggable, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !partitions[parts[1]] || parts[2] != "eks" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return nil, errTagResourceARN(arn)
	}
	partition, region, account, res := parts[1], parts[3], parts[4], parts[5]
	notFound := errTagResourceNotFound(arn)
	if partition != c.Partition() || region != c.Region || account != c.Account {
		return nil, notFound
	}
	typ, rest, _ := strings.Cut(res, "/")
	segs := strings.Split(rest, "/")
	if segs[0] == "" {
		return nil, notFound
	}
	cl, err := tx.GetCluster(ClusterKey{account, region, segs[0]})
	if errors.Is(err, ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	switch typ {
	case "cluster":
		if cl.ARN != arn {
			return nil, notFound
		}
		return &taggable{tags: cl.Tags, save: func(t map[string]string) error {
			cl.Tags = t
			return tx.UpdateCluster(cl)
		}}, nil
	case "access-entry":
		e, err := tx.GetAccessEntryByARN(cl.ID, arn)
		if errors.Is(err, ErrNotFound) {
			return nil, notFound
		}
		if err != nil {
			return nil, err
		}
		return &taggable{tags: e.Tags, save: func(t map[string]string) error {
			e.Tags = t
			return tx.UpdateAccessEntry(e)
		}}, nil
	case "identityproviderconfig":
		if len(segs) != 4 || segs[1] != IdPTypeOIDC {
			return nil, notFound
		}
		cfg, err := tx.GetIdentityProviderConfig(cl.ID, segs[2])
		if errors.Is(err, ErrNotFound) || (err == nil && cfg.ARN != arn) {
			return nil, notFound
		}
		if err != nil {
			return nil, err
		}
		return &taggable{tags: cfg.Tags, save: func(t map[string]string) error {
			cfg.Tags = t
			return tx.UpdateIdentityProviderConfig(cfg)
		}}, nil
	}
	return nil, notFound
}

func reservedTagKey(k string) bool { return strings.HasPrefix(strings.ToLower(k), "aws:") }

// countedTags is the number of tags that count against the limit (aws: tags do not).
func countedTags(t map[string]string) int {
	n := 0
	for k := range t {
		if !reservedTagKey(k) {
			n++
		}
	}
	return n
}

// TagResource adds or overwrites tags of the resource an ARN names.
func (s *Service) TagResource(ctx context.Context, c Caller, arn string, tags map[string]string) error {
	if err := ValidateTags(tags); err != nil {
		return asBadRequest(err)
	}
	return s.update(ctx, func(tx Tx) error {
		r, err := findTaggable(tx, c, arn)
		if err != nil {
			return err
		}
		merged := cloneTags(r.tags)
		for k, v := range tags {
			merged[k] = v
		}
		if countedTags(merged) > 50 {
			return asBadRequest(errTooManyTags())
		}
		return r.save(merged)
	})
}

// UntagResource removes tags (by key) from the resource an ARN names.
func (s *Service) UntagResource(ctx context.Context, c Caller, arn string, keys []string) error {
	for _, k := range keys { // the model bounds their count and lengths
		if reservedTagKey(k) {
			return asBadRequest(errTagReserved(k))
		}
	}
	return s.update(ctx, func(tx Tx) error {
		r, err := findTaggable(tx, c, arn)
		if err != nil {
			return err
		}
		kept := cloneTags(r.tags)
		for _, k := range keys {
			delete(kept, k)
		}
		return r.save(kept)
	})
}

// ListTagsForResource returns the tags of the resource an ARN names.
func (s *Service) ListTagsForResource(ctx context.Context, c Caller, arn string) (map[string]string, error) {
	var out map[string]string
	err := s.view(ctx, func(tx Tx) error {
		r, err := findTaggable(tx, c, arn)
		if err != nil {
			return err
		}
		out = cloneTags(r.tags)
		return nil
	})
	return out, err
}
