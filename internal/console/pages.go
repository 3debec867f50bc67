package console

import (
	"encoding/json"
	"net/http"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/activity"
)

// clusterRow is a line of the clusters page.
type clusterRow struct {
	Account, Region, Name, Mode string
	Entries                     int
	Unused                      int // entries unused for 30 days (-1: recording off)
}

func (c *Console) clusters(w http.ResponseWriter, r *http.Request) {
	var all []access.Cluster
	if err := c.cfg.Store.View(r.Context(), func(tx access.Tx) error {
		var err error
		all, err = tx.AllClusters()
		return err
	}); err != nil {
		c.failErr(w, r, err)
		return
	}
	rows := make([]clusterRow, 0, len(all))
	for i := range all {
		cl := &all[i]
		row := clusterRow{Account: cl.Account, Region: cl.Region, Name: cl.Name, Mode: cl.AuthenticationMode, Unused: -1}
		if c.cfg.Recorder != nil {
			u, err := c.cfg.Recorder.UnusedReport(r.Context(), cl, 30)
			if err != nil {
				c.failErr(w, r, err)
				return
			}
			row.Unused = len(u.AccessEntries)
		}
		if err := c.cfg.Store.View(r.Context(), func(tx access.Tx) error {
			es, _, err := tx.ClusterAccess(cl.ID)
			row.Entries = len(es)
			return err
		}); err != nil {
			c.failErr(w, r, err)
			return
		}
		rows = append(rows, row)
	}
	c.render(w, http.StatusOK, "clusters", page{Title: "Clusters", Nav: "clusters", Data: rows})
}

// entriesPage is a page of a cluster's access entries.
type entriesPage struct {
	Cluster *access.Cluster
	Entries []activity.EntryActivity
	// Next is the principal ARN the next page starts after ("" on the last page); Prev
	// leads back to the first page.
	Next  string
	After string
}

func (c *Console) entries(w http.ResponseWriter, r *http.Request) {
	q, cl, _, ok := c.clusterRequest(w, r)
	if !ok {
		return
	}
	p := entriesPage{Cluster: cl, After: q.Get("after")}
	var list []access.AccessEntry
	var assocs [][]access.Association
	if err := c.cfg.Store.View(r.Context(), func(tx access.Tx) error {
		arns, err := tx.ListAccessEntries(cl.ID, "", access.Page{After: p.After, Limit: PageSize + 1})
		if err != nil {
			return err
		}
		if len(arns) > PageSize {
			arns = arns[:PageSize]
			p.Next = arns[len(arns)-1]
		}
		for _, arn := range arns {
			e, as, err := tx.GetEntryAccess(access.EntryKey{ClusterID: cl.ID, PrincipalARN: arn})
			if err != nil {
				return err
			}
			list, assocs = append(list, *e), append(assocs, as)
		}
		return nil
	}); err != nil {
		c.failErr(w, r, err)
		return
	}
	used, err := c.lastUsed(r, cl, list)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	for i := range list {
		p.Entries = append(p.Entries, activity.Combine(&list[i], assocs[i], used[list[i].ARN]))
	}
	c.render(w, http.StatusOK, "entries", page{Title: "Access entries of " + cl.Name, Nav: "clusters", Data: p})
}

func (c *Console) lastUsed(r *http.Request, cl *access.Cluster, entries []access.AccessEntry) (map[string]*activity.LastUsed, error) {
	if c.cfg.Recorder == nil {
		return map[string]*activity.LastUsed{}, nil
	}
	arns := make([]string, len(entries))
	for i := range entries {
		arns[i] = entries[i].ARN
	}
	return c.cfg.Recorder.LastUsedOf(r.Context(), cl.ID, arns)
}

// entryPage is one access entry.
type entryPage struct {
	Cluster   *access.Cluster
	Entry     activity.EntryActivity
	Tags      map[string]string
	Decisions []activity.Decision
}

func (c *Console) entry(w http.ResponseWriter, r *http.Request) {
	q, cl, caller, ok := c.clusterRequest(w, r)
	if !ok {
		return
	}
	principal := q.Get("principal")
	if principal == "" {
		c.fail(w, r, http.StatusBadRequest, "Name the access entry: ?principal=<principal ARN>.")
		return
	}
	e, err := c.cfg.Service.DescribeAccessEntry(r.Context(), caller, cl.Name, principal)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	var as []access.Association
	if err := c.cfg.Store.View(r.Context(), func(tx access.Tx) error {
		var err error
		_, as, err = tx.GetEntryAccess(e.Key())
		return err
	}); err != nil {
		c.failErr(w, r, err)
		return
	}
	used, err := c.lastUsed(r, cl, []access.AccessEntry{*e})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	p := entryPage{Cluster: cl, Entry: activity.Combine(e, as, used[e.ARN]), Tags: e.Tags}
	if c.cfg.Recorder != nil {
		p.Decisions = c.cfg.Recorder.Decisions(activity.Filter{EntryARN: e.ARN, Limit: 20})
	}
	c.render(w, http.StatusOK, "entry", page{Title: e.PrincipalARN, Nav: "clusters", Data: p})
}

// unusedPage is the unused-access report.
type unusedPage struct {
	Cluster *access.Cluster
	Days    string
	Report  *activity.Unused
}

func (c *Console) unused(w http.ResponseWriter, r *http.Request) {
	q, cl, _, ok := c.clusterRequest(w, r)
	if !ok {
		return
	}
	p := unusedPage{Cluster: cl, Days: q.Get("days")}
	title := "Unused access in " + cl.Name
	if c.cfg.Recorder == nil {
		c.render(w, http.StatusOK, "unused", page{Title: title, Nav: "clusters", Data: p})
		return
	}
	days, err := activity.ParseDays(p.Days)
	if err != nil {
		c.render(w, http.StatusBadRequest, "unused", page{Title: title, Nav: "clusters", Data: p, Error: errMessage(err)})
		return
	}
	if p.Report, err = c.cfg.Recorder.UnusedReport(r.Context(), cl, days); err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, http.StatusOK, "unused", page{Title: title, Nav: "clusters", Data: p})
}

func errMessage(err error) string {
	if ae, ok := err.(*access.Error); ok {
		return ae.Message
	}
	return err.Error()
}

// decisionsPage is the decision log with its filter.
type decisionsPage struct {
	Account, Region, Cluster, Principal, Verdict, Limit string
	Verdicts                                            []string
	Decisions                                           []activity.Decision
}

func (c *Console) decisionFilter(r *http.Request) (activity.Filter, decisionsPage, error) {
	q, err := query(r)
	if err != nil {
		return activity.Filter{}, decisionsPage{}, err
	}
	p := decisionsPage{Account: q.Get("account"), Region: q.Get("region"), Cluster: q.Get("cluster"), Principal: q.Get("principal"),
		Verdict: q.Get("verdict"), Limit: q.Get("limit"), Verdicts: activity.Verdicts}
	q.Del("account")
	q.Del("region")
	f, err := activity.ParseFilter(q)
	f.Account, f.Region = p.Account, p.Region
	return f, p, err
}

func (c *Console) decisions(w http.ResponseWriter, r *http.Request) {
	f, p, err := c.decisionFilter(r)
	if err != nil {
		c.render(w, http.StatusBadRequest, "decisions", page{Title: "Decisions", Nav: "decisions", Data: p, Error: errMessage(err)})
		return
	}
	if c.cfg.Recorder != nil {
		p.Decisions = c.cfg.Recorder.Decisions(f)
	}
	c.render(w, http.StatusOK, "decisions", page{Title: "Decisions", Nav: "decisions", Data: p})
}

// decisionsJSON feeds the decision log page's live updates (?after=<seq>).
func (c *Console) decisionsJSON(w http.ResponseWriter, r *http.Request) {
	f, _, err := c.decisionFilter(r)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"message": errMessage(err)})
		return
	}
	out := activity.DecisionsOutput{Decisions: []activity.Decision{}}
	if c.cfg.Recorder != nil {
		out.Decisions = c.cfg.Recorder.Decisions(f)
	}
	json.NewEncoder(w).Encode(&out)
}
