package storetest

import (
	"reflect"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Conformance of identity provider configs, cluster updates and the lookups tagging uses.

func init() {
	register(
		Case{Name: "Updates/InsertGetList", Run: testUpdatesInsertGetList},
		Case{Name: "Updates/OneInProgressPerCluster", Run: testUpdatesOneInProgress},
		Case{Name: "Updates/DueAndComplete", Run: testUpdatesDueAndComplete},
		Case{Name: "IdentityProviderConfigs/CRUD", Run: testIdPConfigsCRUD},
		Case{Name: "Updates/DeleteClusterDeletesConfigsAndUpdates", Run: testUpdatesDeleteCluster},
		Case{Name: "Lookups/ClusterByIDAndEntryByARN", Run: testLookups},
	)
}

// updCluster inserts a cluster for the update cases.
func updCluster(t *testing.T, s access.Store, name string) *access.Cluster {
	t.Helper()
	c := &access.Cluster{
		ID: "id-" + name, Account: "111122223333", Region: "us-west-2", Name: name,
		ARN:    "arn:aws:eks:us-west-2:111122223333:cluster/" + name,
		Status: access.ClusterActive, AuthenticationMode: access.ModeAPI, BootstrapAdmin: true,
		CreatedAt: 1000, Tags: map[string]string{}, Revision: 1,
		Spec: access.ClusterSpec{Version: "1.34", Extra: map[string]any{"deletionProtection": true}},
	}
	update(t, s, func(tx access.Tx) error { return tx.InsertCluster(c) })
	return c
}

func updUpdate(clusterID, id string, created, due access.Millis, status string) *access.Update {
	return &access.Update{
		ID: id, ClusterID: clusterID, Type: access.UpdateTypeAccessConfig, Status: status,
		Params:    []access.UpdateParam{{Type: access.ParamAuthenticationMode, Value: `"API"`}},
		Errors:    []access.UpdateError{},
		CreatedAt: created, DueAt: due,
		Change: access.UpdateChange{AuthenticationMode: access.ModeAPI, Extra: map[string]any{"zonalShiftConfig": map[string]any{"enabled": true}}},
	}
}

func testUpdatesInsertGetList(t *testing.T, s access.Store) {
	c := updCluster(t, s, "c1")
	other := updCluster(t, s, "c2")
	ups := []*access.Update{
		updUpdate(c.ID, "u-b", 2000, 2000, access.UpdateSuccessful),
		updUpdate(c.ID, "u-a", 2000, 2000, access.UpdateSuccessful),
		updUpdate(c.ID, "u-0", 1500, 1500, access.UpdateFailed),
		updUpdate(c.ID, "u-z", 9000, 9500, access.UpdateInProgress),
	}
	update(t, s, func(tx access.Tx) error {
		for _, u := range ups {
			if err := tx.InsertUpdate(u); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx access.Tx) error {
		got, err := tx.GetUpdate(c.ID, "u-z")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, ups[3]) {
			t.Errorf("GetUpdate = %+v, want %+v", got, ups[3])
		}
		_, err = tx.GetUpdate(other.ID, "u-z")
		wantErr(t, err, access.ErrNotFound)
		_, err = tx.GetUpdate(c.ID, "nope")
		wantErr(t, err, access.ErrNotFound)

		all, err := tx.ListUpdates(c.ID, access.Page{Limit: 10})
		if err != nil {
			return err
		}
		var ids []string
		for _, u := range all {
			ids = append(ids, u.ID)
		}
		if want := []string{"u-0", "u-a", "u-b", "u-z"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("ListUpdates = %v, want %v (creation time, then id)", ids, want)
		}
		rest, err := tx.ListUpdates(c.ID, access.Page{After: access.UpdateListKey(all[1]), Limit: 10})
		if err != nil {
			return err
		}
		if len(rest) != 2 || rest[0].ID != "u-b" || rest[1].ID != "u-z" {
			t.Errorf("ListUpdates after %s = %+v", all[1].ID, rest)
		}
		none, err := tx.ListUpdates(other.ID, access.Page{Limit: 10})
		if err != nil {
			return err
		}
		if len(none) != 0 || none == nil {
			t.Errorf("ListUpdates of another cluster = %#v, want empty non-nil", none)
		}
		return nil
	})
	err := s.Update(ctx, func(tx access.Tx) error {
		return tx.InsertUpdate(updUpdate(c.ID, "u-a", 1, 1, access.UpdateSuccessful))
	})
	wantErr(t, err, access.ErrAlreadyExists)
}

func testUpdatesOneInProgress(t *testing.T, s access.Store) {
	c := updCluster(t, s, "c1")
	other := updCluster(t, s, "c2")
	update(t, s, func(tx access.Tx) error {
		_, err := tx.InProgressUpdate(c.ID)
		wantErr(t, err, access.ErrNotFound)
		return tx.InsertUpdate(updUpdate(c.ID, "first", 1, 1, access.UpdateInProgress))
	})
	err := s.Update(ctx, func(tx access.Tx) error {
		return tx.InsertUpdate(updUpdate(c.ID, "second", 2, 2, access.UpdateInProgress))
	})
	wantErr(t, err, access.ErrAlreadyExists)
	update(t, s, func(tx access.Tx) error {
		if err := tx.InsertUpdate(updUpdate(c.ID, "done", 2, 2, access.UpdateSuccessful)); err != nil {
			return err
		}
		return tx.InsertUpdate(updUpdate(other.ID, "other", 2, 2, access.UpdateInProgress))
	})
	view(t, s, func(tx access.Tx) error {
		u, err := tx.InProgressUpdate(c.ID)
		if err != nil {
			return err
		}
		if u.ID != "first" {
			t.Errorf("InProgressUpdate = %s, want first", u.ID)
		}
		return nil
	})
}

func testUpdatesDueAndComplete(t *testing.T, s access.Store) {
	a := updCluster(t, s, "a")
	b := updCluster(t, s, "b")
	c := updCluster(t, s, "c")
	update(t, s, func(tx access.Tx) error {
		for _, u := range []*access.Update{
			updUpdate(a.ID, "ua", 100, 300, access.UpdateInProgress),
			updUpdate(b.ID, "ub", 100, 200, access.UpdateInProgress),
			updUpdate(c.ID, "uc", 100, 900, access.UpdateInProgress),
			updUpdate(c.ID, "old", 10, 20, access.UpdateSuccessful),
		} {
			if err := tx.InsertUpdate(u); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx access.Tx) error {
		due, err := tx.DueUpdates(300, 10)
		if err != nil {
			return err
		}
		if len(due) != 2 || due[0].ID != "ub" || due[1].ID != "ua" {
			t.Errorf("DueUpdates(300) = %+v, want ub, ua", due)
		}
		if due, _ := tx.DueUpdates(300, 1); len(due) != 1 {
			t.Errorf("DueUpdates limit 1 gave %d", len(due))
		}
		next, ok, err := tx.NextDueAt()
		if err != nil {
			return err
		}
		if !ok || next != 200 {
			t.Errorf("NextDueAt = %d, %v; want 200, true", next, ok)
		}
		return nil
	})
	errs := []access.UpdateError{{ErrorCode: "Unknown", ErrorMessage: "boom", ResourceIDs: []string{"x"}}}
	update(t, s, func(tx access.Tx) error {
		if err := tx.CompleteUpdate("ub", access.UpdateSuccessful, nil); err != nil {
			return err
		}
		return tx.CompleteUpdate("ua", access.UpdateFailed, errs)
	})
	// A second completion (another replica) changes nothing.
	err := s.Update(ctx, func(tx access.Tx) error { return tx.CompleteUpdate("ub", access.UpdateFailed, errs) })
	wantErr(t, err, access.ErrNotFound)
	err = s.Update(ctx, func(tx access.Tx) error { return tx.CompleteUpdate("old", access.UpdateFailed, errs) })
	wantErr(t, err, access.ErrNotFound)
	view(t, s, func(tx access.Tx) error {
		ub, err := tx.GetUpdate(b.ID, "ub")
		if err != nil {
			return err
		}
		if ub.Status != access.UpdateSuccessful || ub.Errors == nil || len(ub.Errors) != 0 {
			t.Errorf("ub = %+v, want Successful with no errors", ub)
		}
		ua, err := tx.GetUpdate(a.ID, "ua")
		if err != nil {
			return err
		}
		if ua.Status != access.UpdateFailed || !reflect.DeepEqual(ua.Errors, errs) {
			t.Errorf("ua = %+v, want Failed with %v", ua, errs)
		}
		_, err = tx.InProgressUpdate(a.ID)
		wantErr(t, err, access.ErrNotFound)
		due, err := tx.DueUpdates(1000, 10)
		if err != nil {
			return err
		}
		if len(due) != 1 || due[0].ID != "uc" {
			t.Errorf("DueUpdates(1000) = %+v, want uc", due)
		}
		return nil
	})
	update(t, s, func(tx access.Tx) error { return tx.CompleteUpdate("uc", access.UpdateSuccessful, nil) })
	view(t, s, func(tx access.Tx) error {
		_, ok, err := tx.NextDueAt()
		if err != nil {
			return err
		}
		if ok {
			t.Errorf("NextDueAt reports an update, want none in progress")
		}
		return nil
	})
}

func updConfig(c *access.Cluster, name string) *access.IdentityProviderConfig {
	return &access.IdentityProviderConfig{
		ClusterID: c.ID, ClusterName: c.Name, Type: access.IdPTypeOIDC, Name: name,
		ARN: "arn:aws:eks:us-west-2:111122223333:identityproviderconfig/" + c.Name + "/oidc/" + name + "/u",
		OIDC: access.OIDCConfig{
			IssuerURL: "https://" + name + ".example.com", ClientID: "kubernetes", UsernameClaim: "email",
			RequiredClaims: map[string]string{"k": "v"},
		},
		Tags: map[string]string{"env": "dev"}, Status: access.ConfigCreating, CreatedAt: 42,
	}
}

func testIdPConfigsCRUD(t *testing.T, s access.Store) {
	c := updCluster(t, s, "c1")
	other := updCluster(t, s, "c2")
	b, a, z := updConfig(c, "b"), updConfig(c, "a"), updConfig(c, "z")
	update(t, s, func(tx access.Tx) error {
		for _, cfg := range []*access.IdentityProviderConfig{b, a, z, updConfig(other, "a")} {
			if err := tx.InsertIdentityProviderConfig(cfg); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx access.Tx) error { return tx.InsertIdentityProviderConfig(updConfig(c, "a")) })
	wantErr(t, err, access.ErrAlreadyExists)
	view(t, s, func(tx access.Tx) error {
		got, err := tx.GetIdentityProviderConfig(c.ID, "a")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, a) {
			t.Errorf("Get = %+v, want %+v", got, a)
		}
		_, err = tx.GetIdentityProviderConfig(c.ID, "nope")
		wantErr(t, err, access.ErrNotFound)
		page1, err := tx.ListIdentityProviderConfigs(c.ID, access.Page{Limit: 2})
		if err != nil {
			return err
		}
		if len(page1) != 2 || page1[0].Name != "a" || page1[1].Name != "b" {
			t.Errorf("List page 1 = %+v", page1)
		}
		page2, err := tx.ListIdentityProviderConfigs(c.ID, access.Page{After: "b", Limit: 2})
		if err != nil {
			return err
		}
		if len(page2) != 1 || page2[0].Name != "z" {
			t.Errorf("List page 2 = %+v", page2)
		}
		return nil
	})
	a.Status, a.Tags = access.ConfigActive, map[string]string{"team": "x"}
	update(t, s, func(tx access.Tx) error { return tx.UpdateIdentityProviderConfig(a) })
	view(t, s, func(tx access.Tx) error {
		got, err := tx.GetIdentityProviderConfig(c.ID, "a")
		if err != nil {
			return err
		}
		if got.Status != access.ConfigActive || !reflect.DeepEqual(got.Tags, a.Tags) {
			t.Errorf("after update: %+v", got)
		}
		return nil
	})
	update(t, s, func(tx access.Tx) error { return tx.DeleteIdentityProviderConfig(c.ID, "a") })
	err = s.Update(ctx, func(tx access.Tx) error { return tx.DeleteIdentityProviderConfig(c.ID, "a") })
	wantErr(t, err, access.ErrNotFound)
	err = s.Update(ctx, func(tx access.Tx) error { return tx.UpdateIdentityProviderConfig(a) })
	wantErr(t, err, access.ErrNotFound)
	view(t, s, func(tx access.Tx) error {
		if _, err := tx.GetIdentityProviderConfig(other.ID, "a"); err != nil {
			t.Errorf("the other cluster's config: %v", err)
		}
		return nil
	})
}

func testUpdatesDeleteCluster(t *testing.T, s access.Store) {
	c := updCluster(t, s, "c1")
	update(t, s, func(tx access.Tx) error {
		if err := tx.InsertIdentityProviderConfig(updConfig(c, "a")); err != nil {
			return err
		}
		return tx.InsertUpdate(updUpdate(c.ID, "u", 1, 1, access.UpdateInProgress))
	})
	update(t, s, func(tx access.Tx) error { return tx.DeleteCluster(c.ID) })
	view(t, s, func(tx access.Tx) error {
		_, err := tx.GetIdentityProviderConfig(c.ID, "a")
		wantErr(t, err, access.ErrNotFound)
		_, err = tx.GetUpdate(c.ID, "u")
		wantErr(t, err, access.ErrNotFound)
		due, err := tx.DueUpdates(1000, 10)
		if err != nil {
			return err
		}
		if len(due) != 0 {
			t.Errorf("DueUpdates after DeleteCluster = %+v", due)
		}
		return nil
	})
	// A cluster of the same name starts without the old one's configs and updates.
	c2 := updCluster(t, s, "c1-again")
	view(t, s, func(tx access.Tx) error {
		_, err := tx.InProgressUpdate(c2.ID)
		wantErr(t, err, access.ErrNotFound)
		return nil
	})
}

func testLookups(t *testing.T, s access.Store) {
	c := updCluster(t, s, "c1")
	e := &access.AccessEntry{
		ClusterID: c.ID, ClusterName: c.Name, PrincipalARN: "arn:aws:iam::111122223333:role/path/r",
		ARN:  "arn:aws:eks:us-west-2:111122223333:access-entry/c1/role/111122223333/r/uuid",
		Type: access.TypeStandard, Username: "u", KubernetesGroups: []string{}, Tags: map[string]string{"a": "b"},
		CreatedAt: 5, ModifiedAt: 6,
	}
	update(t, s, func(tx access.Tx) error { return tx.InsertAccessEntry(e) })
	view(t, s, func(tx access.Tx) error {
		got, err := tx.GetClusterByID(c.ID)
		if err != nil {
			return err
		}
		if got.Name != c.Name || got.ARN != c.ARN || got.Spec.Extra["deletionProtection"] != true {
			t.Errorf("GetClusterByID = %+v", got)
		}
		_, err = tx.GetClusterByID("nope")
		wantErr(t, err, access.ErrNotFound)
		ge, err := tx.GetAccessEntryByARN(c.ID, e.ARN)
		if err != nil {
			return err
		}
		if ge.PrincipalARN != e.PrincipalARN || !reflect.DeepEqual(ge.Tags, e.Tags) {
			t.Errorf("GetAccessEntryByARN = %+v", ge)
		}
		_, err = tx.GetAccessEntryByARN(c.ID, e.ARN+"x")
		wantErr(t, err, access.ErrNotFound)
		return nil
	})
}
