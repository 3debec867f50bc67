package activity

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/eksapi"
)

// IAM actions of the activity API (eksaccess:<Name>), each on the cluster's ARN.
const (
	OpListUnusedAccess  = "ListUnusedAccess"
	OpGetAccessActivity = "GetAccessActivity"
	OpListDecisions     = "ListDecisions"
)

// MaxDecisions bounds the limit of ListDecisions.
const MaxDecisions = 1000

// API serves the activity endpoints under eksapi.OwnPrefix.
type API struct {
	Rec *Recorder
	Svc *access.Service
}

// ClusterActivityOutput is the answer of GetAccessActivity.
type ClusterActivityOutput struct {
	ClusterName   string          `json:"clusterName"`
	AccessEntries []EntryActivity `json:"accessEntries"`
}

// DecisionsOutput is the answer of ListDecisions.
type DecisionsOutput struct {
	Decisions []Decision `json:"decisions"`
}

// Prefix starts the paths of eksaccess's own API.
const Prefix = "/eksaccess/v1/"

// Register adds the endpoints to mux through the EKS API's authentication and authorization.
func (a *API) Register(mux *http.ServeMux, eks *eksapi.API) {
	eks.HandleOwn(mux, "GET "+Prefix+"clusters/{name}/unused", OpListUnusedAccess, "eksaccess:"+OpListUnusedAccess, a.unused)
	eks.HandleOwn(mux, "GET "+Prefix+"clusters/{name}/activity", OpGetAccessActivity, "eksaccess:"+OpGetAccessActivity, a.activity)
	// The cluster filter names the resource; without one, every cluster of the caller's
	// account and region (cluster/*).
	eks.HandleOwnOn(mux, "GET "+Prefix+"decisions", OpListDecisions, "eksaccess:"+OpListDecisions,
		func(r *http.Request, c access.Caller) string { return eksapi.ClusterARN(c, queryOr(r, "cluster", "*")) }, a.decisions)
}

func queryOr(r *http.Request, k, def string) string {
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && q.Get(k) != "" {
		return q.Get(k)
	}
	return def
}

func (a *API) unused(_ context.Context, c access.Caller, r *http.Request) (any, error) {
	q, err := query(r, "days")
	if err != nil {
		return nil, err
	}
	days, err := ParseDays(q.Get("days"))
	if err != nil {
		return nil, err
	}
	cl, err := a.Svc.DescribeCluster(r.Context(), c, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return a.Rec.UnusedReport(r.Context(), cl, days)
}

// ParseDays reads the days of the unused-access report: 30 when empty, else 1 to MaxDays.
func ParseDays(s string) (int, error) {
	if s == "" {
		return 30, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxDays {
		return 0, access.InvalidParameter("days must be a whole number from 1 to %d, got %q", MaxDays, s)
	}
	return n, nil
}

func (a *API) activity(_ context.Context, c access.Caller, r *http.Request) (any, error) {
	if _, err := query(r); err != nil {
		return nil, err
	}
	cl, err := a.Svc.DescribeCluster(r.Context(), c, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	entries, err := a.Rec.Entries(r.Context(), cl)
	if err != nil {
		return nil, err
	}
	return &ClusterActivityOutput{ClusterName: cl.Name, AccessEntries: entries}, nil
}

func (a *API) decisions(_ context.Context, c access.Caller, r *http.Request) (any, error) {
	q, err := query(r, "cluster", "principal", "verdict", "limit", "after")
	if err != nil {
		return nil, err
	}
	f, err := ParseFilter(q)
	if err != nil {
		return nil, err
	}
	f.Account, f.Region = c.Account, c.Region
	if f.Cluster != "" {
		if _, err := a.Svc.DescribeCluster(r.Context(), c, f.Cluster); err != nil {
			return nil, err
		}
	}
	return &DecisionsOutput{Decisions: a.Rec.Decisions(f)}, nil
}

// ParseFilter reads a decision filter from query parameters (cluster, principal, verdict,
// limit, after); Account and Region are left to the caller.
func ParseFilter(q url.Values) (Filter, error) {
	f := Filter{Cluster: q.Get("cluster"), Principal: q.Get("principal"), Verdict: q.Get("verdict"), Limit: 100}
	if f.Verdict != "" && !slices.Contains(Verdicts, f.Verdict) {
		return f, access.InvalidParameter("verdict must be one of %s, got %q", strings.Join(Verdicts, ", "), f.Verdict)
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxDecisions {
			return f, access.InvalidParameter("limit must be a whole number from 1 to %d, got %q", MaxDecisions, s)
		}
		f.Limit = n
	}
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return f, access.InvalidParameter("after must be a decision's seq, got %q", s)
		}
		f.After = n
	}
	return f, nil
}

// query parses the query string, refusing malformed escapes and parameters not in known.
func query(r *http.Request, known ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, access.InvalidParameter("The query string is malformed: %v", err)
	}
	for k := range q {
		if !slices.Contains(known, k) {
			return nil, access.InvalidParameter("Unknown query parameter %q", k)
		}
	}
	return q, nil
}
