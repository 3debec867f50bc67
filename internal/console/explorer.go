package console

import (
	"net/http"
	"net/url"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/explain"
)

// explorerPage is an explain, who-can or access-matrix form with the explorer's answer: the
// same answer the API gives (GET /eksaccess/v1/clusters/{name}/explain, …).
type explorerPage struct {
	Cluster *access.Cluster
	Form    url.Values
	// One of these is set once the form was submitted and answered.
	Explanation *explain.Explanation
	WhoCan      *explain.WhoCanResult
	Matrix      *explain.Matrix
	// Available is false when the server has no explorer.
	Available bool
}

// F is a form value.
func (p explorerPage) F(k string) string { return p.Form.Get(k) }

func (c *Console) explorer(kind string) http.HandlerFunc {
	titles := map[string]string{"explain": "Explain a decision", "who-can": "Who can", "access-matrix": "Access matrix"}
	return func(w http.ResponseWriter, r *http.Request) {
		q, cl, _, ok := c.clusterRequest(w, r)
		if !ok {
			return
		}
		p := explorerPage{Cluster: cl, Form: q, Available: c.cfg.Explainer != nil}
		pg := page{Title: titles[kind] + " in " + cl.Name, Nav: "clusters", Data: p}
		if !p.Available || len(q) == 0 { // the empty form
			c.render(w, http.StatusOK, kind, pg)
			return
		}
		x, key := c.cfg.Explainer, cl.Key()
		var err error
		switch kind {
		case "explain":
			p.Explanation, err = x.Explain(r.Context(), key, explain.ParseExplainQuery(q))
		case "who-can":
			p.WhoCan, err = x.WhoCan(r.Context(), key, explain.ParseWhoCanQuery(q))
		case "access-matrix":
			p.Matrix, err = x.AccessMatrix(r.Context(), key, explain.ParseMatrixQuery(q))
		}
		pg.Data = p
		if err != nil {
			if _, ok := err.(*access.Error); !ok {
				c.failErr(w, r, err)
				return
			}
			pg.Error = errMessage(err)
			c.render(w, http.StatusBadRequest, kind, pg)
			return
		}
		c.render(w, http.StatusOK, kind, pg)
	}
}
