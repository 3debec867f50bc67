package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/activity"
	"github.com/eksaccess/eksaccess/internal/console"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
)

// BenchmarkEntriesPage100k serves pages of a cluster's access entries at 100,000 entries (the
// load harness's large cluster), every entry with a last use recorded and written: the first
// page, and one in the middle.
func BenchmarkEntriesPage100k(b *testing.B) {
	const n = 100000
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cl := &access.Cluster{ID: "c-large", Account: "012345678910", Region: "us-west-2", Name: "large", ARN: "arn:aws:eks:us-west-2:012345678910:cluster/large",
		Status: access.ClusterActive, AuthenticationMode: access.ModeAPI, Tags: map[string]string{}}
	rec, err := activity.New(activity.Config{Store: st, MaxBatch: n})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Update(ctx, func(tx access.Tx) error {
		if err := tx.InsertCluster(cl); err != nil {
			return err
		}
		for i := range n {
			p := fmt.Sprintf("arn:aws:iam::012345678910:role/r-%06d", i)
			e := &access.AccessEntry{ClusterID: cl.ID, ClusterName: cl.Name, PrincipalARN: p, ARN: "arn:aws:eks:us-west-2:012345678910:access-entry/large/role/012345678910/" + p[31:] + "/u",
				Type: access.TypeStandard, Username: p, KubernetesGroups: []string{}, Tags: map[string]string{}, CreatedAt: 1}
			if err := tx.InsertAccessEntry(e); err != nil {
				return err
			}
			rec.Usage(cl.ID, e.ARN, nil).Authenticated.Store(int64(1000 + i))
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := rec.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	h := console.New(console.Config{Service: access.NewService(st), Store: st, Recorder: rec})
	for name, query := range map[string]string{"first": "", "middle": "?after=" + url.QueryEscape("arn:aws:iam::012345678910:role/r-050000")} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/clusters/012345678910/us-west-2/large"+query, nil))
				if w.Code != http.StatusOK || strings.Count(w.Body.String(), "<tr>") != console.PageSize+1 || !strings.Contains(w.Body.String(), "Next page") {
					b.Fatalf("%d %.500s", w.Code, w.Body.String())
				}
			}
		})
	}
}
